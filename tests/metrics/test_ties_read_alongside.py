"""A run outside a transaction in a fresh worker reads the stored tie table on a second
connection while it reads the members, the activity and (a full run) the log
(``pipeline.alongside``), and writes what changed exactly as when it reads them one after the
other. Transactional: inside a test's transaction the second connection would not
see the rows, and the run reads the table itself."""

from datetime import timedelta

import pytest

from metrics import services
from metrics.models import TieStrength
from metrics.pipeline import alongside, run
from metrics.pipeline.cache import forget_ties
from metrics.pipeline.run import MEMBER_ROW_FIELDS
from tests.metrics.pipeline_fixtures import T, build_smallville, frozen

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _compute(community, moment, **kwargs):
    forget_ties()  # a fresh worker, as the daily full run may be: it reads the stored table
    with frozen(moment):
        return services.metrics_compute(community_id=community.pk, **kwargs)


def _ties():
    return {(t["user_a_id"], t["user_b_id"]): t for t in TieStrength.objects.values()}


def test_runs_read_the_tie_table_alongside_and_write_only_what_changed(
    monkeypatch,
):
    from practice.services import endorsements
    from tests.practice.factories import answer

    reads = []

    def counted(read):
        reads.append(read)
        return alongside.read_alongside(read)

    monkeypatch.setattr(run, "read_alongside", counted)
    village = build_smallville()
    reads.clear()  # the fixture's own commits may have run the metrics task
    _compute(village.community, T)
    first = _ties()
    assert any(village.eve.pk in key for key in first)

    _compute(village.community, T + timedelta(hours=1), full=True)
    assert _ties() == first  # nothing new: every row left alone, bit for bit

    ana_answer = village.q1.posts.get(author=village.ana)
    with frozen(T + timedelta(hours=2)):
        endorsements.vote_set(post=ana_answer, voter=village.eve, helpful=False)
        answer(village.q2, village.dee, body="Wrap it.")
    snapshot = _compute(village.community, T + timedelta(hours=3), full=True)

    assert len(reads) == 3  # every full run read the stored table alongside the log
    after = _ties()
    gone = {key for key in first if village.eve.pk in key}  # the retracted vote's pair
    new_pair = (village.cai.pk, village.dee.pk)
    assert set(after) == (set(first) - gone) | {new_pair}
    for key in set(first) - gone:
        assert after[key] == first[key]  # same id, same state, score within 0.01: left alone
    assert snapshot.data["ties"]["pairs"] == len(after)

    # A fresh worker's incremental run reads the table alongside too (while it reads the
    # members and the activity), and stores what a full run of the same moment stores.
    with frozen(T + timedelta(hours=4)):
        answer(village.q1, village.dee, body="Silver.")
    incremental = _compute(village.community, T + timedelta(hours=5))
    assert len(reads) == 4 and incremental.data["run"]["full"] is False
    rows = list(incremental.members.order_by("user_id").values_list(*MEMBER_ROW_FIELDS))
    full = _compute(village.community, T + timedelta(hours=5), full=True)
    assert full.data["ties"] == incremental.data["ties"]
    assert list(full.members.order_by("user_id").values_list(*MEMBER_ROW_FIELDS)) == rows
