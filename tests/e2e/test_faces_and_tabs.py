"""Faces and names, and the moderators' header on a phone (issue #13, items 5 and 10): a member
uploads a picture and sees it beside their answer; a moderator at 375 px gets the community's
tabs in a row or two, the rest under "More" (no script needed)."""

import os
from io import BytesIO
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from communities.models import Membership, Profile
from notifications.services import notify
from tests.e2e.conftest import DESKTOP, PHONE, SCREENS, Screens
from tests.factories import CommunityFactory
from tests.practice.factories import answer, ask, member_of

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
# With the other browser tests' screenshots unless PRACTICA_NAMES_SHOTS names another folder.
SHOTS = Path(os.environ.get("PRACTICA_NAMES_SHOTS", SCREENS / "faces"))


def _log_in(page, base, user):
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username or email").fill(user.username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # The header names the member by their display name (read fresh from the profile).
    name = Profile.objects.get(user=user).display_name or user.username
    expect(page.locator(".site-header")).to_contain_text(name)


def _picture(path: Path) -> Path:
    image = Image.new("RGB", (480, 320), (30, 110, 160))
    for x in range(160, 320):
        for y in range(80, 240):
            image.putpixel((x, y), (250, 200, 40))
    buffer = BytesIO()
    image.save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.django_db(transaction=True)
def test_member_uploads_a_picture_and_sees_it_beside_their_answer(live_server, page, tmp_path):
    shots = Screens(SHOTS)
    base = live_server.url
    community = CommunityFactory(name="Wound care nurses", slug="wound-care", visibility="open")
    asker = member_of(community, username="ada")
    sam = member_of(community, username="sam")
    Profile.objects.filter(user=sam).update(display_name="Sam Rivera")
    Profile.objects.filter(user=asker).update(display_name="Ada Osei")
    thread = ask(community, asker, title="Heel dressings that stay on")
    post = answer(thread, sam, body="A hydrocolloid, changed every three days.")
    notify(
        recipient_ids=[sam.pk],
        kind="reply",
        community=community,
        actor=asker,
        target=post,
        text="Ada Osei replied in “Heel dressings that stay on”",
        url=post.get_absolute_url(),
    )

    _log_in(page, base, sam)
    page.goto(f"{base}{reverse('communities:profile_edit')}")
    expect(page.locator(".avatar-edit .avatar-initials")).to_have_text("SR")
    # A file that is not a picture: refused beside the field, nothing saved.
    bad = tmp_path / "notes.png"
    bad.write_bytes(b"these are notes, not a picture")
    page.get_by_label("Upload a picture").set_input_files(str(bad))
    page.get_by_role("button", name="Upload picture").click()
    expect(page.locator(".avatar-edit .error-message")).to_contain_text("not a .png file")
    shots(page, "profile-edit-picture-refused", phone=True)
    page.get_by_label("Upload a picture").set_input_files(str(_picture(tmp_path / "me.png")))
    page.get_by_role("button", name="Upload picture").click()
    expect(page.get_by_text("Your picture was saved.")).to_be_visible()
    expect(page.locator(".avatar-edit img.avatar")).to_be_visible()
    shots(page, "profile-edit-picture", phone=True)

    page.goto(f"{base}{thread.get_absolute_url()}")
    face = page.locator(f"#post-{post.pk} .post-meta img.avatar")
    expect(face).to_be_visible()
    assert "/avatars/" in face.get_attribute("src")
    assert page.evaluate("(img) => img.naturalWidth", face.element_handle()) == 64
    # The asker has no picture: initials, coloured, beside the opening post.
    expect(page.locator(".post-opening .avatar-initials")).to_have_text("AO")
    shots(page, "thread-faces", phone=True)

    page.goto(f"{base}{reverse('communities:profile', args=['sam'])}")
    expect(page.locator(".person-heading img.avatar")).to_be_visible()
    shots(page, "profile-page", phone=True)
    page.goto(f"{base}{reverse('communities:members', args=[community.slug])}")
    expect(page.locator(".member-list img.avatar")).to_have_count(1)
    shots(page, "members-page", phone=True)
    page.goto(f"{base}{reverse('notifications:notifications')}")
    expect(page.locator(".notification .avatar-initials")).to_have_text("AO")
    shots(page, "notifications-page", phone=True)


@pytest.mark.django_db(transaction=True)
def test_moderators_tabs_are_grouped_on_a_phone(live_server, browser):
    shots = Screens(SHOTS)
    base = live_server.url
    community = CommunityFactory(name="Early-career teachers", slug="early", visibility="request")
    moderator = member_of(community, username="mona")
    Membership.objects.filter(user=moderator).update(role=Membership.Role.MODERATOR)
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    try:
        _log_in(page, base, moderator)
        page.goto(f"{base}{community.get_absolute_url()}")
        tabs = page.locator("nav.tabs")
        visible = tabs.locator(":scope > a:visible")
        expect(visible).to_have_count(4)  # About, Threads, Library, Members
        more = tabs.locator("details.tabs-more summary")
        expect(more).to_be_visible()
        tab_height = visible.first.bounding_box()["height"]
        assert tabs.bounding_box()["height"] <= 2.2 * tab_height  # two rows at most, not four
        expect(tabs.get_by_role("link", name="Moderation")).to_be_hidden()
        shots._save(page, "moderator-tabs-375.png")
        more.click()
        expect(tabs.get_by_role("link", name="Moderation")).to_be_visible()
        expect(tabs.get_by_role("link", name="Requests & invitations")).to_be_visible()
        expect(tabs.get_by_role("link", name="Dashboard")).to_be_visible()
        shots._save(page, "moderator-tabs-open-375.png")
        tabs.get_by_role("link", name="Moderation").click()
        expect(page.get_by_role("heading", name="Requests to join (0)")).to_be_visible()
        expect(page.locator("details.tabs-more summary")).to_have_class("is-current")
        shots._save(page, "moderation-queue-375.png")
        # Wide screens keep every tab in the row and no "More".
        page.set_viewport_size(DESKTOP)
        expect(tabs.get_by_role("link", name="Requests & invitations")).to_be_visible()
        expect(page.locator("details.tabs-more")).to_be_hidden()
        shots._save(page, "moderation-queue-1280.png")
    finally:
        context.close()


@pytest.mark.django_db(transaction=True)
def test_visitor_sees_sign_up_beside_log_in_and_a_labelled_search(live_server, page):
    shots = Screens(SHOTS)
    community = CommunityFactory(name="Wound care nurses", slug="wound-care", visibility="open")
    thread = ask(community, member_of(community))
    page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    search = page.get_by_label("Search Practica")
    expect(search).to_have_attribute("placeholder", "Questions, library, people")
    reply = page.locator("#reply")
    expect(reply.get_by_role("link", name="Log in")).to_be_visible()
    expect(reply.get_by_role("link", name="Sign up")).to_have_attribute(
        "href", f"/accounts/signup/?next={thread.get_absolute_url()}%23reply"
    )
    shots(page, "thread-visitor", phone=True)
