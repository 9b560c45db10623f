"""Tags and duplicates on a phone: tag suggestions stay on screen at 375 px, the thread list's
popular-tag chips filter and a chip removes the filter, and typing a question's title shows
similar threads already asked."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.test_accessibility import blocking_violations
from tests.factories import CommunityFactory
from tests.practice.factories import answer, ask, member_of

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/shots/a11y")
ASKED = "How do you keep a heel dressing in place overnight?"


def logged_in_page(browser, base, user, viewport):
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=viewport, locale="en-GB")
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base,
            }
        ]
    )
    return context, context.new_page()


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{page.viewport_size['width']}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_tags_and_similar_threads_on_a_phone(live_server, browser):
    community = CommunityFactory(name="Wound care nurses", slug="wound-care")
    asker = member_of(community, username="ada")
    thread = ask(community, asker, title=ASKED, tags=["heels", "dressings", "night-shift"])
    answer(thread, member_of(community), body="A tubular bandage.")
    ask(community, asker, title="Foam or hydrocolloid on a sacral wound?", tags=["dressings"])
    ask(community, asker, title="Handover at night", tags=["handover"])
    member = member_of(community, username="sam")
    base = live_server.url

    for viewport in (PHONE, DESKTOP):
        context, page = logged_in_page(browser, base, member, viewport)
        try:
            # Typing a title shows the similar question (after the debounce), as a link.
            page.goto(f"{base}/c/wound-care/threads/new/")
            title = page.get_by_label("Title")
            title.fill("")  # the phone's pass left a draft, restored here
            title.press_sequentially("heel dressing keeps slipping off")
            similar = page.get_by_role("region", name=re.compile("Similar threads"))
            expect(similar.get_by_role("link", name=ASKED)).to_be_visible(timeout=15_000)
            expect(similar).not_to_contain_text("Handover at night")

            # Tag suggestions appear on screen: with the lower half of a phone's screen taken by
            # its keyboard (a shorter viewport) and the field at the bottom of what is left,
            # the page scrolls to show them; nothing sticks out sideways.
            keyboard_up = {"width": viewport["width"], "height": 360}
            page.set_viewport_size(keyboard_up)
            tags = page.get_by_label("Tags")
            tags.fill("")
            tags.evaluate("el => el.scrollIntoView({block: 'end'})")
            tags.press_sequentially("dre")
            suggestion = page.get_by_role("button", name="dressings")
            expect(suggestion).to_be_visible()
            page.wait_for_timeout(100)
            box = suggestion.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], box
            assert box["y"] >= 0 and box["y"] + box["height"] <= keyboard_up["height"], box
            page.set_viewport_size(viewport)
            # The form with similar threads and tag suggestions showing passes axe too.
            assert blocking_violations(page) == []
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            assert scroll_width <= viewport["width"], scroll_width
            shot(page, "new-thread-similar-and-tags")
            suggestion.click()
            expect(tags).to_have_value("dressings, ")

            # The list: popular tags as chips; one filters, the chip's ✕ removes the filter.
            page.goto(f"{base}/c/wound-care/threads/")
            chips = page.get_by_role("navigation", name="Popular tags")
            expect(chips.get_by_role("link", name="dressings")).to_be_visible()
            shot(page, "thread-list-tag-chips")
            chips.get_by_role("link", name="dressings").click()
            expect(page.locator(".thread-row")).to_have_count(2)
            remove = page.get_by_role("link", name=re.compile(r"dressings.*remove this filter"))
            expect(remove).to_be_visible()
            shot(page, "thread-list-tag-filtered")
            remove.click()
            expect(page.locator(".thread-row")).to_have_count(3)
            # The text box suggests the popular tags too (a datalist).
            assert page.locator("#tag-filter-options option").count() == 4
        finally:
            context.close()
