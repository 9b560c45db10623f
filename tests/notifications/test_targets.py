"""What a notice is about: its generic target, gone with its content, moved with its thread, and
never read to show the list; the layer rule that notifications name no model above them."""

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import Notification
from notifications.services import notify
from practice.services import endorsements, events, follows, moderation
from practice.services.threads import post_hide
from tests.factories import CommunityFactory, make_admin, make_member
from tests.practice.factories import answer, ask, member_of, moderator_of
from tests.practice.test_events_services import make_event

pytestmark = pytest.mark.django_db

Kind = Notification.Kind
LIST_URL = reverse("notifications:notifications")
# The layers below notifications, and Django's own apps: what its models may point at.
LOWER_APPS = {"notifications", "communities", "core", "contenttypes", "auth"}


def _thread_with_notices(community):
    """A question (a new-thread notice to a follower), an answer (a reply notice to the asker),
    accepted (a notice to the helper)."""
    asker, helper, follower = (member_of(community) for _ in range(3))
    follows.community_follow(user=follower, community=community)
    thread = ask(community, asker)
    post = answer(thread, helper)
    endorsements.answer_accept(answer=post, by=asker)
    return thread, post


def kinds_about(target) -> list[str]:
    return sorted(target.notices.values_list("kind", flat=True))


# --- the target ------------------------------------------------------------------------------


def test_notify_targets_the_most_specific_content(open_community):
    thread, post = _thread_with_notices(open_community)
    assert kinds_about(thread) == [Kind.NEW_THREAD]
    assert kinds_about(post) == [Kind.ACCEPTED, Kind.REPLY]
    assert all(n.target == post for n in post.notices.all())


def test_membership_notices_have_no_target(open_community):
    me = member_of(open_community)
    [note] = notify(
        recipient_ids=[me.pk],
        kind=Kind.MEMBERSHIP,
        community=open_community,
        text="Approved",
        url=open_community.get_absolute_url(),
    )
    note.refresh_from_db()
    assert note.target_type_id is None and note.target_id is None and note.target is None


# --- deleted content takes its notices along (as the foreign keys' CASCADE did) ----------------


def test_deleting_a_thread_deletes_its_notices_and_its_posts(open_community):
    thread, post = _thread_with_notices(open_community)
    other_thread, other_post = _thread_with_notices(open_community)
    doomed = {n.pk for n in [*thread.notices.all(), *post.notices.all()]}
    assert len(doomed) == 3
    kept = set(Notification.objects.values_list("pk", flat=True)) - doomed
    other_kinds = kinds_about(other_thread), kinds_about(other_post)
    thread.delete()
    assert set(Notification.objects.values_list("pk", flat=True)) == kept
    assert (kinds_about(other_thread), kinds_about(other_post)) == other_kinds


def test_deleting_a_post_deletes_only_its_notices(open_community):
    thread, post = _thread_with_notices(open_community)
    post.delete()
    assert not Notification.objects.filter(kind__in=[Kind.REPLY, Kind.ACCEPTED]).exists()
    assert kinds_about(thread) == [Kind.NEW_THREAD]


def test_deleting_an_event_deletes_its_notices(open_community):
    mod = moderator_of(open_community)
    event, other = make_event(open_community, mod), make_event(open_community, mod, title="Other")
    for e in (event, other):
        events.rsvp_set(event=e, user=member_of(open_community), answer="going")
        events.event_cancel(event=e, by=mod, reason="Snow")
    assert kinds_about(event) == kinds_about(other) == [Kind.EVENT]
    event_pk = event.pk
    event.delete()
    assert not Notification.objects.filter(target_type__model="event", target_id=event_pk).exists()
    assert kinds_about(other) == [Kind.EVENT]


def test_deleting_a_community_deletes_its_content_and_notices(open_community):
    _thread_with_notices(open_community)
    elsewhere = CommunityFactory(slug="elsewhere")
    thread, _ = _thread_with_notices(elsewhere)
    open_community.delete()
    assert set(Notification.objects.values_list("community", flat=True)) == {elsewhere.pk}
    assert kinds_about(thread) == [Kind.NEW_THREAD]


def test_hiding_a_post_keeps_its_notices(open_community):
    """Hiding is not deleting: the notices stay, as they did with the foreign keys."""
    thread, post = _thread_with_notices(open_community)
    post_hide(post=post, by=moderator_of(open_community), reason="spam")
    assert kinds_about(post) == [Kind.ACCEPTED, Kind.REPLY]


def test_admin_delete_of_a_thread_with_notices_lists_them_and_is_refused(client, open_community):
    """The admin's delete page collects the notices through the GenericRelation, as it did
    through the foreign keys; notices are read-only in the admin, so the delete is refused."""
    thread, _ = _thread_with_notices(open_community)
    client.force_login(make_admin())
    url = reverse("admin:practice_thread_delete", args=[thread.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert "notification" in response.context["perms_lacking"]
    client.post(url, {"post": "yes"})
    assert kinds_about(thread) == [Kind.NEW_THREAD]


# --- a moved thread takes its notices along ---------------------------------------------------


def test_thread_move_moves_the_notices_of_the_thread_and_its_posts(open_community):
    thread, post = _thread_with_notices(open_community)
    stays, _ = _thread_with_notices(open_community)
    target = CommunityFactory(slug="target")
    mod = moderator_of(open_community)
    make_member(target, mod, role="moderator")
    moderation.thread_move(thread=thread, to_community=target, by=mod, reason="")
    assert set(thread.notices.values_list("community", flat=True)) == {target.pk}
    assert set(post.notices.values_list("community", flat=True)) == {target.pk}
    assert set(stays.notices.values_list("community", flat=True)) == {open_community.pk}
    assert Notification.objects.filter(community=target).count() == 3


# --- the list shows what the notice stores --------------------------------------------------


def test_notification_list_links_each_notice_to_its_content_without_reading_it(
    client, open_community, django_assert_max_num_queries
):
    asker = member_of(open_community)
    follows.community_follow(user=asker, community=open_community)
    helper = member_of(open_community)
    thread = ask(open_community, helper, title="Honey dressings?")
    mine = ask(open_community, asker)
    post = answer(mine, helper)
    mod = moderator_of(open_community)
    event = make_event(open_community, mod)
    events.rsvp_set(event=event, user=asker, answer="going")
    events.event_cancel(event=event, by=mod, reason="Snow")
    client.force_login(asker)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(LIST_URL)
    assert response.status_code == 200
    # No query reads a thread, a post or an event: the list shows the stored text and url.
    assert not [q["sql"] for q in ctx if "practice_" in q["sql"].replace("practice_notif", "")]
    with django_assert_max_num_queries(8):
        client.get(LIST_URL)
    html = response.content.decode()
    notes = {n.target: n for n in Notification.objects.filter(recipient=asker)}
    assert set(notes) == {thread, post, event}
    for target, note in notes.items():
        open_url = reverse("notifications:notification_open", args=[note.pk])
        assert open_url in html and note.text in html
        assert client.get(open_url)["Location"] == target.get_absolute_url()


# --- the layers ----------------------------------------------------------------------------------


def test_notification_models_point_at_no_app_above_notifications():
    for model in apps.get_app_config("notifications").get_models():
        for field in model._meta.get_fields():
            if field.is_relation and field.related_model is not None:
                assert field.related_model._meta.app_label in LOWER_APPS, (model, field.name)


def test_notifications_migrations_after_the_move_do_not_depend_on_practice():
    """0001 took the tables over from practice.0001, which created them, so it must run after
    it; no later migration of notifications names practice."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    later = [key for key in graph.nodes if key[0] == "notifications" and key[1] != "0001_initial"]
    assert later
    for key in later:
        assert not [d for d in graph.nodes[key].dependencies if d[0] == "practice"], key
