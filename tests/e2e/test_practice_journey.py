"""The practice journey in a real browser: ask with a tag and a mention, get notified, answer,
accept, vote, report that it worked, and read the notification trail."""

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone
from playwright.sync_api import expect

from communities.models import Community, Interaction, Membership
from notifications.models import Notification
from practice.models import AdoptionReport, Post, PostMention, Thread, Vote
from practice.services import threads as thread_services
from tests.e2e.test_journey import PASSWORD, log_in
from tests.factories import CommunityFactory, UserFactory, make_member

pytestmark = pytest.mark.e2e

TITLE = "How do you keep a heel dressing in place overnight?"
BODY = "It slips off by morning. What do you think, @bob?"
TAG = "dressings"
ANSWER = "A tubular bandage over the dressing holds it; check the skin at every change."


def long_standing_member(community, username):
    """A verified member who joined a year ago, so the new-member rate limits do not apply."""
    user = UserFactory(username=username, email=f"{username}@example.org")
    user.set_password(PASSWORD)
    user.save()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    make_member(community, user)
    Membership.objects.filter(community=community, user=user).update(
        joined_at=timezone.now() - timedelta(days=365)
    )
    return user


def answer_blocks(page):
    return page.locator(".answers article.post")


def interaction_pairs(community):
    return {
        (i.kind, i.actor.username, i.target.username)
        for i in Interaction.objects.filter(community=community).select_related("actor", "target")
    }


@pytest.mark.django_db(transaction=True)
def test_practice_journey_question_mention_answer_accept_vote_worked(live_server, browser, screens):
    base = live_server.url
    community = CommunityFactory(
        name="Wound care nurses",
        slug="wound-care-nurses",
        domain="Assessing, dressing and healing wounds",
        visibility=Community.Visibility.OPEN,
    )
    ada = long_standing_member(community, "ada")  # A asks
    bob = long_standing_member(community, "bob")  # B is mentioned and answers
    cleo = long_standing_member(community, "cleo")  # C votes and tried it
    dan = long_standing_member(community, "dan")  # answers first, through the service

    contexts = []

    def member_page(user):
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
        contexts.append(context)
        page = context.new_page()
        log_in(page, base, user.username)
        expect(page.locator(".site-header")).to_contain_text(user.username)
        return page

    try:
        # 1. A starts a question with a tag and a mention; the live preview links the mention.
        a = member_page(ada)
        a.goto(f"{base}/c/{community.slug}/threads/")
        screens(a, "practice-01-thread-list-empty")
        a.get_by_role("link", name="Start a thread").first.click()
        expect(a.get_by_role("heading", name="Start a thread")).to_be_visible()
        a.get_by_label(re.compile("^A question")).check()
        a.get_by_label("Title").fill(TITLE)
        a.get_by_label("Your text").fill(BODY)
        a.get_by_label("Tags").fill(TAG)
        preview = a.locator(".preview-body")
        expect(preview.locator("a.mention")).to_have_text("@bob")
        expect(preview.locator("a.mention")).to_have_attribute("href", "/u/bob/")
        screens(a, "practice-02-new-question-preview", phone=True)
        a.get_by_role("button", name="Post it").click()
        expect(a.locator("#thread-title")).to_have_text(TITLE)
        expect(a.locator(".thread-badges")).to_contain_text("Question")
        expect(a.locator(".thread-tags")).to_contain_text(TAG)
        expect(a.locator(".post-opening a.mention")).to_have_text("@bob")
        screens(a, "practice-03-question-posted")
        thread = Thread.objects.get(title=TITLE)
        thread_url = f"{base}{thread.get_absolute_url()}"

        # Another member answers first, so "the accepted answer first" can be seen to move.
        thread_services.post_create(
            thread=thread, author=dan, body="Try a hydrocolloid; it sticks better."
        )

        # 2. B sees the unread badge, opens the notifications, follows the mention to the question.
        b = member_page(bob)
        badge = b.locator(".nav-notifications .count-badge")
        expect(badge).to_have_text(
            re.compile(r"^1\s*unread$")
        )  # the mention; B follows nothing yet
        screens(b, "practice-04-bob-badge")
        b.locator(".nav-notifications").click()
        expect(b.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
        mention = b.locator(".notification").filter(has_text="ada mentioned you")
        expect(mention).to_contain_text(TITLE)
        expect(mention).to_have_class(re.compile("notification-unread"))
        screens(b, "practice-05-bob-notifications", phone=True)
        mention.get_by_role("link").click()
        expect(b.locator("#thread-title")).to_have_text(TITLE)
        expect(badge).to_have_count(0)  # opening the notice marked it read

        # 3. B answers.
        b.get_by_label("Your text").fill(ANSWER)
        b.get_by_role("button", name="Post answer").click()
        expect(b.get_by_text("Your answer is posted.")).to_be_visible()
        expect(b.locator("#answers-heading")).to_have_text("2 answers")
        screens(b, "practice-06-bob-answered")
        answer = Post.objects.get(thread=thread, author=bob)

        # 4. A reloads and accepts B's answer: solved, and B's answer moves to the top.
        a.goto(thread_url)
        expect(answer_blocks(a).first).to_contain_text("hydrocolloid")
        bob_block = a.locator(f"#post-{answer.pk}")
        bob_block.get_by_role("button", name="Accept this answer").click()
        expect(a.get_by_text("Marked as the accepted answer")).to_be_visible()
        expect(a.locator(".thread-badges")).to_contain_text("Solved")
        expect(answer_blocks(a).first).to_have_attribute("id", f"post-{answer.pk}")
        expect(answer_blocks(a).first).to_contain_text("Accepted answer")
        screens(a, "practice-07-accepted", phone=True)

        # 5. C votes B's answer helpful and reports that it worked.
        c = member_page(cleo)
        c.goto(thread_url)
        c_block = c.locator(f"#post-{answer.pk}")
        c_block.get_by_role("button", name=re.compile("helpful")).click()
        expect(c_block.locator(".vote-count")).to_have_text("1")
        expect(c_block.locator(".vote-button")).to_have_attribute("aria-pressed", "true")
        c_block.get_by_role("button", name="Worked for me").click()  # beside the vote
        expect(c.get_by_text("Thank you: your experience helps the next person.")).to_be_visible()
        expect(c_block.locator(".adoption-counts")).to_contain_text("Worked for 1")
        expect(c_block).to_contain_text("You said this worked for you")
        screens(c, "practice-08-cleo-voted-worked", phone=True)

        # 6. A reads the trail: both answers; the vote and the report tell no one by design.
        a.goto(f"{base}/notifications/")
        items = a.locator(".notification")
        expect(items).to_have_count(2)
        expect(items.nth(0)).to_contain_text(f"bob answered “{TITLE}”")
        expect(items.nth(1)).to_contain_text(f"dan answered “{TITLE}”")
        expect(a.locator(".notification-list")).not_to_contain_text("cleo")
        screens(a, "practice-09-ada-trail", phone=True)

        # B hears that the answer was accepted.
        b.goto(f"{base}/notifications/")
        accepted = b.locator(".notification").filter(has_text="was accepted")
        expect(accepted).to_contain_text(f"Your answer to “{TITLE}” was accepted")
        expect(accepted).to_have_class(re.compile("notification-unread"))
        screens(b, "practice-10-bob-accepted-notice", phone=True)
        c.goto(thread_url)
        screens(c, "practice-11-thread-final", phone=True)
    finally:
        for context in contexts:
            context.close()

    thread.refresh_from_db()
    assert thread.kind == Thread.Kind.QUESTION
    assert thread.is_solved and thread.accepted_post_id == answer.pk
    assert list(thread.tags.names()) == [TAG]
    assert list(Vote.objects.values_list("post_id", "voter__username")) == [(answer.pk, "cleo")]
    assert list(AdoptionReport.objects.values_list("post_id", "member__username", "worked")) == [
        (answer.pk, "cleo", True)
    ]
    assert list(PostMention.objects.values_list("post__is_opening", "user__username")) == [
        (True, "bob")
    ]
    assert interaction_pairs(community) == {
        ("mention", "ada", "bob"),
        ("answer", "dan", "ada"),
        ("answer", "bob", "ada"),
        ("accept", "ada", "bob"),
        ("vote", "cleo", "bob"),
        ("worked", "cleo", "bob"),
    }
    trail = sorted(
        Notification.objects.filter(community=community).values_list(
            "recipient__username", "kind", "actor__username"
        )
    )
    assert trail == [
        ("ada", "reply", "bob"),
        ("ada", "reply", "dan"),
        ("bob", "accepted", "ada"),
        ("bob", "mention", "ada"),
        ("dan", "reply", "bob"),  # dan follows the thread he answered in
    ]
    assert cleo.pk not in set(Notification.objects.values_list("recipient_id", flat=True))
