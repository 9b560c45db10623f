"""Save screenshots of Practica's pages at phone and desktop widths, for a person to look at.

It starts nothing: point it at a running server.

    .venv/bin/python scripts/screenshot_pages.py http://127.0.0.1:8011 \
        --community wound-care --username ada --password "correct horse battery"

PNGs go to artifacts/screens/ (git-ignored), named <page>-<width>.png. With --username and
--password it also logs in and captures the account pages (email, password change, log out).
"""

import argparse
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

WIDTHS = (375, 1280)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "artifacts" / "screens"


def fill_and_submit(page: Page, values: dict[str, str]) -> None:
    for name, value in values.items():
        page.fill(f"main form [name={name}]", value)
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")


def anonymous_pages(communities: list[str]):
    """Yield (name, path, action) for pages a visitor sees; action runs after loading, if any."""
    yield "login", "/accounts/login/", None
    yield (
        "login-error",
        "/accounts/login/",
        lambda p: fill_and_submit(p, {"login": "nobody", "password": "wrong password"}),
    )
    yield "signup", "/accounts/signup/", None
    yield (
        "signup-error",
        "/accounts/signup/",
        lambda p: fill_and_submit(
            p,
            {
                "email": "someone@example.org",
                "username": "someone",
                "password1": "short",
                "password2": "different",
            },
        ),
    )
    yield "password-reset", "/accounts/password/reset/", None
    yield "password-reset-done", "/accounts/password/reset/done/", None
    yield "verification-sent", "/accounts/confirm-email/", None
    yield "directory", "/", None
    for slug in communities:
        yield f"community-{slug}", f"/c/{slug}/", None


def member_pages(communities: list[str]):
    """Yield (name, path, action) for pages a signed-in member sees."""
    yield "email", "/accounts/email/", None
    yield (
        "email-error",
        "/accounts/email/",
        lambda p: (
            # The browser accepts a domain without a dot; the server does not.
            p.fill("main form [name=email][type=email]", "someone@invalid"),
            p.click("main form button[name=action_add]"),
            p.wait_for_load_state("networkidle"),
        ),
    )
    yield "password-change", "/accounts/password/change/", None
    yield "logout", "/accounts/logout/", None
    yield "directory-member", "/", None
    for slug in communities:
        yield f"community-{slug}-member", f"/c/{slug}/", None


def capture(page: Page, base_url: str, out: Path, pages, width: int) -> list[Path]:
    saved = []
    for name, path, action in pages:
        page.goto(base_url + path, wait_until="networkidle")
        if action is not None:
            action(page)
        target = out / f"{name}-{width}.png"
        page.screenshot(path=str(target), full_page=True)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        note = f"  (horizontal overflow: {overflow}px)" if overflow > 0 else ""
        print(f"saved {target}{note}")
        saved.append(target)
    return saved


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(base_url + "/accounts/login/", wait_until="networkidle")
    fill_and_submit(page, {"login": username, "password": password})
    if "/accounts/login/" in page.url:
        sys.exit(f"could not log in as {username!r}; is the address verified?")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url", help="a running Practica, e.g. http://127.0.0.1:8011")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--community", action="append", default=[], help="slug; repeatable")
    parser.add_argument("--username")
    parser.add_argument("--password")
    args = parser.parse_args(argv)
    base_url = args.base_url.rstrip("/")
    args.out.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for width in WIDTHS:
                context = browser.new_context(viewport={"width": width, "height": 900})
                page = context.new_page()
                capture(page, base_url, args.out, anonymous_pages(args.community), width)
                if args.username and args.password:
                    log_in(page, base_url, args.username, args.password)
                    capture(page, base_url, args.out, member_pages(args.community), width)
                context.close()
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
