"""A half-written answer survives a reload: drafts.js saves it while the member types, the
thread page restores it from the server, and "Discard draft" throws it away."""

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import expect

from practice.models import Draft
from tests.factories import CommunityFactory
from tests.practice.factories import ask, member_of

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"


def _log_in(page, base, user):
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username or email").fill(user.username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".site-header")).to_contain_text(user.username)


@pytest.mark.django_db(transaction=True)
def test_an_answer_draft_is_saved_restored_and_discarded(live_server, page, screens):
    community = CommunityFactory(name="Wound care nurses", slug="wound-care", visibility="open")
    thread = ask(community, member_of(community))
    member = member_of(community)
    _log_in(page, live_server.url, member)
    page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    box = page.locator("#reply textarea[name=body]")
    box.fill("Half an answer: try a foam dressing")
    expect(page.locator("#reply [data-draft-status]")).to_have_text("Saved", timeout=10_000)
    # A fresh visit (not reload(), whose form-state restoring could fake it): from the server.
    page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    expect(box).to_have_value("Half an answer: try a foam dressing")
    expect(page.locator("#reply .draft-note")).to_contain_text("Draft saved")
    screens(page, "draft-restored", phone=True)
    page.get_by_role("button", name="Discard draft").click()
    page.wait_for_load_state("load")
    expect(page.locator("#reply textarea[name=body]")).to_have_value("")
    expect(page.get_by_role("button", name="Discard draft")).to_have_count(0)
    assert not Draft.objects.filter(user=member).exists()
