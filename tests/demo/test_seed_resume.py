"""A seed stopped in the middle of a community's history and run again ends as an uninterrupted
seed does: the same rows in every model (``demo.fingerprint``).

The history is committed in chunks, each with the community's resume marker
(``demo.models.SeedResume``); a stop rolls back the chunk being written. Here each build runs in
a savepoint rolled back at the end, a stop is an exception raised from inside a chunk (what
SIGTERM and Ctrl-C raise), and its chunks are savepoints: what a stopped process leaves behind.
"""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from communities import changes
from communities.models import Community
from core.email import outbox_discarding
from demo import knowledge, practice, timeline
from demo.fingerprint import database_fingerprint, fingerprint_differences
from demo.models import SeedResume
from metrics.pipeline.schedule import metrics_requests_held
from practice.models import Post, Thread, Vote
from practice.services import endorsements
from practice.services.threads import thread_recount
from tests.demo.seed_helpers import Stopped, stop_at

WEEKS = 6
SLUG = "wound-care-nurses"

# SQLite rolls back its id counters with the savepoints, so both builds number rows alike.
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture
def small_chunks(monkeypatch):
    """A commit after every step and every 7 votes or reports: many places to stop at."""
    monkeypatch.setattr(timeline, "CHUNK_SECONDS", 0.0)
    monkeypatch.setattr(practice, "ENDORSEMENTS_PER_CHUNK", 7)


def _build(community, now: dict):
    return (
        practice.activity_build(communities=[community], weeks=WEEKS, now=now["activity"]),
        knowledge.repertoire_build(communities=[community], now=now["repertoire"]),
    )


def _history(*, now, stops=(), checks=lambda: None) -> dict:
    """Build one community's history and library, stopped by each of *stops* in turn and run
    again after each stop; return the database's fingerprint (all of it rolled back afterwards)."""
    community = Community.objects.get(slug=SLUG)
    now = {"activity": now, "repertoire": now}
    with transaction.atomic():
        with outbox_discarding(), metrics_requests_held(), changes.change_listeners_held():
            for stop in stops:
                with pytest.MonkeyPatch.context() as patch:
                    stop(patch)
                    with pytest.raises(Stopped):
                        _build(community, now)
                checks()
                for marker in SeedResume.objects.all():
                    # Run again later: what was begun goes on from its marker's moment.
                    stage = marker.name.split(":")[0]
                    now[stage] += timedelta(days=3)
            history, library = _build(community, now)
        assert library.communities == 1  # the last stop was in the library, if any
        assert not SeedResume.objects.exists()
        fingerprint = database_fingerprint()
        transaction.set_rollback(True)
    return fingerprint


def _threads_consistent() -> None:
    """What a page shows between chunks: every thread's counters match its visible posts."""
    for thread in Thread.objects.filter(community__slug=SLUG):
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
        lambda patch: stop_at(patch, timeline, "apply_steps", 1),
        lambda patch: stop_at(patch, timeline, "apply_steps", 40),
        lambda patch: stop_at(patch, timeline, "apply_steps", 150),
        lambda patch: stop_at(patch, timeline, "apply_steps", 151),
        lambda patch: stop_at(patch, endorsements, "votes_record", 3),
        lambda patch: stop_at(patch, endorsements, "adoption_reports_record", 2),
        lambda patch: stop_at(patch, practice.Notification.objects, "filter", 1),
        # Then in the library: its first chunk, and twice further on.
        lambda patch: stop_at(patch, knowledge.item_services, "item_propose", 1),
        lambda patch: stop_at(patch, knowledge.item_services, "item_propose", 9),
        lambda patch: stop_at(patch, knowledge.curation, "item_publish", 12),
    ]
    seen = []

    def checks():
        _threads_consistent()
        marker = SeedResume.objects.filter(name__endswith=f":{SLUG}").first()
        if marker is None:  # stopped in the first chunk of the history or the library
            seen.append(("none", 0, {}))
            return
        seen.append((marker.name.split(":")[0], marker.steps_done, dict(marker.made)))

    stopped = _history(now=now, stops=stops, checks=checks)

    assert fingerprint_differences(whole, stopped) == [], seen
    assert whole["practice.Post"]["rows"] > 100 and whole["practice.Vote"]["rows"] > 20
    assert whole["knowledge.Item"]["rows"] > 10 and "demo.SeedResume" not in whole
    # Every stop found the history further on, through the steps and then the endorsements,
    # and then the library.
    assert [name for name, *_rest in seen] == ["none"] + ["activity"] * 6 + ["none"] + [
        "repertoire"
    ] * 2
    steps = [done for name, done, _made in seen if name == "activity"]
    assert steps == sorted(steps) and len(set(steps)) >= 3
    last_history = seen[6][2]
    assert last_history["votes_written"] > 7 and last_history["reports_written"] > 0
    assert 0 < seen[8][1] < seen[9][1] and seen[9][2]["items"]


def test_a_stopped_community_is_not_taken_for_a_finished_one(people, small_chunks):
    """The marker, not the threads already there, says whether a community is finished."""
    community = Community.objects.get(slug=SLUG)
    now = timezone.now() - timedelta(minutes=1)
    with transaction.atomic():
        with outbox_discarding(), metrics_requests_held(), changes.change_listeners_held():
            with pytest.MonkeyPatch.context() as patch:
                stop_at(patch, timeline, "apply_steps", 30)
                with pytest.raises(Stopped):
                    practice.activity_build(communities=[community], weeks=WEEKS, now=now)
            assert practice.community_has_activity(community)
            again = practice.activity_build(communities=[community], weeks=WEEKS, now=now)
            assert (again.communities, again.skipped_communities) == (1, 0)
            assert again.counts["thread"] > 0  # the rest of the steps, run this time
            finished = practice.activity_build(communities=[community], weeks=WEEKS, now=now)
            assert (finished.communities, finished.skipped_communities) == (0, 1)
        transaction.set_rollback(True)
