"""The newcomer's journey in a real browser: sign up, confirm, join, request, get approved."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from playwright.sync_api import expect

from communities.models import Community, Membership
from tests.factories import CommunityFactory, UserFactory, make_member

pytestmark = pytest.mark.e2e

PASSWORD = "a long walk to the ward 42"
CANARY = "CANARY-circle-about-text"


def verified_moderator(community):
    user = UserFactory(username="maria", email="maria@example.org")
    user.set_password(PASSWORD)
    user.save()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    make_member(community, user, role=Membership.Role.MODERATOR)
    return user


def log_in(page, base_url, username):
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.django_db(transaction=True)
def test_journey_signup_confirm_join_request_and_approval(live_server, page, browser, screens):
    base = live_server.url
    open_community = CommunityFactory(
        name="Wound care nurses",
        slug="wound-care-nurses",
        domain="Assessing, dressing and healing wounds",
        visibility=Community.Visibility.OPEN,
        about="Share the **reasoning**, not only the product name.",
    )
    private = CommunityFactory(
        name="Palliative care circle",
        slug="palliative-care-circle",
        domain="Supporting people at the end of life, and each other",
        visibility=Community.Visibility.PRIVATE,
        about=f"What is said here stays here. {CANARY}",
    )
    moderator = verified_moderator(private)

    # 1. A visitor signs up; verification is mandatory, so they are asked to check their email.
    page.goto(f"{base}/accounts/signup/")
    screens(page, "01-signup", phone=True)
    page.get_by_label("Email").fill("ada@example.org")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile("email", re.I))
    screens(page, "02-verification-sent", phone=True)

    # 2. The confirmation email arrived (tasks run eagerly); its link confirms the address.
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    message = mail.outbox[0]
    assert message.to == ["ada@example.org"]
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", message.body)
    assert link, message.body
    page.goto(base + link.group(1))
    screens(page, "03-confirm-email")
    page.get_by_role("button", name=re.compile("confirm", re.I)).click()
    expect(page.locator(".site-header")).to_contain_text("ada")
    assert EmailAddress.objects.get(email="ada@example.org").verified
    screens(page, "04-confirmed-directory", phone=True)

    # 3. Join the open community at once.
    page.goto(f"{base}{open_community.get_absolute_url()}")
    page.get_by_role("button", name="Join this community").click()
    expect(page.get_by_text("You are a member of this community")).to_be_visible()
    screens(page, "05-joined-open", phone=True)

    # 4. Ask to join the private community, with a note; its content stays hidden meanwhile.
    page.goto(f"{base}{private.get_absolute_url()}")
    expect(page.get_by_text(CANARY)).to_have_count(0)
    screens(page, "06-private-before", phone=True)
    page.get_by_label(re.compile("message|note", re.I)).fill("Hospice nurse in Leeds, new in post.")
    page.get_by_role("button", name="Ask to join").click()
    expect(page.get_by_text("Your request to join is waiting for a moderator")).to_be_visible()
    expect(page.get_by_text(CANARY)).to_have_count(0)
    screens(page, "07-request-sent")
    assert page.goto(f"{base}/c/{private.slug}/members/").status == 404
    to_moderator = [m for m in mail.outbox if m.to == [moderator.email]]
    assert len(to_moderator) == 1 and "ada" in to_moderator[0].body

    # 5. The moderator logs in in another browser context and approves.
    mod_context = browser.new_context(viewport={"width": 1280, "height": 800})
    mod_page = mod_context.new_page()
    try:
        log_in(mod_page, base, moderator.username)
        expect(mod_page.locator(".site-header")).to_contain_text("maria")
        mod_page.goto(f"{base}/c/{private.slug}/moderate/")
        request_item = mod_page.locator(".request-list li").filter(has_text="ada")
        expect(request_item).to_contain_text("Hospice nurse in Leeds, new in post.")
        screens(mod_page, "08-moderate-pending", phone=True)
        request_item.get_by_role("button", name="Approve").click()
        expect(mod_page.get_by_text("No one is waiting")).to_be_visible()
        screens(mod_page, "09-moderate-approved")
    finally:
        mod_context.close()

    # 6. The member reloads: the about text and the members page are theirs now.
    page.goto(f"{base}{private.get_absolute_url()}")
    expect(page.get_by_text(CANARY)).to_be_visible()
    expect(page.get_by_text("You are a member of this community")).to_be_visible()
    screens(page, "10-private-member", phone=True)
    page.goto(f"{base}/c/{private.slug}/members/")
    expect(page.locator(".member-list")).to_contain_text("maria")
    expect(page.locator(".member-list")).to_contain_text("ada")
    screens(page, "11-private-members", phone=True)

    membership = Membership.objects.get(community=private, user__username="ada")
    assert membership.state == Membership.State.ACTIVE
    assert [e.kind for e in membership.events.order_by("pk")] == ["requested", "approved"]
