"""The activity per member and day kept between current runs (``metrics.pipeline.activity``):
after every kind of change to its sources, an incremental run in a warm worker stores exactly
what a full recompute stores, and the triggers mark the days that changed."""

import logging
from datetime import date, timedelta
from unittest import mock

import pytest

from communities.models import Membership
from knowledge.models import Evidence, Item, ItemRevision
from knowledge.services import curation
from knowledge.services import evidence as evidence_services
from knowledge.services import items as item_services
from metrics import collect, services
from metrics.models import ActivityMark, MemberMetrics, MetricsState
from metrics.pipeline import activity
from metrics.pipeline.cache import forget_ties
from metrics.pipeline.times import window_start
from practice.models import RSVP, AdoptionReport, Post, Thread, Vote
from practice.services import endorsements, moderation
from practice.services import events as event_services
from tests.factories import CommunityFactory, make_member
from tests.metrics.pipeline_fixtures import T, build_smallville, frozen
from tests.practice.factories import answer

pytestmark = pytest.mark.django_db(transaction=False)

LATER = T + timedelta(hours=2)
DAY = T.date()


def _answer_of(village, author, thread):
    return Post.objects.get(thread=thread, author=author, is_opening=False)


def _hidden_after_a_run():
    """Smallville after a current run at T in this (warm) worker, then Ben's reply of T - 40 d
    hidden at T + 1 h: one marked day for the next run."""
    village = build_smallville()
    forget_ties()
    with frozen(T):
        services.metrics_compute(community_id=village.community.pk)
    with frozen(T + timedelta(hours=1)):
        moderation.content_hide(post=_answer_of(village, village.ben, village.d1), by=village.ana)
    return village


def _event(village, at):
    with frozen(at):
        return event_services.event_create(
            community=village.community,
            by=village.ana,
            title="Wound clinic",
            description="",
            starts_at=at + timedelta(days=30),
            ends_at=at + timedelta(days=30, hours=2),
            timezone="UTC",
            place="Room 4",
            online_url="",
            capacity=None,
        )


def _item(village, at):
    return item_services.item_propose(
        community=village.community,
        by=village.ben,
        kind="tool",
        title="Pressure chart",
        summary="A chart.",
        at=at,
    )


# Each change: what it does (at T + 1 h, after the first run), the days it marks, and whether the
# next run reads only days ("days"), or the whole window: a move marked every day ("whole"), or
# the interaction log changed under the tie table, which makes the next run a full one ("full").
CHANGES = {
    "answer_today": (
        lambda v: answer(v.q2, v.dee, body="Wrap it."),
        {DAY},
        "days",
    ),
    "post_hidden": (
        lambda v: moderation.content_hide(post=_answer_of(v, v.ben, v.d1), by=v.ana),
        {DAY - timedelta(days=40)},
        "days",
    ),
    "vote_retracted": (  # its interaction retracted: the next run is a full one
        lambda v: endorsements.vote_set(
            post=_answer_of(v, v.ana, v.q1), voter=v.eve, helpful=False
        ),
        {DAY - timedelta(days=9)},
        "full",
    ),
    "votes_deleted_by_sql": (
        lambda v: Vote.objects.all().delete(),
        {DAY - timedelta(days=9)},
        "days",
    ),
    "history_imported": (  # a row dated before the kept run, written after it
        lambda v: Post.objects.filter(pk=answer(v.q1, v.dee, body="Late.").pk).update(
            created_at=T - timedelta(days=20)
        ),
        {DAY, DAY - timedelta(days=20)},
        "days",
    ),
    "post_author_changed": (  # accounts merged
        lambda v: Post.objects.filter(pk=_answer_of(v, v.cai, v.q1).pk).update(author=v.dee),
        {DAY - timedelta(days=10)},
        "days",
    ),
    "adoption_report_dated_earlier": (
        lambda v: endorsements.adoption_report(
            post=_answer_of(v, v.cai, v.q1), member=v.ben, worked=True, at=T - timedelta(days=5)
        ),
        {DAY - timedelta(days=5)},
        "days",
    ),
    "rsvp_withdrawn": (
        lambda v: RSVP.objects.filter(user=v.dee).delete(),
        {DAY - timedelta(days=6)},
        "days",
    ),
    "evidence_withdrawn": (
        lambda v: Evidence.objects.filter(member=v.eve).delete(),
        {DAY - timedelta(days=4)},
        "days",
    ),
    "thread_author_changed": (  # the helps of every post in it
        lambda v: Thread.objects.filter(pk=v.q1.pk).update(author=v.ana),
        {None},
        "whole",
    ),
}


def _setup_extra_sources(village):
    """An RSVP (6 days ago) and an item with evidence (4 days ago), through the services."""
    event = _event(village, T - timedelta(days=7))
    with frozen(T - timedelta(days=6)):
        event_services.rsvp_set(event=event, user=village.dee, answer=RSVP.Answer.GOING)
    with frozen(T - timedelta(days=5)):
        item = _item(village, T - timedelta(days=5))
        curation.item_publish(item=item, by=village.ana)
    with frozen(T - timedelta(days=4)):
        evidence_services.evidence_report(
            item=item, member=village.eve, outcome=Evidence.Outcome.WORKED
        )


def _stored(snapshot):
    """Everything a run stored that is not about the run itself."""
    data = {k: v for k, v in snapshot.data.items() if k not in ("computed_at", "duration_ms")}
    data.pop("run")
    rows = [
        {k: v for k, v in row.items() if k not in ("id", "snapshot_id")}
        for row in MemberMetrics.objects.filter(snapshot=snapshot).order_by("user_id").values()
    ]
    return data, rows


def _activity_now(village):
    since = window_start(LATER, 90)
    return collect.member_activity(village.community.pk, since=since, until=LATER).by_member_day


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_activity_kept_between_runs_equals_a_full_recompute(change):
    do, marked_days, path = CHANGES[change]
    village = build_smallville()
    _setup_extra_sources(village)
    forget_ties()
    with frozen(T):
        services.metrics_compute(community_id=village.community.pk)
    assert not ActivityMark.objects.filter(community_id=village.community.pk).exists()
    before = _activity_now(village)

    with frozen(T + timedelta(hours=1)):
        do(village)

    assert _activity_now(village) != before  # the change does change the activity
    marks = set(
        ActivityMark.objects.filter(community_id=village.community.pk).values_list("day", flat=True)
    )
    assert marks == marked_days
    with (
        frozen(LATER),
        mock.patch.object(collect, "member_activity", wraps=collect.member_activity) as read,
    ):
        incremental = services.metrics_compute(community_id=village.community.pk)
    assert incremental.data["run"]["full"] is (path == "full")
    reads = [call.kwargs.get("days") for call in read.call_args_list]
    if path == "days":
        assert len(reads) == 1 and reads[0] is not None  # only days read again
        assert set(reads[0]) >= {d for d in marked_days if d is not None}
    elif path == "whole":
        assert reads == [None]
    assert not ActivityMark.objects.filter(community_id=village.community.pk).exists()
    kept = _stored(incremental)

    forget_ties()
    with frozen(LATER):
        full = services.metrics_compute(community_id=village.community.pk, full=True)
    assert full.pk == incremental.pk and full.data["run"]["full"] is True
    assert _stored(full) == kept


def test_activity_moved_thread_marks_both_communities_whole():
    village = build_smallville()
    other = CommunityFactory(name="Elsewhere", slug="elsewhere")
    make_member(other, village.ana, role=Membership.Role.MODERATOR)
    ActivityMark.objects.all().delete()
    with frozen(T + timedelta(hours=1)):
        moderation.thread_move(thread=village.q1, to_community=other, by=village.ana)
    marks = set(ActivityMark.objects.values_list("community_id", "day"))
    assert {(village.community.pk, None), (other.pk, None)} <= marks
    # The posts' own days, in both communities.
    assert (village.community.pk, DAY - timedelta(days=10)) in marks
    assert (other.pk, DAY - timedelta(days=10)) in marks


def test_activity_marks_written_during_a_run_stay_for_the_next():
    """A change committed while a run computes keeps its mark: the run deletes only the marks
    it read."""
    village = build_smallville()
    forget_ties()
    with frozen(T):
        services.metrics_compute(community_id=village.community.pk)
    real = collect.member_activity

    def read_then_hide(*args, **kwargs):
        result = real(*args, **kwargs)
        moderation.content_hide(post=_answer_of(village, village.ben, village.d1), by=village.ana)
        return result

    with frozen(LATER), mock.patch.object(collect, "member_activity", side_effect=read_then_hide):
        services.metrics_compute(community_id=village.community.pk)
    marks = ActivityMark.objects.filter(community_id=village.community.pk)
    assert set(marks.values_list("day", flat=True)) == {DAY - timedelta(days=40)}

    with frozen(LATER + timedelta(hours=1)):
        incremental = services.metrics_compute(community_id=village.community.pk)
    kept = _stored(incremental)
    forget_ties()
    with frozen(LATER + timedelta(hours=1)):
        full = services.metrics_compute(community_id=village.community.pk, full=True)
    assert _stored(full) == kept


def test_activity_past_run_leaves_marks_and_kept_activity_alone():
    village = _hidden_after_a_run()
    token = MetricsState.objects.get(community=village.community).ties_token
    with frozen(T + timedelta(hours=1)):
        past = services.metrics_compute(
            community_id=village.community.pk, as_of=T - timedelta(days=30)
        )
    assert past.data["run"]["current"] is False
    assert ActivityMark.objects.filter(community_id=village.community.pk).exists()
    assert MetricsState.objects.get(community=village.community).ties_token == token


def test_activity_full_run_reports_drift_when_a_writer_bypassed_the_marks(caplog):
    village = _hidden_after_a_run()
    ActivityMark.objects.all().delete()  # as a load with the triggers off would leave it
    with frozen(LATER), caplog.at_level(logging.ERROR, logger="metrics.pipeline.activity"):
        full = services.metrics_compute(community_id=village.community.pk, full=True)
    assert "ActivityDrift" in caplog.text
    # The full run itself is right: it read the whole window.
    ben = MemberMetrics.objects.get(snapshot=full, user=village.ben)
    assert ben.active_days == 1  # Q1 only; the hidden reply of T-40 d no longer counts


def test_activity_full_run_without_drift_logs_nothing(caplog):
    village = _hidden_after_a_run()
    with frozen(LATER), caplog.at_level(logging.ERROR, logger="metrics.pipeline.activity"):
        services.metrics_compute(community_id=village.community.pk, full=True)
    assert "ActivityDrift" not in caplog.text


def test_activity_days_filter_reads_only_those_days():
    village = build_smallville()
    since = window_start(T, 90)
    whole = collect.member_activity(village.community.pk, since=since, until=T).by_member_day
    days = [DAY - timedelta(days=10), DAY - timedelta(days=9)]
    some = collect.member_activity(
        village.community.pk, since=since, until=T, days=days
    ).by_member_day
    wanted = {collect.day_epoch(d) for d in days}
    assert some == {
        u: {t: e for t, e in per_day.items() if t in wanted}
        for u, per_day in whole.items()
        if any(t in wanted for t in per_day)
    }
    assert some  # Q1, its answers, the accept's day and the vote
    assert (
        collect.member_activity(village.community.pk, since=since, until=T, days=[]).by_member_day
        == {}
    )
    assert isinstance(days[0], date)


SOURCE_MODELS = {
    "post": lambda: Post.objects.filter(is_opening=False),
    "vote": lambda: Vote.objects.all(),
    "adoption_report": lambda: AdoptionReport.objects.all(),
    "rsvp": lambda: RSVP.objects.all(),
    "item": lambda: Item.objects.all(),
    "item_revision": lambda: ItemRevision.objects.all(),
    "evidence": lambda: Evidence.objects.all(),
}


@pytest.mark.parametrize("source", sorted(SOURCE_MODELS))
def test_activity_triggers_mark_old_and_new_day_of_each_source(source):
    """Every source's triggers: a row's date changed marks its old and its new day; a row
    deleted marks its day; a change of a column the activity does not read marks nothing."""
    village = build_smallville()
    _setup_extra_sources(village)
    with frozen(T - timedelta(days=2)):
        endorsements.adoption_report(
            post=_answer_of(village, village.cai, village.q1), member=village.ben, worked=True
        )
    rows = SOURCE_MODELS[source]()
    row = rows.order_by("pk").first()
    old_day = row.created_at.date()
    ActivityMark.objects.all().delete()

    rows.filter(pk=row.pk).update(created_at=row.created_at - timedelta(days=1))
    marks = set(ActivityMark.objects.values_list("community_id", "day"))
    cid = village.community.pk
    assert marks == {(cid, old_day), (cid, old_day - timedelta(days=1))}

    ActivityMark.objects.all().delete()
    unread = {"post": "body", "item": "title", "adoption_report": "note"}.get(source)
    if unread:
        rows.filter(pk=row.pk).update(**{unread: "Changed."})
        assert not ActivityMark.objects.exists()

    rows.filter(pk=row.pk).delete()  # with what cascades from it (an item's revisions)
    assert (cid, old_day - timedelta(days=1)) in set(
        ActivityMark.objects.values_list("community_id", "day")
    )


def test_activity_many_days_to_read_reads_the_whole_window(monkeypatch):
    village = _hidden_after_a_run()
    monkeypatch.setattr(activity, "MAX_DAYS_READ", 1)  # today and the marked day: two
    with (
        frozen(LATER),
        mock.patch.object(collect, "member_activity", wraps=collect.member_activity) as read,
    ):
        incremental = services.metrics_compute(community_id=village.community.pk)
    assert [call.kwargs.get("days") for call in read.call_args_list] == [None]
    kept = _stored(incremental)
    forget_ties()
    with frozen(LATER):
        full = services.metrics_compute(community_id=village.community.pk, full=True)
    assert _stored(full) == kept
