"""Racing requests leave items consistent: ten identical proposals are one item, ten edits by
different people are ten revisions numbered 2..11, ten clicks on Publish are one event, ten
identical change proposals are one.

Real threads with their own connections (``transaction=True``); the item row lock serialises
them on PostgreSQL, SQLite's write lock (with its busy timeout) on SQLite.
"""

import pytest

from knowledge.models import ChangeProposal, CurationEvent, Item, ItemRevision
from knowledge.services import curation
from tests.knowledge.ka_helpers import edit, propose, propose_change, publish
from tests.practice.factories import member_of, moderator_of
from tests.practice.test_threads_concurrency import run_at_once

pytestmark = pytest.mark.django_db(transaction=True)
WORKERS = 10


def test_concurrent_identical_proposals_make_one_item(open_community):
    member = member_of(open_community)
    errors = run_at_once(
        [lambda: propose(open_community, member, submission_key="k" * 32)] * WORKERS
    )
    assert errors == []
    assert Item.objects.count() == 1
    assert ItemRevision.objects.count() == 1


def test_concurrent_edits_make_consecutive_revisions(open_community):
    moderators = [moderator_of(open_community) for _ in range(WORKERS)]
    item = propose(open_community, member_of(open_community))
    errors = run_at_once(
        [(lambda m=m, i=i: edit(item, m, body=f"Version {i}")) for i, m in enumerate(moderators)]
    )
    assert errors == []
    item.refresh_from_db()
    numbers = list(item.revisions.values_list("number", flat=True))
    assert numbers == list(range(1, WORKERS + 2))
    assert item.revision_count == WORKERS + 1
    assert item.body == item.revisions.last().body


def test_concurrent_publish_clicks_publish_once(open_community):
    moderator = moderator_of(open_community)
    item = propose(open_community, member_of(open_community))
    errors = run_at_once([lambda: curation.item_publish(item=item, by=moderator)] * WORKERS)
    assert errors == []
    assert CurationEvent.objects.filter(item=item, action="published").count() == 1


def test_concurrent_identical_change_proposals_make_one(open_community):
    moderator, member = moderator_of(open_community), member_of(open_community)
    item = publish(open_community, member_of(open_community), moderator)
    errors = run_at_once([lambda: propose_change(item, member, body="Mine")] * WORKERS)
    assert errors == []
    assert ChangeProposal.objects.count() == 1
