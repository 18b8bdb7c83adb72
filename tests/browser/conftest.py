"""Browser journeys: Playwright (sync API) driving Debian's Chromium against Django's live server.

- Playwright never downloads a browser here: it launches /usr/bin/chromium, and every test
  in this folder is skipped (saying why) when that binary is missing.
- The live server is a threaded WSGI server in this process, so `django.core.mail.outbox`
  collects the emails it sends (invitation links are read from there).
- `new_context(width=1440)` opens a fresh browser context (its own cookies: one person) and
  returns its page; call it twice for two people.
- `screenshot(page, name)` saves test-artifacts/screenshots/<name>-<width>.png for humans.
"""

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's async-safety check would
# then refuse ORM calls made by the test (fixtures, factories). Safe here: one thread each.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DEFAULT_HEIGHT = 900
DEFAULT_TIMEOUT_MS = 15_000


# Package scope, not session: Playwright's sync API keeps an event loop running in the main
# thread while it is started, and Django's test client can't call async views (the gateway,
# the playground) from a thread with a running loop. Stopped after tests/browser, it is gone
# for the modules that run later.
@pytest.fixture(scope="package")
def playwright_instance() -> Iterator:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (make test does it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra installs it
        pytest.skip("playwright is not installed: pip install -e '.[test]'")
    # Belt and braces: Playwright must never fetch a browser of its own.
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    manager = sync_playwright().start()
    try:
        yield manager
    finally:
        manager.stop()


@pytest.fixture(scope="package")
def browser(playwright_instance) -> Iterator:
    browser = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def new_context(browser, live_server, transactional_db) -> Iterator[Callable]:
    """Factory: `new_context(width=1440)` -> a Page in a fresh context (one person each).

    The page's base URL is the live server, so `page.goto("/accounts/sign-in/")` works.
    Uncaught JavaScript errors on any page fail the test at teardown.
    """
    contexts = []
    js_errors: list[str] = []

    def make(width: int = 1440, height: int = DEFAULT_HEIGHT):
        context = browser.new_context(
            viewport={"width": width, "height": height},
            base_url=live_server.url,
            locale="en-US",
            timezone_id="UTC",
            reduced_motion="reduce",
        )
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: js_errors.append(f"{page.url}: {error}"))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not js_errors, "JavaScript errors in the browser:\n" + "\n".join(js_errors)


@pytest.fixture
def page(new_context):
    """One person at desktop width."""
    return new_context()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot at the page's current viewport width."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"] if page.viewport_size else 0
    path = SCREENSHOTS / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path


def field(page, label: str):
    """The form control labelled `label`, with or without Django's ":" label suffix."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*:?\s*$"))
