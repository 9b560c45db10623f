"""The content-health queue: its sections, their order and counts, who may see it, and a query
count that does not grow with the repertoire."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from knowledge.models import ChangeProposal, Evidence, Item
from knowledge.selectors.health import health_queue, tag_gaps
from knowledge.services.curation import item_mark_reviewed, item_request_changes
from knowledge.services.evidence import evidence_report
from knowledge.services.items import change_propose
from tests.factories import UserFactory
from tests.knowledge.kb_helpers import proposed_item, published_item
from tests.practice.factories import answer, ask, member_of, moderator_of

pytestmark = pytest.mark.django_db
Outcome = Evidence.Outcome


def titles(section):
    return [getattr(row, "title", None) or getattr(row, "name", None) for row in section.rows]


@pytest.fixture
def people(open_community):
    community = open_community
    return community, moderator_of(community, username="mod"), member_of(community, username="am")


def test_health_queue_sections(people, settings):
    community, moderator, author = people
    settings.KNOWLEDGE_REVIEW_AFTER_MONTHS = 6
    proposed_item(community, author, title="Waiting one")
    sent_back = proposed_item(community, author, title="Needs work")
    item_request_changes(item=sent_back, by=moderator, comment="Add a source, please.")
    fine = published_item(community, author, moderator, title="Fine", tags=["heels"])
    change_propose(
        item=fine, by=member_of(community), kind=fine.kind, title="Fine (better)",
        summary=fine.summary, body=fine.body, tag_names=["heels"], note="Clearer title",
    )  # fmt: skip
    old = published_item(community, author, moderator, title="Old")
    Item.objects.filter(pk=old.pk).update(
        last_reviewed_at=timezone.now() - timedelta(days=200),
        published_at=timezone.now() - timedelta(days=400),
    )
    partly = published_item(community, author, moderator, title="Partly")
    failed_once = published_item(community, author, moderator, title="Failed once")
    failed_twice = published_item(community, author, moderator, title="Failed twice")
    reviewed = published_item(community, author, moderator, title="Reviewed since")
    later = timezone.now() + timedelta(minutes=5)
    reporters = [member_of(community) for _ in range(3)]
    with mock.patch("django.utils.timezone.now", return_value=later):
        evidence_report(item=partly, member=reporters[0], outcome=Outcome.PARTLY)
        evidence_report(item=failed_once, member=reporters[0], outcome=Outcome.FAILED)
        evidence_report(item=failed_twice, member=reporters[0], outcome=Outcome.FAILED)
        evidence_report(item=failed_twice, member=reporters[1], outcome=Outcome.FAILED)
        evidence_report(item=fine, member=reporters[2], outcome=Outcome.WORKED)
        evidence_report(item=reviewed, member=reporters[2], outcome=Outcome.FAILED)
    with mock.patch("django.utils.timezone.now", return_value=later + timedelta(minutes=5)):
        item_mark_reviewed(item=reviewed, by=moderator)
    ask(community, author, title="Heel?", tags=["heels"])
    ask(community, author, title="Sacrum?", tags=["sacrum"])
    ask(community, author, title="Sacrum again?", tags=["sacrum", "night"])
    answer(ask(community, author, title="Night?", tags=["night"]), member_of(community))

    queue = health_queue(community=community, now=later + timedelta(minutes=10))
    assert titles(queue["proposals"]) == ["Waiting one"]
    assert [c.title for c in queue["changes"].rows] == ["Fine (better)"]
    assert titles(queue["changes_requested"]) == ["Needs work"]
    assert titles(queue["negative"]) == ["Failed twice", "Failed once", "Partly"]
    assert titles(queue["stale"]) == ["Old"]
    assert titles(queue["tags"]) == ["sacrum", "night"]
    assert [(g.questions, g.unanswered) for g in queue["tags"].rows] == [(2, 2), (2, 1)]
    assert [s.count for s in queue.sections] == [1, 1, 1, 3, 1, 2]
    assert queue.total == 9


def test_health_review_setting_moves_items_in_and_out(people, settings):
    community, moderator, author = people
    item = published_item(community, author, moderator)
    Item.objects.filter(pk=item.pk).update(last_reviewed_at=timezone.now() - timedelta(days=100))
    settings.KNOWLEDGE_REVIEW_AFTER_MONTHS = 12
    assert health_queue(community=community)["stale"].count == 0
    settings.KNOWLEDGE_REVIEW_AFTER_MONTHS = 3
    assert health_queue(community=community)["stale"].count == 1
    item_mark_reviewed(item=item, by=moderator)
    assert health_queue(community=community)["stale"].count == 0


def test_tag_gaps_ignore_hidden_and_non_questions_and_match_case(people):
    community, moderator, author = people
    published_item(community, author, moderator, tags=["Heels"])
    ask(community, author, title="heels?", tags=["heels"])
    from tests.practice.factories import discuss

    discuss(community, author, title="Chat")  # no tags, not a question
    hidden = ask(community, author, title="Secret", tags=["hidden-topic"])
    from practice.services import threads as thread_services

    thread_services.post_hide(post=hidden.opening_post, by=moderator)
    assert tag_gaps(community=community) == []


# --- the page -----------------------------------------------------------------------------------


def health_url(community):
    return reverse("knowledge:health", args=[community.slug])


def test_health_page_for_moderators_only(client, people, private_community):
    community, moderator, author = people
    client.force_login(moderator)
    response = client.get(health_url(community))
    assert response.status_code == 200
    assert "Content health" in response.content.decode()
    client.force_login(author)
    assert client.get(health_url(community)).status_code == 403
    client.logout()
    assert client.get(health_url(community)).status_code == 302
    client.force_login(UserFactory())
    assert client.get(health_url(private_community)).status_code == 404


def test_health_page_shows_counts_and_did_not_work_items(client, people):
    community, moderator, author = people
    item = published_item(community, author, moderator, title="Honey for every wound")
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(1)):
        evidence_report(item=item, member=member_of(community), outcome=Outcome.FAILED)
    client.force_login(moderator)
    html = client.get(health_url(community)).content.decode()
    assert "Reported not to work" in html and "Honey for every wound" in html
    assert "1 did not work" in html
    assert f"{item.get_absolute_url()}#evidence" in html


def fill_queue(community, author, start: int, stop: int) -> None:
    """Rows *start*..*stop* of every section, written in bulk (the services are tested above)."""
    now = timezone.now()
    long_ago = now - timedelta(days=800)

    def item(i, state, title, **kw):
        return Item(
            community=community, kind="method", title=f"{title} {i}", summary="S", state=state,
            proposed_by=author, created_at=now, updated_at=now, **kw,
        )  # fmt: skip

    rows = []
    for i in range(start, stop):
        rows += [
            item(i, Item.State.PROPOSED, "Proposal"),
            item(i, Item.State.CHANGES_REQUESTED, "Sent back"),
            item(i, Item.State.PUBLISHED, "Stale", published_at=long_ago,
                 last_reviewed_at=long_ago),
            item(i, Item.State.PUBLISHED, "Bad", published_at=now, last_reviewed_at=now,
                 failed_count=1, used_count=1),
        ]  # fmt: skip
    Item.objects.bulk_create(rows)
    bad = list(Item.objects.filter(community=community, title__startswith="Bad ", evidence=None))
    Evidence.objects.bulk_create(
        Evidence(item=b, member=author, outcome=Outcome.FAILED, created_at=now + timedelta(1),
                 updated_at=now + timedelta(1))
        for b in bad
    )  # fmt: skip
    ChangeProposal.objects.bulk_create(
        ChangeProposal(item=b, proposed_by=author, kind="method", title=f"{b.title} fixed",
                       summary="S", created_at=now)
        for b in bad
    )  # fmt: skip
    for i in range(start, stop):
        ask(community, author, title=f"Q {i}", tags=[f"q{i}"])


def test_health_page_queries_do_not_grow(client, people):
    community, moderator, author = people
    client.force_login(moderator)
    counts = []
    for start, stop in ((0, 5), (5, 200)):
        fill_queue(community, author, start, stop)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(health_url(community))
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
        queue = response.context["queue"]
        assert [s.count for s in queue.sections] == [stop] * 6
        assert all(section.rows for section in queue.sections)
    assert counts[0] == counts[1], counts
