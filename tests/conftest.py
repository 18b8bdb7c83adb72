import os

import pytest

pytest_plugins = [
    "tests.fixtures.fake_llm",
    "tests.fixtures.personas",
    "tests.fixtures.queries",
]


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The fake provider listens on 127.0.0.1; on PostgreSQL the setting's default would be off.
    settings.PROMPTOPS_ALLOW_PRIVATE_PROVIDERS = True
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    from workspaces import generations

    cache.clear()
    # The database was rolled back behind the counters' back: forget the ones remembered.
    generations.forget_remembered()
    yield


def pytest_report_header(config):
    database = (
        "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    )
    broker = "Redis" if os.environ.get("REDIS_URL") else "filesystem broker (Redis tests skipped)"
    return [f"PromptOps tests on {database}, {broker}"]
