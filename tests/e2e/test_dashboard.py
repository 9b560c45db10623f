"""The dashboard in a real browser: a member opens the community dashboard and the network
view; screenshots at 375 px and 1280 px go to artifacts/screens/e2e/."""

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import expect

from communities.models import Membership, Profile
from tests.factories import CommunityFactory, make_member
from tests.metrics.dashboard_data import make_members, write_snapshot

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"


def _log_in(page, base, user):
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    username = user.username
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # The header names the member by their display name (read fresh: set by a queryset update).
    name = Profile.objects.get(user=user).display_name or user.username
    expect(page.locator(".site-header")).to_contain_text(name)


@pytest.mark.django_db(transaction=True)
def test_member_opens_dashboard_and_network_view(live_server, page, screens):
    community = CommunityFactory(name="Wound care nurses", slug="wound-care")
    users = make_members(community, 60, groups=4)
    write_snapshot(community, users, history=6)
    moderator = make_member(community, role=Membership.Role.MODERATOR).user
    base = live_server.url

    _log_in(page, base, users[0])
    page.goto(f"{base}/c/wound-care/")
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_role("heading", name="How the community is doing")).to_be_visible()
    expect(page.locator("svg.chart-network circle")).to_have_count(60)
    # Names on hover: each node's <title> carries the member's name for members.
    titles = page.locator("svg.chart-network circle title").all_text_contents()
    assert any(t.startswith("Person ") for t in titles)
    # Tapping a circle names it under the drawing (phones show no SVG tooltips).
    page.locator("svg.chart-network circle").last.click()
    expect(page.locator(".network-selection").first).to_contain_text("Selected: Person")
    page.get_by_role("link", name="30 days").click()
    expect(page.get_by_role("link", name="30 days")).to_have_attribute("aria-current", "true")
    screens(page, "dashboard-01-overview", phone=True)

    page.get_by_role("link", name="Network", exact=True).click()
    expect(page.get_by_role("heading", name="The same network as a table")).to_be_visible()
    expect(page.locator(".network-table tbody tr")).to_have_count(50)
    screens(page, "dashboard-02-network", phone=True)

    page.get_by_role("link", name="My network").click()
    expect(page.get_by_role("heading", name="Your ties")).to_be_visible()
    screens(page, "dashboard-03-my-network", phone=True)

    page.context.clear_cookies()
    _log_in(page, base, moderator)
    page.goto(f"{base}/c/wound-care/dashboard/members/")
    expect(page.get_by_role("heading", name="Every member's level")).to_be_visible()
    screens(page, "dashboard-04-moderator", phone=True)
