"""The move from three foreign keys (thread, post, event) to one generic target, both ways, on
the database the suite runs on (SQLite or PostgreSQL)."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from notifications.models import Notification
from practice.models import Event, Post, Thread
from tests.factories import CommunityFactory, UserFactory
from tests.practice.factories import answer, ask, member_of, moderator_of
from tests.practice.test_events_services import make_event

BEFORE = [("notifications", "0001_initial")]


def _migrate(targets):
    """Migrate to *targets* (None: every app's latest) and return the apps of that state."""
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_migration_fills_targets_from_the_foreign_keys_and_back():
    community = CommunityFactory(slug="wounds")
    asker, helper = member_of(community), member_of(community)
    thread = ask(community, asker)
    post = answer(thread, helper)
    event = make_event(community, moderator_of(community))
    recipient = UserFactory()
    Notification.objects.all().delete()

    old = _migrate(BEFORE).get_model("notifications", "Notification")
    now = timezone.now()
    rows = {
        name: old.objects.create(
            recipient_id=recipient.pk,
            community_id=community.pk,
            kind=kind,
            text=name,
            url="/x/",
            created_at=now,
            **keys,
        ).pk
        for name, kind, keys in [
            ("reply", "reply", {"thread_id": thread.pk, "post_id": post.pk}),
            ("new_thread", "new_thread", {"thread_id": thread.pk}),
            ("event", "event", {"event_id": event.pk}),
            ("membership", "membership", {}),
        ]
    }

    _migrate(None)
    moved = {n.text: n for n in Notification.objects.all()}
    assert {name: n.pk for name, n in moved.items()} == rows
    expected = {"reply": post, "new_thread": thread, "event": event, "membership": None}
    assert {name: n.target for name, n in moved.items()} == expected
    assert moved["reply"].target_type == ContentType.objects.get_for_model(Post)
    assert moved["new_thread"].target_type == ContentType.objects.get_for_model(Thread)
    assert moved["event"].target_type == ContentType.objects.get_for_model(Event)

    # Backwards: the three keys again, a post's notice naming its thread.
    old = _migrate(BEFORE).get_model("notifications", "Notification")
    keys = {
        n.text: (n.thread_id, n.post_id, n.event_id)
        for n in old.objects.all().only("text", "thread", "post", "event")
    }
    assert keys == {
        "reply": (thread.pk, post.pk, None),
        "new_thread": (thread.pk, None, None),
        "event": (None, None, event.pk),
        "membership": (None, None, None),
    }
    _migrate(None)
    assert Notification.objects.get(text="reply").target == post
