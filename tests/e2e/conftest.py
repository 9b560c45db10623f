"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server."""

import os
from pathlib import Path

import pytest
from django.core import mail
from django.core.cache import cache

from tests.plugins.services import chromium_path

# Sync Playwright runs an event loop in this thread; the ORM calls the tests make are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENS = Path(__file__).resolve().parents[2] / "artifacts" / "screens" / "e2e"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {
        # /usr/bin/chromium unless PRACTICA_CHROMIUM says otherwise (the plugin skips or fails
        # e2e tests when it is missing).
        "executable_path": chromium_path(),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args():
    return {"viewport": DESKTOP, "locale": "en-GB"}


@pytest.fixture(autouse=True)
def _fresh_rate_limits_and_mailbox():
    # allauth's rate limits count in the (process-wide) cache; the live server shares it.
    cache.clear()
    mail.outbox = []
    yield
    cache.clear()


class Screens:
    """Save full-page screenshots of each step at 1280 px, and key pages at 375 px too."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.saved: list[Path] = []

    def __call__(self, page, name: str, *, phone: bool = False) -> None:
        self._save(page, f"{name}-1280.png")
        if phone:
            viewport = page.viewport_size
            page.set_viewport_size(PHONE)
            self._save(page, f"{name}-375.png")
            page.set_viewport_size(viewport)

    def _save(self, page, filename: str) -> None:
        path = self.folder / filename
        page.screenshot(path=str(path), full_page=True)
        self.saved.append(path)


@pytest.fixture
def screens(request):
    return Screens(SCREENS)
