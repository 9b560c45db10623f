"""A home for members and the dashboard on a phone, in a real browser: joining shows the welcome
once, the front page says what is new since the last visit; at 375 px no chart is cut off and
the keyboard reaches a person's name in the network. Screenshots (375 and 1280 px) go to
artifacts/screens/e2e/."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from communities.models import Membership
from practice.services.threads import post_create, thread_create
from tests.e2e.conftest import PHONE
from tests.e2e.test_dashboard import _log_in
from tests.factories import CommunityFactory, UserFactory, make_member
from tests.knowledge.kb_helpers import published_item
from tests.metrics.dashboard_data import make_members, write_snapshot

pytestmark = pytest.mark.e2e


@pytest.mark.django_db(transaction=True)
def test_join_welcome_then_home_shows_new_since_last_visit(live_server, page, screens):
    community = CommunityFactory(
        name="Physics teachers", slug="physics", domain="Teaching physics to 11–18 year olds"
    )
    author = make_member(community).user
    moderator = make_member(community, role=Membership.Role.MODERATOR).user
    published_item(community, author, moderator, title="Marble-run kinematics lab")
    me = UserFactory()
    base = live_server.url

    _log_in(page, base, me)
    page.goto(f"{base}/c/physics/")
    page.get_by_role("button", name="Join this community").click()
    welcome = page.get_by_role("region", name="Welcome to Physics teachers")
    expect(welcome).to_be_visible()
    expect(welcome).to_contain_text("Teaching physics to 11–18 year olds")
    expect(welcome.get_by_role("link", name="Ask a question")).to_be_visible()
    expect(welcome.get_by_role("link", name="Marble-run kinematics lab")).to_be_visible()
    screens(page, "home-01-welcome", phone=True)
    page.reload()
    expect(page.get_by_role("heading", name="Welcome to Physics teachers")).to_have_count(0)

    # Someone else writes after my visit (an hour ago): the front page says so, and links to
    # the threads.
    Membership.objects.filter(community=community, user=me).update(
        last_seen_at=timezone.now() - timedelta(hours=1)
    )
    thread = thread_create(
        community=community,
        author=author,
        kind="question",
        title="Why do trolleys slow down on the ramp?",
        body="Our results never match the model.",
    )
    post_create(thread=thread, author=moderator, body="Friction in the wheel bearings.")
    page.goto(f"{base}/")
    mine = page.get_by_role("region", name="My communities")
    expect(mine).to_contain_text("Physics teachers")
    expect(mine).to_contain_text("1 new thread")
    expect(mine).to_contain_text("1 new answer or reply")
    card = page.locator(".card", has_text="Physics teachers")
    expect(card).to_contain_text("posts in the last 30 days")
    expect(card).to_contain_text("Last activity")
    screens(page, "home-02-front-page", phone=True)
    mine.get_by_role("link", name="1 new thread").click()
    expect(page.get_by_role("link", name="Why do trolleys slow down on the ramp?")).to_be_visible()
    page.goto(f"{base}/")
    expect(page.get_by_role("region", name="My communities")).to_contain_text(
        "Nothing new since your last visit"
    )
    assert timezone.now() - Membership.objects.get(user=me).last_seen_at < timedelta(minutes=1)


@pytest.mark.django_db(transaction=True)
def test_dashboard_on_a_phone_fits_and_names_are_reachable_by_keyboard(live_server, page, screens):
    community = CommunityFactory(name="Wound care nurses", slug="wound-care")
    users = make_members(community, 40, groups=4)
    write_snapshot(community, users, history=6)
    base = live_server.url
    _log_in(page, base, users[0])
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/c/wound-care/dashboard/")
    heading = page.get_by_role("heading", name="How fast questions get a first answer")
    expect(heading).to_be_visible()

    # No chart is cut off or scrolls sideways at 375 px: each box holds its drawing, and every
    # drawing lies within the screen.
    boxes = page.evaluate(
        """() => [...document.querySelectorAll('.chart-box')].map(box => {
            const svg = box.querySelector('svg').getBoundingClientRect();
            return {scroll: box.scrollWidth, client: box.clientWidth,
                    left: svg.left, right: svg.right, id: box.querySelector('svg').id};
        })"""
    )
    assert len(boxes) >= 7
    for box in boxes:
        assert box["scroll"] <= box["client"], box
        assert box["left"] >= 0 and box["right"] <= PHONE["width"], box
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The technical terms wait behind "How this is computed".
    note = page.locator("details.how-computed").first
    expect(note.get_by_text("Gini", exact=False)).to_be_hidden()
    note.locator("summary").click()
    expect(note.get_by_text("Gini", exact=False)).to_be_visible()

    # The keyboard reaches a person's name: Tab to "People in the drawing", open it, Tab on.
    people = page.locator("details.network-people").first
    people.locator("summary").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.startswith("Person ")
    expect(page.locator(".network-selection").first).to_contain_text(f"Selected: {focused}")
    expect(page.locator("svg.chart-network .node-label").first).to_have_text(focused)
    expect(page.locator("svg.chart-network circle.is-selected")).to_have_count(1)
    # A click (or tap) on a circle names it too.
    page.locator("svg.chart-network circle").last.click()
    expect(page.locator(".network-selection").first).to_contain_text("Selected: Person")
    screens(page, "home-03-dashboard-phone", phone=True)
    page.goto(f"{base}/c/wound-care/dashboard/network/")
    expect(page.locator("details.network-people").first).to_be_visible()
    screens(page, "home-04-network", phone=True)
