"""A seed stopped in the middle of a community's history and run again ends as an uninterrupted
seed does: the same rows in every model (``demo.fingerprint``).

The history is committed in chunks, each with the community's resume marker
(``demo.models.SeedResume``); a stop rolls back the chunk being written. Here each build runs in
a savepoint rolled back at the end, a stop is an exception raised from inside a chunk (what
SIGTERM and Ctrl-C raise), and its chunks are savepoints: what a stopped process leaves behind.
"""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from communities import changes
from communities.models import Community
from core.email import outbox_discarding
from demo import practice
from demo.fingerprint import database_fingerprint, fingerprint_differences
from demo.models import SeedResume
from metrics.pipeline.schedule import metrics_requests_held
from practice.models import Post, Thread, Vote
from practice.services import endorsements
from practice.services.threads import thread_recount

WEEKS = 6
SLUG = "wound-care-nurses"

# SQLite rolls back its id counters with the savepoints, so both builds number rows alike.
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


class Stopped(BaseException):
    """What SIGTERM (SystemExit) or Ctrl-C (KeyboardInterrupt) raises in the seed."""


@pytest.fixture(scope="module")
def people(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("seed_demo", "--no-activity", stdout=io.StringIO())
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def small_chunks(monkeypatch):
    """A commit after every step and every 7 votes or reports: many places to stop at."""
    monkeypatch.setattr(practice, "CHUNK_SECONDS", 0.0)
    monkeypatch.setattr(practice, "ENDORSEMENTS_PER_CHUNK", 7)


def _stop_at(monkeypatch, module, name: str, call: int) -> None:
    """Make the *call*-th call of ``module.name`` stop the seed (before it writes)."""
    real = getattr(module, name)
    calls = []

    def stopping(*args, **kwargs):
        calls.append(1)
        if len(calls) == call:
            raise Stopped
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, stopping)


def _history(*, now, stops=(), checks=lambda: None) -> dict:
    """Build one community's history, stopped by each of *stops* in turn and run again after
    each stop; return the database's fingerprint (all of it rolled back afterwards)."""
    community = Community.objects.get(slug=SLUG)
    with transaction.atomic():
        with outbox_discarding(), metrics_requests_held(), changes.change_listeners_held():
            for stop in stops:
                with pytest.MonkeyPatch.context() as patch:
                    stop(patch)
                    with pytest.raises(Stopped):
                        practice.activity_build(communities=[community], weeks=WEEKS, now=now)
                checks()
                if SeedResume.objects.exists():
                    # Run again later: the history is laid out from the marker's moment.
                    now += timedelta(hours=3)
            summary = practice.activity_build(communities=[community], weeks=WEEKS, now=now)
        assert summary.communities == 1
        assert not SeedResume.objects.exists()
        fingerprint = database_fingerprint()
        transaction.set_rollback(True)
    return fingerprint


def _threads_consistent() -> None:
    """What a page shows between chunks: every thread's counters match its visible posts."""
    threads = list(Thread.objects.filter(community__slug=SLUG))
    assert threads
    for thread in threads:
        stored = (thread.reply_count, thread.answer_count, thread.helpful_count)
        thread_recount(thread)
        assert stored == (thread.reply_count, thread.answer_count, thread.helpful_count)
    for post in Post.objects.filter(community__slug=SLUG):
        assert post.helpful_count == Vote.objects.filter(post=post).count()


def test_history_stopped_anywhere_and_run_again_equals_one_run(people, small_chunks):
    now = timezone.now() - timedelta(minutes=1)
    whole = _history(now=now)
    stops = [
        # In the first chunk, then three times in the middle of the steps (each run going on
        # from the marker the last one left), then in the votes, the reports, the last chunk.
        lambda patch: _stop_at(patch, practice, "apply_steps", 1),
        lambda patch: _stop_at(patch, practice, "apply_steps", 40),
        lambda patch: _stop_at(patch, practice, "apply_steps", 150),
        lambda patch: _stop_at(patch, practice, "apply_steps", 151),
        lambda patch: _stop_at(patch, endorsements, "votes_record", 3),
        lambda patch: _stop_at(patch, endorsements, "adoption_reports_record", 2),
        lambda patch: _stop_at(patch, practice.Notification.objects, "filter", 1),
    ]
    seen = []

    def checks():
        marker = SeedResume.objects.filter(name=f"activity:{SLUG}").first()
        if marker is None:  # stopped in the first chunk: nothing of it stays
            assert not Thread.objects.filter(community__slug=SLUG).exists()
            seen.append((0, {}))
            return
        seen.append((marker.steps_done, dict(marker.made)))
        _threads_consistent()

    stopped = _history(now=now, stops=stops, checks=checks)

    assert fingerprint_differences(whole, stopped) == [], seen
    assert whole["practice.Post"]["rows"] > 100 and whole["practice.Vote"]["rows"] > 20
    assert "demo.SeedResume" not in whole
    # Every stop found the history further on, through the steps and then the endorsements.
    steps = [done for done, _made in seen]
    assert steps[0] == 0 and steps == sorted(steps) and len(set(steps)) >= 4
    assert seen[-1][1].get("votes_written", 0) > 7 and seen[-1][1].get("reports_written", 0) > 0


def test_a_stopped_community_is_not_taken_for_a_finished_one(people, small_chunks):
    """The marker, not the threads already there, says whether a community is finished."""
    community = Community.objects.get(slug=SLUG)
    now = timezone.now() - timedelta(minutes=1)
    with transaction.atomic():
        with outbox_discarding(), metrics_requests_held(), changes.change_listeners_held():
            with pytest.MonkeyPatch.context() as patch:
                _stop_at(patch, practice, "apply_steps", 30)
                with pytest.raises(Stopped):
                    practice.activity_build(communities=[community], weeks=WEEKS, now=now)
            assert practice.community_has_activity(community)
            again = practice.activity_build(communities=[community], weeks=WEEKS, now=now)
            assert (again.communities, again.skipped_communities) == (1, 0)
            assert again.counts["thread"] > 0  # the rest of the steps, run this time
            finished = practice.activity_build(communities=[community], weeks=WEEKS, now=now)
            assert (finished.communities, finished.skipped_communities) == (0, 1)
        transaction.set_rollback(True)
