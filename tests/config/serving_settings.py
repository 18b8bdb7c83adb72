"""The project's settings with the test-only URLconf (tests/config/test_web_server.py)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "tests.config.serving_urls"
