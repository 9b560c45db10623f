"""The knowledge journey in a real browser: a moderator promotes a solved question to the
repertoire, edits and publishes it; a member finds it by search and reports that it worked;
another reports that it did not, and the item shows up in the moderator's content-health
queue."""

import re

import pytest
from playwright.sync_api import expect

from communities.models import Community, Interaction, Membership
from knowledge.models import CurationEvent, Evidence, Item, ItemContributor
from practice.services import endorsements
from practice.services import threads as thread_services
from tests.e2e.test_journey import log_in
from tests.e2e.test_practice_journey import long_standing_member
from tests.factories import CommunityFactory

pytestmark = pytest.mark.e2e

QUESTION = "How do you keep a heel dressing in place overnight?"
QUESTION_BODY = "It slips off by morning on a restless patient. What works for you?"
ANSWER = (
    "A tubular bandage over the dressing holds it without tape on fragile skin.\n\n"
    "- Cut it a little longer than the dressing\n- Check the skin at every change"
)
ITEM_TITLE = "Holding a heel dressing overnight with a tubular bandage"
SUMMARY = "Hold a heel dressing overnight with a tubular bandage instead of tape; check the skin."


@pytest.mark.django_db(transaction=True)
def test_knowledge_journey_promote_publish_search_worked_did_not_work_health(
    live_server, browser, screens
):
    base = live_server.url
    community = CommunityFactory(
        name="Wound care nurses",
        slug="wound-care-nurses",
        domain="Assessing, dressing and healing wounds",
        visibility=Community.Visibility.OPEN,
    )
    mona = long_standing_member(community, "mona")  # moderates
    Membership.objects.filter(community=community, user=mona).update(role=Membership.Role.MODERATOR)
    ada = long_standing_member(community, "ada")  # asked
    bob = long_standing_member(community, "bob")  # answered
    cleo = long_standing_member(community, "cleo")  # tried it: worked
    dan = long_standing_member(community, "dan")  # tried it: did not work
    thread = thread_services.thread_create(
        community=community, author=ada, kind="question", title=QUESTION, body=QUESTION_BODY,
        tags=["heels", "dressings"],
    )  # fmt: skip
    answer = thread_services.post_create(thread=thread, author=bob, body=ANSWER)
    endorsements.answer_accept(answer=answer, by=ada)
    thread_url = f"{base}/c/{community.slug}/t/{thread.pk}/"

    contexts = []

    def member_page(user):
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
        contexts.append(context)
        page = context.new_page()
        log_in(page, base, user.username)
        expect(page.locator(".site-header")).to_contain_text(user.username)
        return page

    try:
        # 1. The moderator opens the solved question and promotes it: the form is prefilled.
        m = member_page(mona)
        m.goto(thread_url)
        m.get_by_role("link", name="Add to library").first.click()
        expect(m.get_by_role("heading", name="Add to the library")).to_be_visible()
        expect(m.get_by_label("Title")).to_have_value(QUESTION)
        expect(m.get_by_label("Summary")).to_have_value(
            "A tubular bandage over the dressing holds it without tape on fragile skin."
        )
        body = m.get_by_label("Body")
        expect(body).to_have_value(re.compile(r"## The accepted answer\s+bob answered:", re.S))
        expect(m.locator(".promote-source")).to_contain_text("ada")
        expect(m.locator(".promote-source")).to_contain_text("bob")
        screens(m, "knowledge-01-promote-prefilled", phone=True)
        m.get_by_label("Title").fill(ITEM_TITLE)
        m.get_by_role("button", name="Propose the item").click()
        expect(m.get_by_role("heading", name=ITEM_TITLE)).to_be_visible()
        expect(m.locator(".provenance")).to_contain_text(QUESTION)
        item = Item.objects.get()
        assert item.state == Item.State.PROPOSED and item.source_thread_id == thread.pk
        screens(m, "knowledge-02-proposed-item")

        # 2. ... edits it (a better summary) and publishes it.
        m.get_by_role("link", name="Edit", exact=True).click()
        m.get_by_label("Summary").fill(SUMMARY)
        m.get_by_role("button", name="Save").click()
        expect(m.locator(".item-summary, .lead").first).to_be_visible()
        m.get_by_role("button", name="Publish").click()
        expect(m.locator("body")).to_contain_text(SUMMARY)
        item.refresh_from_db()
        assert item.state == Item.State.PUBLISHED and item.summary == SUMMARY
        assert item.revision_count == 2
        screens(m, "knowledge-03-published-item", phone=True)

        # The thread now says it is part of the repertoire, and links the item.
        m.goto(thread_url)
        note = m.locator(".repertoire-note")
        expect(note).to_contain_text("Now in the library")
        expect(note.get_by_role("link", name=ITEM_TITLE)).to_be_visible()
        screens(m, "knowledge-04-thread-provenance")

        # 3. A member finds it by search and reports that it worked.
        c = member_page(cleo)
        c.get_by_label("Search Practica").fill("tubular bandage heel")
        c.get_by_label("Search Practica").press("Enter")
        repertoire_hits = c.get_by_role("region", name="Library")
        expect(repertoire_hits).to_contain_text(ITEM_TITLE)
        screens(c, "knowledge-05-search")
        repertoire_hits.get_by_role("link", name=ITEM_TITLE).click()
        expect(c.get_by_role("heading", name=ITEM_TITLE)).to_be_visible()
        report = c.locator(".evidence-report")
        report.get_by_label("It worked", exact=True).check()
        report.get_by_label("What was your context?").fill("Night shifts on a surgical ward.")
        report.get_by_role("button", name="Send my report").click()
        expect(c.locator(".evidence-summary")).to_contain_text("1 worked")
        expect(c.locator(".evidence-mine")).to_contain_text("You said: worked")
        screens(c, "knowledge-06-worked")

        # 4. Another member reports that it did not work: the item is flagged for review.
        d = member_page(dan)
        d.goto(f"{base}{item.get_absolute_url()}")
        report = d.locator(".evidence-report")
        report.get_by_label("It did not work").check()
        report.get_by_label("What was your context?").fill(
            "Bandage rolled down on a bariatric patient."
        )
        report.get_by_role("button", name="Send my report").click()
        expect(d.locator(".evidence-alert")).to_contain_text(
            "1 member reported that this did not work"
        )
        expect(d.locator(".evidence-note-failed")).to_contain_text("bariatric")
        screens(d, "knowledge-07-did-not-work", phone=True)

        # 5. The moderator's content-health queue lists it under "Reported not to work".
        m.goto(f"{base}/c/{community.slug}/library/health/")
        section = m.locator("#health-negative")
        expect(section).to_contain_text(ITEM_TITLE)
        expect(section).to_contain_text("1 did not work")
        screens(m, "knowledge-08-health-queue", phone=True)
    finally:
        for context in contexts:
            context.close()

    reports = dict(Evidence.objects.values_list("member__username", "outcome"))
    assert reports == {"cleo": "worked", "dan": "failed"}
    credits = dict(ItemContributor.objects.values_list("user__username", "role"))
    assert credits == {"mona": "author", "ada": "source", "bob": "source"}
    assert set(CurationEvent.objects.filter(item=item).values_list("action", flat=True)) >= {
        "promoted",
        "edited",
        "published",
    }
    worked = set(
        Interaction.objects.filter(community=community, kind="worked").values_list(
            "actor__username", "target__username"
        )
    )
    assert worked == {("cleo", "mona"), ("cleo", "ada"), ("cleo", "bob")}
