"""The seeded demo in a real browser: the demo member logs in and the busy pages hold up."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from demo import communities as demo

pytestmark = pytest.mark.e2e


@pytest.mark.django_db(transaction=True)
def test_demo_member_logs_in_and_browses_the_seeded_demo(live_server, page, screens):
    call_command("seed_demo", "--no-activity", stdout=open("/dev/null", "w"))  # noqa: SIM115
    base = live_server.url

    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username or email").fill(demo.DEMO_USERNAME)
    page.get_by_label("Password", exact=True).fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # The header names the member as everything else does: by their display name.
    expect(page.locator(".site-header")).to_contain_text("Sam Rivera")
    for spec in demo.COMMUNITIES:
        # Named in the directory (and, for the member's own, in "My communities" above it).
        expect(page.get_by_role("link", name=spec.name, exact=True).first).to_be_visible()
    screens(page, "demo-01-directory", phone=True)

    page.goto(f"{base}/c/learning-from-practice/")
    expect(page.get_by_role("heading", name="How we work")).to_be_visible()
    screens(page, "demo-02-community-home", phone=True)

    page.goto(f"{base}/c/learning-from-practice/members/")
    expect(page.locator(".member-list li")).to_have_count(30)  # the first page of ~250
    screens(page, "demo-03-members")

    page.goto(f"{base}/c/early-career-teachers/moderate/")
    expect(page.locator(".request-list li")).to_have_count(5)
    screens(page, "demo-04-moderate", phone=True)

    # A private community the demo member is not in: name and domain only.
    page.goto(f"{base}/c/incident-review-guild/")
    expect(page.get_by_text("nothing leaves the guild")).to_have_count(0)
    expect(page.get_by_role("button", name="Ask to join")).to_be_visible()
    screens(page, "demo-05-private-outside")

    page.locator(".site-header").get_by_role("link", name="Sam Rivera").click()
    expect(page.get_by_text("Sam Rivera").first).to_be_visible()
    screens(page, "demo-06-own-profile", phone=True)
