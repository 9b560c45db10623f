"""Concurrent "I used this" reports stay exact: 20 clicks by one member are one report, one
report each by 20 members (some changing their minds) leave counters equal to the rows.

Real threads with their own connections; the item row lock serialises them on PostgreSQL, the
write lock on SQLite. Run on PostgreSQL too (DATABASE_URL=postgres://...).
"""

import pytest

from communities.models import Interaction
from knowledge.models import Evidence
from knowledge.services.evidence import evidence_report, evidence_withdraw
from tests.knowledge.kb_helpers import published_item
from tests.practice.factories import member_of, moderator_of
from tests.practice.test_threads_concurrency import WORKERS, run_at_once

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def item(open_community):
    community = open_community
    return published_item(community, member_of(community), moderator_of(community))


def test_twenty_concurrent_reports_by_one_member_make_one(item, open_community):
    member = member_of(open_community)
    errors = run_at_once(
        [lambda: evidence_report(item=item, member=member, outcome="worked", note="ok")] * WORKERS
    )
    assert errors == []
    item.refresh_from_db()
    assert Evidence.objects.filter(item=item).count() == 1
    assert (item.worked_count, item.used_count) == (1, 1)
    assert Interaction.objects.filter(kind="worked", actor=member).count() == 1


def test_concurrent_reports_changes_and_withdrawals_keep_counters_exact(item, open_community):
    members = [member_of(open_community) for _ in range(WORKERS)]
    for member in members[::4]:  # some already reported; they change or withdraw now
        evidence_report(item=item, member=member, outcome="failed")
    outcomes = ["worked", "partly", "failed"]

    def act(i, member):
        if i % 4 == 0 and i % 8 == 0:
            evidence_withdraw(item=item, member=member)
        else:
            evidence_report(item=item, member=member, outcome=outcomes[i % 3])

    errors = run_at_once([lambda i=i, m=m: act(i, m) for i, m in enumerate(members)])
    assert errors == []
    item.refresh_from_db()
    rows = Evidence.objects.filter(item=item)
    assert item.used_count == rows.count() == WORKERS - len(range(0, WORKERS, 8))
    assert item.worked_count == rows.filter(outcome="worked").count()
    assert item.partly_count == rows.filter(outcome="partly").count()
    assert item.failed_count == rows.filter(outcome="failed").count()
    worked_reporters = set(rows.filter(outcome="worked").values_list("member_id", flat=True))
    logged = set(Interaction.objects.filter(kind="worked").values_list("actor_id", flat=True))
    assert logged == worked_reporters
