"""Keyboard only: a member asks a question and answers one with Tab, typing and Enter, and the
number of Tab stops on the way has an upper bound (the walk-through counted 83 to the answer
box of a 10-post thread before "Jump to reply")."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from practice.models import Post, Thread
from tests.e2e.conftest import DESKTOP
from tests.factories import CommunityFactory
from tests.practice.factories import ask, member_of
from tests.practice.test_thread_pages import bulk_posts

pytestmark = pytest.mark.e2e

# Upper bounds with a few stops to spare: the header (brand, search box and button, its links,
# log out), the community's tabs, the kind of thread, then the form.
MAX_TABS_TO_TITLE = 24  # 18 when measured
MAX_TABS_TITLE_TO_SUBMIT = 6  # 4: a similar thread's link, the body, the tags, "Post it"
MAX_KEYS_TO_ANSWER_BOX = 6  # Tab, Enter on the skip link; Tab, Enter on "Jump to reply"; Tab


def focused(page) -> dict:
    return page.evaluate(
        "() => { const el = document.activeElement; return {tag: el.tagName.toLowerCase(),"
        " id: el.id, name: el.getAttribute('name') || '', type: el.type || '',"
        " text: (el.textContent || el.value || '').trim().slice(0, 40)}; }"
    )


def tab_until(page, wanted, limit: int, *, follow=()) -> int:
    """Press Tab until *wanted*(focused element) holds, pressing Enter on the links named in
    *follow* on the way (skip links); return the number of key presses."""
    presses = 0
    while presses < limit:
        page.keyboard.press("Tab")
        presses += 1
        now = focused(page)
        if wanted(now):
            return presses
        if now["text"] in follow:
            page.keyboard.press("Enter")
            presses += 1
    raise AssertionError(f"not reached in {limit} key presses; focus is on {focused(page)}")


@pytest.mark.django_db(transaction=True)
def test_asking_and_answering_by_keyboard_alone(live_server, browser):
    community = CommunityFactory(name="Wound care nurses", slug="wound-care")
    member = member_of(community, username="sam")
    asker = member_of(community, username="ada")
    thread = ask(community, asker, title="What keeps a heel dressing on overnight?")
    bulk_posts(thread, [member_of(community), member_of(community)], 10)
    client = Client()
    client.force_login(member)
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    base = live_server.url
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base,
            }
        ]
    )
    page = context.new_page()
    try:
        # Ask: from the top of the new-thread page to the title, type, on to "Post it", Enter.
        page.goto(f"{base}/c/wound-care/threads/new/")
        to_title = tab_until(page, lambda f: f["name"] == "title", MAX_TABS_TO_TITLE)
        page.keyboard.type("Tubular bandage or tape for a heel dressing?")
        # The similar question already asked shows under the title: one more stop on the way.
        similar = page.get_by_role("region", name="Asked before? Similar threads here")
        expect(similar.get_by_role("link")).to_have_count(1)
        to_body = tab_until(page, lambda f: f["name"] == "body", 3)
        page.keyboard.type("Which holds better on fragile skin overnight?")
        to_submit = to_body + tab_until(
            page, lambda f: f["text"] == "Post it", MAX_TABS_TITLE_TO_SUBMIT - to_body
        )
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Tubular bandage or tape")).to_be_visible()
        assert Thread.objects.filter(author=member, title__startswith="Tubular").exists()

        # Answer the 10-post thread: skip link, "Jump to reply", the answer box, type, submit.
        page.goto(f"{base}{thread.get_absolute_url()}")
        to_box = tab_until(
            page,
            lambda f: f["tag"] == "textarea",
            MAX_KEYS_TO_ANSWER_BOX,
            follow=("Skip to content", "Jump to reply"),
        )
        page.keyboard.type("A tubular bandage, cut longer than the dressing.")
        tab_until(page, lambda f: f["tag"] == "button" and "answer" in f["text"].lower(), 6)
        page.keyboard.press("Enter")
        expect(page.get_by_text("A tubular bandage, cut longer than the dressing.")).to_be_visible()
        assert Post.objects.filter(thread=thread, author=member).exists()
        print(f"\nTab stops: {to_title} to the title, {to_submit} title to 'Post it', {to_box} "
              "keys to the answer box")  # fmt: skip
    finally:
        context.close()
