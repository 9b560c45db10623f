"""The thread records kept between current runs (``metrics.pipeline.threads``): after every kind
of change a thread record reads, by every kind of writer (services, bulk imports, the admin, the
ORM's bulk updates, raw SQL), an incremental run in a warm worker computes exactly the records
and stores exactly what a full recompute does, and the triggers mark the threads that changed."""

import logging
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory

from communities.models import Membership
from metrics import services
from metrics.models import ThreadMark
from metrics.pipeline import participation
from metrics.pipeline import run as run_module
from metrics.pipeline import threads as threads_module
from metrics.pipeline.cache import forget_ties
from metrics.pipeline.plan import Plan
from metrics.pipeline.times import window_start
from practice.models import Post, Thread
from practice.services import endorsements, history, moderation
from tests.factories import CommunityFactory, UserFactory, make_member
from tests.metrics.pipeline_fixtures import T, build_smallville, frozen
from tests.practice.factories import answer, ask

pytestmark = pytest.mark.django_db(transaction=False)

LATER = T + timedelta(hours=2)


def _post(village, author, thread):
    return Post.objects.get(thread=thread, author=author, is_opening=False)


def _admin_request():
    request = RequestFactory().post("/admin/")
    request.user = UserFactory(username="root", is_staff=True, is_superuser=True)
    request._messages = mock.MagicMock()
    return request


def _admin_deletes_ana_answer(v):
    post_admin = admin.site._registry[Post]
    post_admin.delete_queryset(_admin_request(), Post.objects.filter(pk=_post(v, v.ana, v.q1).pk))


def _admin_renames_q2(v):
    thread = Thread.objects.get(pk=v.q2.pk)
    thread.title = "Compression after a fall, and after surgery?"
    admin.site._registry[Thread].save_model(_admin_request(), thread, form=None, change=True)


def _raw_sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _history_imported(v):
    """A question of five days ago and its answer, written in bulk (COPY on PostgreSQL)."""
    asked = T - timedelta(days=5)
    history.history_write(
        community=v.community,
        threads=[
            history.HistoryThread(
                kind=Thread.Kind.QUESTION,
                title="Imported: heel ulcers?",
                posts=[
                    history.HistoryPost(author=v.ben, body="Heel ulcers?", at=asked),
                    history.HistoryPost(
                        author=v.cai, body="Offload.", at=asked + timedelta(hours=2), is_answer=True
                    ),
                ],
            )
        ],
    )


def _moved(v):
    other = CommunityFactory(name="Elsewhere", slug="elsewhere")
    make_member(other, v.ana, role=Membership.Role.MODERATOR)
    moderation.thread_move(thread=v.q1, to_community=other, by=v.ana)


# Each change (at T + 1 h, after a run at T in this worker) and whether it leaves marks: the
# responder's new role leaves none (the run applies the current moderators to the kept rows).
# An acceptance withdrawn or moved retracts interactions, which makes the next run a full one:
# there the kept rows brought forward are compared with the full read by the drift check.
NEXT_RUN_FULL = {"accept_withdrawn", "answer_accepted", "thread_moved"}
CHANGES = {
    "answer_posted": (lambda v: answer(v.q2, v.dee, body="Wrap it."), True),
    "post_hidden": (
        lambda v: moderation.content_hide(post=_post(v, v.ana, v.q1), by=v.ana),
        True,
    ),
    "thread_hidden": (
        lambda v: moderation.content_hide(
            post=Thread.objects.get(pk=v.q2.pk).opening_post, by=v.ana
        ),
        True,
    ),
    "answer_accepted": (
        lambda v: endorsements.answer_accept(answer=_post(v, v.ana, v.q1), by=v.ben),
        True,
    ),
    "accept_withdrawn": (lambda v: endorsements.answer_unaccept(thread=v.q1, by=v.ben), True),
    "thread_moved": (_moved, True),
    "title_by_raw_sql": (
        lambda v: _raw_sql(
            "UPDATE practice_thread SET title = %s WHERE id = %s", ["Falls?", v.q2.pk]
        ),
        True,
    ),
    "kind_by_bulk_update": (
        lambda v: Thread.objects.filter(pk=v.d1.pk).update(kind=Thread.Kind.QUESTION),
        True,
    ),
    "thread_author_changed": (  # ana's answer becomes the asker's own reply
        lambda v: Thread.objects.filter(pk=v.q1.pk).update(author=v.ana),
        True,
    ),
    "post_author_changed": (  # accounts merged: ana's answer becomes the asker's own
        lambda v: Post.objects.filter(pk=_post(v, v.ana, v.q1).pk).update(author=v.ben),
        True,
    ),
    "post_dated_earlier": (
        lambda v: Post.objects.filter(pk=_post(v, v.cai, v.q1).pk).update(
            created_at=T - timedelta(days=10, hours=1)
        ),
        True,
    ),
    "post_made_opening": (
        lambda v: Post.objects.filter(pk=_post(v, v.ana, v.q1).pk).update(is_opening=True),
        True,
    ),
    "answer_made_reply": (
        lambda v: Post.objects.filter(pk=_post(v, v.ana, v.q1).pk).update(is_answer=False),
        True,
    ),
    "post_moved_by_raw_sql": (
        lambda v: _raw_sql(
            "UPDATE practice_post SET community_id = %s WHERE id = %s",
            [CommunityFactory(slug="away").pk, _post(v, v.ana, v.q1).pk],
        ),
        True,
    ),
    "post_deleted_in_admin": (_admin_deletes_ana_answer, True),
    "thread_renamed_in_admin": (_admin_renames_q2, True),
    "history_imported": (_history_imported, True),
    "responder_made_moderator": (
        lambda v: Membership.objects.filter(community=v.community, user=v.ben).update(
            role=Membership.Role.MODERATOR
        ),
        False,
    ),
}


def _full_records(village, moment):
    moderators = set(
        Membership.objects.filter(
            community=village.community, role=Membership.Role.MODERATOR
        ).values_list("user_id", flat=True)
    )
    return participation.thread_records(
        village.community.pk,
        since=window_start(moment, 90),
        until=moment,
        moderator_ids=moderators,
    )


def _stored(snapshot):
    from tests.metrics.test_activity_incremental import _stored as stored

    return stored(snapshot)


def _compute_capturing(village, **kwargs):
    """Run metrics_compute; return the snapshot, the records it used and the ids it read."""
    seen = {}
    real_run, real_rows = threads_module.run_threads, threads_module.thread_rows
    reads = []

    def capture(*args, **kw):
        seen["threads"] = real_run(*args, **kw)
        return seen["threads"]

    def rows(*args, **kw):
        reads.append(kw.get("ids"))
        return real_rows(*args, **kw)

    with (
        mock.patch.object(run_module, "run_threads", side_effect=capture),
        mock.patch.object(threads_module, "thread_rows", side_effect=rows),
    ):
        snapshot = services.metrics_compute(community_id=village.community.pk, **kwargs)
    return snapshot, seen["threads"].records, reads


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_thread_records_kept_between_runs_equal_a_full_recompute(change, caplog):
    do, marks = CHANGES[change]
    village = build_smallville()
    cid = village.community.pk
    forget_ties()
    with frozen(T):
        services.metrics_compute(community_id=cid)
    assert not ThreadMark.objects.filter(community_id=cid).exists()
    before = _full_records(village, LATER)

    with frozen(T + timedelta(hours=1)):
        do(village)

    assert _full_records(village, LATER) != before  # the change does change the records
    assert ThreadMark.objects.filter(community_id=cid).exists() is marks
    with frozen(LATER), caplog.at_level(logging.ERROR, logger="metrics.pipeline.threads"):
        incremental, records, reads = _compute_capturing(village)
    assert incremental.data["run"]["full"] is (change in NEXT_RUN_FULL)
    if change in NEXT_RUN_FULL:  # the whole window read; the kept rows brought forward agree
        assert reads[0] is None and reads[1:] and "ThreadDrift" not in caplog.text
    else:
        assert len(reads) == 1 and reads[0] is not None  # only some threads read again
    assert records == _full_records(village, LATER)
    assert not ThreadMark.objects.filter(community_id=cid).exists()
    kept = _stored(incremental)

    forget_ties()
    with frozen(LATER):
        full = services.metrics_compute(community_id=cid, full=True)
    assert full.pk == incremental.pk and full.data["run"]["full"] is True
    assert _stored(full) == kept


def _plan(community_id, as_of):
    return Plan(
        community_id=community_id,
        as_of=as_of,
        current=True,
        full=False,
        watermark_seen=0,
        ties_as_of_seen=None,
        full_requested_seen=None,
        upto_pk=0,
        ref=0.0,
        ties_token_seen="kept",
    )


def test_thread_records_kept_as_the_window_moves(monkeypatch):
    """Day after day, as threads leave the window (and a reply dated before its own thread
    leaves it before its thread does), the kept rows brought forward are the full read."""
    village = build_smallville()
    cid = village.community.pk
    with frozen(T - timedelta(days=1)):
        early = answer(village.q2, village.dee, body="Before the question?")
    Post.objects.filter(pk=early.pk).update(created_at=village.q2.created_at - timedelta(days=1))
    ThreadMark.objects.all().delete()  # the first run reads whole; nothing changes after it
    kept = None
    monkeypatch.setattr(threads_module, "cached_threads", lambda *a, **k: kept)
    moments = [T + timedelta(days=d, hours=h) for d in range(0, 95, 5) for h in (0, 13)]
    moments += [T + timedelta(days=86, hours=h) for h in range(0, 48, 6)]
    read_by_id = 0
    for moment in sorted(moments):
        since = window_start(moment, 90)
        result = threads_module.run_threads(
            _plan(cid, moment), since=since, moderator_ids={village.ana.pk}
        )
        assert result.records == participation.thread_records(
            cid, since=since, until=moment, moderator_ids={village.ana.pk}
        ), moment
        read_by_id += result.threads_read is not None
        kept = result.kept
    assert read_by_id == len(moments) - 1  # every run but the first used the kept rows


def test_thread_marks_written_during_a_run_stay_for_the_next():
    village = build_smallville()
    cid = village.community.pk
    forget_ties()
    with frozen(T):
        services.metrics_compute(community_id=cid)
    real = participation.thread_rows

    def read_then_rename(*args, **kwargs):
        result = real(*args, **kwargs)
        Thread.objects.filter(pk=village.q2.pk).update(title="Renamed meanwhile")
        return result

    with (
        frozen(LATER),
        mock.patch.object(threads_module, "thread_rows", side_effect=read_then_rename),
    ):
        services.metrics_compute(community_id=cid)
    marks = ThreadMark.objects.filter(community_id=cid)
    assert set(marks.values_list("thread_id", flat=True)) == {village.q2.pk}

    with frozen(LATER + timedelta(hours=1)):
        incremental, records, _ = _compute_capturing(village)
    assert records == _full_records(village, LATER + timedelta(hours=1))
    assert any(r.title == "Renamed meanwhile" for r in records)
    kept = _stored(incremental)
    forget_ties()
    with frozen(LATER + timedelta(hours=1)):
        full = services.metrics_compute(community_id=cid, full=True)
    assert _stored(full) == kept


def _renamed_after_a_run():
    village = build_smallville()
    forget_ties()
    with frozen(T):
        services.metrics_compute(community_id=village.community.pk)
    with frozen(T + timedelta(hours=1)):
        Thread.objects.filter(pk=village.q2.pk).update(title="Falls?")
    return village


def test_thread_marks_past_run_leaves_marks_alone():
    village = _renamed_after_a_run()
    with frozen(T + timedelta(hours=1)):
        past = services.metrics_compute(
            community_id=village.community.pk, as_of=T - timedelta(days=30)
        )
    assert past.data["run"]["current"] is False
    assert ThreadMark.objects.filter(community_id=village.community.pk).exists()


def test_thread_records_full_run_reports_drift_when_a_writer_bypassed_the_marks(caplog):
    village = _renamed_after_a_run()
    ThreadMark.objects.all().delete()  # as a load with the triggers off would leave it
    with frozen(LATER), caplog.at_level(logging.ERROR, logger="metrics.pipeline.threads"):
        full = services.metrics_compute(community_id=village.community.pk, full=True)
    assert "ThreadDrift" in caplog.text
    # The full run itself is right: it read the whole window.
    assert [q["title"] for q in full.data["at_risk_questions"]] == ["Falls?"]


def test_thread_records_full_run_without_drift_logs_nothing(caplog):
    village = _renamed_after_a_run()
    with frozen(LATER), caplog.at_level(logging.ERROR, logger="metrics.pipeline.threads"):
        services.metrics_compute(community_id=village.community.pk, full=True)
    assert "ThreadDrift" not in caplog.text


def test_thread_records_many_threads_to_read_read_the_whole_window(monkeypatch):
    village = _renamed_after_a_run()
    monkeypatch.setattr(threads_module, "MAX_THREADS_READ", 0)
    with frozen(LATER):
        incremental, records, reads = _compute_capturing(village)
    assert reads == [None]
    assert records == _full_records(village, LATER)


def test_thread_triggers_mark_posts_and_threads_old_and_new():
    """Each table's triggers: a row added, changed in a column the record reads (old and new
    community), or deleted marks its thread; a change of a column it does not read marks
    nothing."""
    village = build_smallville()
    cid = village.community.pk
    other = CommunityFactory(slug="other")
    post = _post(village, village.ana, village.q1)

    def marks():
        found = set(ThreadMark.objects.values_list("community_id", "thread_id"))
        ThreadMark.objects.all().delete()
        return found

    marks()
    Post.objects.filter(pk=post.pk).update(body="Changed.", helpful_count=7)
    Thread.objects.filter(pk=village.q1.pk).update(reply_count=9, last_activity_at=T)
    assert marks() == set()
    Post.objects.filter(pk=post.pk).update(community_id=other.pk)
    assert marks() == {(cid, village.q1.pk), (other.pk, village.q1.pk)}
    Post.objects.filter(pk=post.pk).update(thread_id=village.q2.pk)
    assert marks() == {(other.pk, village.q1.pk), (other.pk, village.q2.pk)}
    for column, value in (
        ("title", "New"),
        ("kind", Thread.Kind.STORY),
        ("is_hidden", True),
        ("accepted_at", T),
        ("created_at", T),
        ("author_id", village.dee.pk),
    ):
        Thread.objects.filter(pk=village.d1.pk).update(**{column: value})
        assert marks() == {(cid, village.d1.pk)}, column
    Thread.objects.filter(pk=village.d1.pk).update(community_id=other.pk)
    assert marks() == {(cid, village.d1.pk), (other.pk, village.d1.pk)}
    Post.objects.filter(pk=post.pk).delete()
    assert marks() == {(other.pk, village.q2.pk)}


def test_thread_records_kept_take_rows_dated_after_the_kept_run():
    """A reply, a question and an acceptance written before a run but dated after its as-of
    (their marks read and deleted by that run) count in the next run, as in a full read."""
    village = build_smallville()
    cid = village.community.pk
    forget_ties()
    with frozen(T + timedelta(minutes=30)):
        answer(village.q2, village.dee, body="Dated ahead.")
        ask(village.community, village.eve, title="Asked ahead?")
        endorsements.answer_accept(answer=_post(village, village.ana, village.q1), by=village.ben)
    with frozen(T):
        services.metrics_compute(community_id=cid, full=True)
    assert not ThreadMark.objects.filter(community_id=cid).exists()
    with frozen(LATER):
        incremental, records, reads = _compute_capturing(village)
    assert incremental.data["run"]["full"] is False and reads[0]  # read again by id
    assert records == _full_records(village, LATER)
    assert any(r.title == "Asked ahead?" for r in records)
