"""The activity per member and day kept in the database (``metrics.pipeline.kept_activity``): a
worker without it in memory starts from the table and reads again only the changed days, and
stores exactly what a full recompute stores; the table is used only under its run's token."""

import logging
from datetime import timedelta
from unittest import mock

import pytest

from metrics import collect, services
from metrics.models import KeptActivityDay, KeptActivityState, MetricsState
from metrics.pipeline import kept_activity, store
from metrics.pipeline.cache import forget_ties
from metrics.pipeline.plan import Plan
from metrics.pipeline.times import window_start
from practice.services import moderation
from tests.metrics.pipeline_fixtures import T, build_smallville, frozen
from tests.metrics.test_activity_incremental import (
    CHANGES,
    LATER,
    _answer_of,
    _setup_extra_sources,
    _stored,
)
from tests.practice.factories import answer

pytestmark = pytest.mark.django_db(transaction=False)


def _table(village, as_of):
    since = window_start(as_of, 90)
    return collect.kept_activity_days(village.community.pk, since=since.date())


def _full_read(village, as_of):
    since = window_start(as_of, 90)
    return collect.member_activity(village.community.pk, since=since, until=as_of).by_member_day


def _run(village, at, **kwargs):
    with frozen(at):
        return services.metrics_compute(community_id=village.community.pk, **kwargs)


def _fresh_run(village, at):
    """A run in a worker that holds nothing in memory; return it and the days it read again
    (one list per read of the sources: None for the whole window)."""
    forget_ties()
    with mock.patch.object(collect, "member_activity", wraps=collect.member_activity) as read:
        snapshot = _run(village, at)
    return snapshot, [call.kwargs.get("days") for call in read.call_args_list]


def _full_recompute(village, at):
    forget_ties()
    return _stored(_run(village, at, full=True))


def _hide_ben_reply(village, at):
    """Ben's reply of T - 40 d hidden: one marked day."""
    with frozen(at):
        moderation.content_hide(post=_answer_of(village, village.ben, village.d1), by=village.ana)


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_kept_activity_fresh_worker_equals_a_full_recompute(change):
    do, marked_days, path = CHANGES[change]
    village = build_smallville()
    _setup_extra_sources(village)
    _run(village, T)
    assert _table(village, T) == _full_read(village, T)

    with frozen(T + timedelta(hours=1)):
        do(village)
    incremental, reads = _fresh_run(village, LATER)
    if path == "days":  # the table, then only the changed days
        assert len(reads) == 1 and reads[0] is not None
        assert set(reads[0]) >= {d for d in marked_days if d is not None}
    elif path == "whole":
        assert reads == [None]
    else:  # a full run: the whole window, then the table brought up to it to check for drift
        assert reads[0] is None and len(reads) == 2
    assert _table(village, LATER) == _full_read(village, LATER)
    assert _stored(incremental) == _full_recompute(village, LATER)


def test_kept_activity_days_leaving_the_window_are_dropped(settings):
    settings.METRICS_FULL_EVERY_SECONDS = 7 * 86400  # the next run two days later incremental
    village = build_smallville()
    first = T + timedelta(days=49)  # its window starts on D1's day, T - 40 d
    _run(village, first)
    assert KeptActivityDay.objects.filter(day=(T - timedelta(days=40)).date()).exists()
    with frozen(first + timedelta(days=1)):
        answer(village.q2, village.dee, body="Wrap it.")

    incremental, reads = _fresh_run(village, first + timedelta(days=2))
    assert incremental.data["run"]["full"] is False
    assert len(reads) == 1 and reads[0] is not None
    since = window_start(first + timedelta(days=2), 90).date()
    assert not KeptActivityDay.objects.filter(day__lt=since).exists()
    assert _table(village, first + timedelta(days=2)) == _full_read(
        village, first + timedelta(days=2)
    )
    assert _stored(incremental) == _full_recompute(village, first + timedelta(days=2))


def test_kept_activity_rolled_back_run_leaves_the_table_as_it_was():
    village = build_smallville()
    _run(village, T)
    rows = set(KeptActivityDay.objects.values_list())
    tag = KeptActivityState.objects.get()
    _hide_ben_reply(village, T + timedelta(minutes=30))

    def write_then_fail(*args, **kwargs):
        kept_activity.kept_activity_write(*args, **kwargs)
        raise RuntimeError("the store failed after writing the kept activity")

    forget_ties()
    with (
        mock.patch.object(store, "kept_activity_write", side_effect=write_then_fail),
        pytest.raises(RuntimeError),
    ):
        _run(village, LATER)
    assert set(KeptActivityDay.objects.values_list()) == rows
    assert KeptActivityState.objects.get().ties_token == tag.ties_token

    incremental, reads = _fresh_run(village, LATER)
    assert len(reads) == 1 and reads[0] is not None  # the table is still the stored run's
    assert _stored(incremental) == _full_recompute(village, LATER)


def test_kept_activity_written_by_another_worker_is_used():
    """Worker A ran; worker B ran since (the table and token are B's): A's memory is stale, the
    table is not."""
    village = build_smallville()
    _run(village, T)  # worker A, keeps its activity in memory
    with mock.patch("metrics.pipeline.store.keep_ties"):  # worker B: A keeps only its own copy
        _hide_ben_reply(village, T + timedelta(minutes=10))
        _run(village, T + timedelta(minutes=30))
    with frozen(T + timedelta(minutes=40)):
        answer(village.q2, village.dee, body="Wrap it.")
    with mock.patch.object(collect, "member_activity", wraps=collect.member_activity) as read:
        incremental = _run(village, LATER)  # worker A again
    assert [call.kwargs.get("days") is not None for call in read.call_args_list] == [True]
    assert _stored(incremental) == _full_recompute(village, LATER)


def test_kept_activity_not_used_when_the_token_moved_on_without_it():
    """A run that did not write the table (a worker of an older release, mid-deploy) moved the
    token on: the table's rows are of the run before and its marks are gone, so the next worker
    must not start from them. Fails when the tag is not checked."""
    village = build_smallville()
    _run(village, T)
    _hide_ben_reply(village, T + timedelta(minutes=10))
    with mock.patch.object(store, "kept_activity_write"):
        _run(village, T + timedelta(minutes=30))  # reads the marked day, deletes its mark
    assert KeptActivityState.objects.get().ties_token != (
        MetricsState.objects.get(community=village.community).ties_token
    )

    incremental, reads = _fresh_run(village, LATER)
    assert _stored(incremental) == _full_recompute(village, LATER)
    assert reads == [None]


def test_kept_activity_stale_table_rewritten_whole_by_a_warm_run():
    """A warm worker whose memory is current but whose table is not (written by no run since)
    rewrites every row, not only the days it read: the next fresh worker's start is right."""
    village = build_smallville()
    _run(village, T)
    _hide_ben_reply(village, T + timedelta(minutes=10))
    with mock.patch.object(store, "kept_activity_write"):
        _run(village, T + timedelta(minutes=30))
    with mock.patch.object(collect, "member_activity", wraps=collect.member_activity) as read:
        _run(village, T + timedelta(hours=1))  # warm: only today read again
    assert [call.kwargs.get("days") is not None for call in read.call_args_list] == [True]
    assert _table(village, T + timedelta(hours=1)) == _full_read(village, T + timedelta(hours=1))

    incremental, reads = _fresh_run(village, LATER)
    assert len(reads) == 1 and reads[0] is not None
    assert _stored(incremental) == _full_recompute(village, LATER)


def test_kept_activity_read_discards_rows_rewritten_during_the_read():
    village = build_smallville()
    _run(village, T)
    state = MetricsState.objects.get(community=village.community)
    plan = Plan(
        community_id=village.community.pk,
        as_of=LATER,
        current=True,
        full=False,
        watermark_seen=state.interactions_watermark,
        ties_as_of_seen=state.ties_as_of,
        full_requested_seen=None,
        upto_pk=state.interactions_watermark,
        ref=0.0,
        ties_token_seen=state.ties_token,
    )
    since = window_start(LATER, 90)
    assert kept_activity.kept_activity_read(plan, since=since).as_of == T
    real = collect.kept_activity_days

    def read_then_another_run_commits(*args, **kwargs):
        rows = real(*args, **kwargs)
        KeptActivityState.objects.update(ties_token="another run's")
        return rows

    with mock.patch.object(
        collect, "kept_activity_days", side_effect=read_then_another_run_commits
    ):
        assert kept_activity.kept_activity_read(plan, since=since) is None


def test_kept_activity_full_run_checks_the_table_for_drift(caplog):
    village = build_smallville()
    _run(village, T)
    row = KeptActivityDay.objects.order_by("day", "user_id").first()
    KeptActivityDay.objects.filter(
        community_id=row.community_id, day=row.day, user_id=row.user_id
    ).update(posts=row.posts + 1)
    forget_ties()
    with caplog.at_level(logging.ERROR, logger="metrics.pipeline.activity"):
        _run(village, LATER, full=True)
    assert "ActivityDrift" in caplog.text and "in the table" in caplog.text
    assert _table(village, LATER) == _full_read(village, LATER)  # the full run rewrote it


def test_kept_activity_full_run_without_drift_logs_nothing(caplog):
    village = build_smallville()
    _run(village, T)
    _hide_ben_reply(village, T + timedelta(minutes=10))
    with caplog.at_level(logging.ERROR, logger="metrics.pipeline.activity"):
        _run(village, LATER, full=True)  # warm: both the memory and the table checked
    assert "ActivityDrift" not in caplog.text
