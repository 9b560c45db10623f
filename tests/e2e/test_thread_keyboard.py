"""A long thread by keyboard and on a phone (issue #13, item 2): "Jump to reply" within a few Tab
presses, j / k between posts, r to the answer box, / to search, ? for a help dialog that Escape
closes (focus going back), and a sticky Answer button at 375 px that covers no content and
steps aside while the reply box is on screen."""

import pytest
from playwright.sync_api import expect

from communities.models import Community
from tests.e2e.conftest import PHONE
from tests.e2e.test_journey import log_in
from tests.e2e.test_practice_journey import long_standing_member
from tests.factories import CommunityFactory
from tests.practice.factories import ask
from tests.practice.test_thread_pages import bulk_posts

pytestmark = pytest.mark.e2e


def focused(page) -> dict:
    return page.evaluate(
        "() => { const el = document.activeElement;"
        " return {tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name') || '',"
        " text: (el.textContent || '').trim().slice(0, 40), type: el.type || ''}; }"
    )


@pytest.mark.django_db(transaction=True)
def test_a_long_thread_by_keyboard_and_on_a_phone(page, live_server, screens):
    community = CommunityFactory(
        name="Wound care nurses", slug="wound-care", visibility=Community.Visibility.OPEN
    )
    asker = long_standing_member(community, "ada")
    helpers = [long_standing_member(community, name) for name in ("bob", "dan")]
    reader = long_standing_member(community, "cleo")
    thread = ask(community, asker, body="What keeps a heel dressing on overnight?")
    posts = bulk_posts(thread, helpers, 10)
    opening = thread.opening_post
    url = f"{live_server.url}{thread.get_absolute_url()}"
    log_in(page, live_server.url, reader.username)
    expect(page.locator(".site-header")).to_contain_text(reader.username)
    page.goto(url)
    screens(page, "thread-keyboard-01-long-thread", phone=True)

    # "Jump to reply" is the first link of the content: a few Tab presses through the header.
    presses = 0
    while focused(page)["text"] != "Jump to reply":
        page.keyboard.press("Tab")
        presses += 1
        assert presses <= 12, f"Jump to reply not reached in 12 Tab presses: {focused(page)}"
    # Or two, with the site's skip link.
    page.goto(url)
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to content"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Jump to reply"
    page.keyboard.press("Enter")
    page.wait_for_url("**#reply")
    expect(page.locator("#reply-heading")).to_be_in_viewport()

    # j / k move between posts; focus lands on the post. From the reply box, k is the last post.
    page.keyboard.press("k")
    assert focused(page)["id"] == page.locator("article.post").last.get_attribute("id")
    expect(page.locator("article.post").last).to_be_in_viewport()
    # From the top of the page, j is the opening post.
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("#thread-title").click()
    page.keyboard.press("j")
    assert focused(page)["id"] == f"post-{opening.pk}"
    page.keyboard.press("j")
    page.keyboard.press("j")
    second = page.locator("article.post").nth(2).get_attribute("id")
    assert focused(page)["id"] == second
    expect(page.locator(f"#{second}")).to_be_in_viewport()
    page.keyboard.press("k")
    assert focused(page)["id"] == page.locator("article.post").nth(1).get_attribute("id")
    assert {f"post-{p.pk}" for p in posts} >= {second}

    # r: the answer box; keys typed there are text, not shortcuts.
    page.keyboard.press("r")
    assert focused(page)["tag"] == "textarea" and focused(page)["name"] == "body"
    page.keyboard.type("jk?")
    assert focused(page)["tag"] == "textarea"
    expect(page.locator("#reply textarea[name=body]")).to_have_value("jk?")
    expect(page.get_by_role("dialog")).to_have_count(0)

    # ? opens the help over a post; Escape closes it and gives the focus back to that post.
    page.locator("#thread-title").click()
    page.keyboard.press("j")
    assert focused(page)["id"] == f"post-{opening.pk}"
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "true")
    expect(dialog).to_contain_text("Next post")
    assert focused(page)["text"] == "Close"
    page.keyboard.press("j")  # ignored while the help is open
    assert focused(page)["text"] == "Close"
    screens(page, "thread-keyboard-02-help", phone=True)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert focused(page)["id"] == f"post-{opening.pk}"
    # The page says the shortcuts exist: its button opens the same help.
    page.get_by_role("button", name="Keyboard shortcuts (?)").click()
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert focused(page)["text"] == "Keyboard shortcuts (?)"
    # ? toggles it too.
    page.keyboard.press("?")
    expect(dialog).to_be_visible()
    page.keyboard.press("?")
    expect(dialog).to_be_hidden()

    # / goes to the search box; a key with a modifier is left to the browser.
    page.keyboard.press("/")
    assert focused(page)["type"] == "search"
    page.locator("#thread-title").click()
    page.keyboard.press("Control+j")
    assert focused(page)["tag"] == "body"

    # At 375 px a sticky Answer button stays at the bottom, and the page leaves room for it.
    page.set_viewport_size(PHONE)
    page.evaluate("window.scrollTo(0, 0)")
    sticky = page.locator(".sticky-reply")
    expect(sticky).to_be_visible()
    expect(sticky).to_be_in_viewport()
    box = sticky.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"] and box["y"] > PHONE["height"] - 100
    padding = page.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector('article.thread')).paddingBottom)"
    )
    assert padding >= box["height"]
    footer = page.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector('.site-footer')).paddingBottom)"
    )
    assert footer >= box["height"]  # the footer's text is not under the button either
    screens(page, "thread-keyboard-03-phone-top")
    sticky.click()
    page.wait_for_url("**#reply")
    expect(page.locator("#reply-heading")).to_be_in_viewport()
    # With the reply box on screen the button steps aside (sticky-reply.js), and comes back.
    expect(sticky).to_be_hidden()
    screens(page, "thread-keyboard-04-phone-reply")
    page.evaluate("window.scrollTo(0, 0)")
    expect(sticky).to_be_visible()
    # Not on wide screens.
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(sticky).to_be_hidden()
