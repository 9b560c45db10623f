"""The fast seed leaves what the write-by-write seed left: the same rows in every model.

``seed_demo`` holds the change listeners (``communities.changes.change_listeners_held``) and
rebuilds the search index once at the end instead of indexing every write on the way. Seeding
a small demo both ways must give the same database fingerprint (``demo.fingerprint``), model by
model, search index included.
"""

import contextlib
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from communities import changes
from communities.models import Community
from core.email import outbox_discarding
from demo.fingerprint import database_fingerprint, fingerprint_differences
from demo.knowledge import repertoire_build
from demo.practice import activity_build
from knowledge import changes as item_changes
from knowledge.services.experts import experts_fill
from metrics.pipeline.schedule import metrics_requests_held
from practice import changes as practice_changes
from search.indexing import rebuild as search_index_rebuild
from search.models import SearchEntry

WEEKS = 6  # threads, answers, votes, accepts, items and reports, quickly
SLUG = "wound-care-nurses"

# Both builds run in savepoints that are rolled back; SQLite rolls back its id counters with
# them, so both number their rows alike. PostgreSQL's sequences are not rolled back, and foreign
# keys would differ by the first build's row count.
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def _build(*, hold, now) -> dict:
    """What seed_demo does for one community, with *hold* around the writes and the rebuilds of
    what listens (the search index, the stored expert scores) after them."""
    community = Community.objects.get(slug=SLUG)
    with transaction.atomic():
        with outbox_discarding(), metrics_requests_held(), hold():
            activity = activity_build(communities=[community], weeks=WEEKS, now=now)
            repertoire = repertoire_build(communities=[community], now=now)
        # What seed_demo rebuilds after holding the listeners: every listener's output.
        search_index_rebuild(communities=[community])
        experts_fill()
        assert activity.communities == 1 and repertoire.communities == 1
        assert SearchEntry.objects.filter(community=community).count() > 50
        fingerprint = database_fingerprint()
        transaction.set_rollback(True)
    return fingerprint


def test_listeners_held_then_one_rebuild_equals_indexing_each_write(people, monkeypatch):
    now = timezone.now() - timedelta(minutes=1)
    held = _build(hold=changes.change_listeners_held, now=now)

    calls = []
    monkeypatch.setattr(
        practice_changes,
        "_post_listeners",
        [*practice_changes._post_listeners, calls.append],
    )
    write_by_write = _build(hold=contextlib.nullcontext, now=now)

    assert calls, "the second build should have called the listeners write by write"
    assert fingerprint_differences(held, write_by_write) == []
    assert held["practice.Post"]["rows"] > 20 and held["knowledge.Item"]["rows"] > 10


def test_change_listeners_held_silences_every_registry(monkeypatch):
    heard = []
    monkeypatch.setattr(changes, "_member_listeners", [lambda pk: heard.append(("member", pk))])
    monkeypatch.setattr(
        practice_changes, "_thread_listeners", [lambda pk: heard.append(("thread", pk))]
    )
    monkeypatch.setattr(
        practice_changes, "_post_listeners", [lambda pk: heard.append(("post", pk))]
    )
    monkeypatch.setattr(item_changes, "_item_listeners", [lambda pk: heard.append(("item", pk))])

    def tell_all():
        changes.member_changed(1)
        practice_changes.thread_changed(2)
        practice_changes.post_changed(3)
        item_changes.item_changed(4)

    with changes.change_listeners_held():
        tell_all()
    assert heard == []
    assert not changes.change_listeners_are_held()
    tell_all()
    assert heard == [("member", 1), ("thread", 2), ("post", 3), ("item", 4)]
