"""A full run outside a transaction reads the stored tie table on a second connection while it
folds the log (``pipeline.alongside``), and writes what changed exactly as when it reads them
one after the other. Transactional: inside a test's transaction the second connection would not
see the rows, and the run reads the table itself."""

from datetime import timedelta

import pytest
from django.db import connection

from metrics import services
from metrics.models import TieStrength
from metrics.pipeline import alongside, run
from metrics.pipeline.cache import forget_ties
from tests.metrics.pipeline_fixtures import T, build_smallville, frozen

pytestmark = pytest.mark.django_db(transaction=True)


def _compute(community, moment, **kwargs):
    forget_ties()  # a fresh worker, as the daily full run may be: it reads the stored table
    with frozen(moment):
        return services.metrics_compute(community_id=community.pk, **kwargs)


def _ties():
    return {(t["user_a_id"], t["user_b_id"]): t for t in TieStrength.objects.values()}


def test_full_run_reads_the_tie_table_alongside_the_log_and_writes_only_what_changed(
    monkeypatch,
):
    from practice.services import endorsements
    from tests.practice.factories import answer

    if connection.vendor != "postgresql":
        pytest.skip("reads alongside are PostgreSQL's")
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
