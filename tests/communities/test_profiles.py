"""Every user has a profile, however they were created (signup, ``createsuperuser``, the admin's
"Add user", code that calls ``create_user``), and users from before that rule get one from a data
migration. Every page that shows people still copes with someone who has none (a row deleted by
hand, an importer that bulk-inserts users): it shows their username instead of a 500."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from communities import services
from communities.models import Community, Membership, Profile
from knowledge.services import evidence as evidence_services
from practice.models import RSVP
from practice.services import endorsements
from practice.services import moderation as moderation_services
from tests.factories import UserFactory, make_admin
from tests.knowledge.ka_helpers import propose_change, publish
from tests.metrics.dashboard_data import write_snapshot
from tests.practice.factories import answer, ask, member_of, moderator_of
from tests.practice.test_events_services import make_event

pytestmark = pytest.mark.django_db
User = get_user_model()


# --- a profile for every user ------------------------------------------------------------------


def test_createsuperuser_gives_the_admin_a_profile():
    call_command(
        "createsuperuser",
        interactive=False,
        username="root",
        email="root@example.org",
        verbosity=0,
    )
    assert Profile.objects.filter(user__username="root").exists()


def test_create_user_gives_a_profile():
    user = User.objects.create_user("imported", "imported@example.org", "a long passphrase")
    assert Profile.objects.filter(user=user).exists()
    user.first_name = "Saved again"
    user.save()  # a later save does not try to add a second one
    assert Profile.objects.filter(user=user).count() == 1


def test_admin_add_user_gives_a_profile(client):
    client.force_login(make_admin())
    response = client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "added-by-admin",
            "usable_password": "true",
            "password1": "a long passphrase 42",
            "password2": "a long passphrase 42",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert Profile.objects.filter(user__username="added-by-admin").exists()


def test_data_migration_gives_existing_users_a_profile():
    migration = importlib.import_module("communities.migrations.0004_profile_for_every_user")
    # bulk_create sends no signal: users as an importer (or the time before the rule) left them.
    users = User.objects.bulk_create([User(username=f"old{i}") for i in range(3)])
    kept = UserFactory()
    Profile.objects.filter(user=kept).update(display_name="Kept as it was")
    assert not Profile.objects.filter(user__in=users).exists()

    migration.create_missing_profiles(apps, None)
    migration.create_missing_profiles(apps, None)  # a second run finds nothing to do

    assert Profile.objects.filter(user__in=users).count() == 3
    assert Profile.objects.get(user=kept).display_name == "Kept as it was"
    assert Profile.objects.count() == User.objects.count()


def test_display_name_falls_back_to_the_username():
    from communities.models import display_name

    user = UserFactory(username="plain")
    assert display_name(user) == "plain"
    services.profile_update(profile=Profile.objects.get(user=user), display_name="Ana P.")
    assert display_name(User.objects.select_related("profile").get(pk=user.pk)) == "Ana P."
    Profile.objects.filter(user=user).delete()
    assert display_name(User.objects.get(pk=user.pk)) == "plain"
    assert display_name(None) == ""


# --- pages that show people, with a person who has no profile ----------------------------------


@pytest.fixture
def world(private_community):
    """A private community in which "ghost" took part in everything, then lost their profile."""
    community = private_community
    admin = make_admin()
    moderator = moderator_of(community, username="mod")
    asker = member_of(community, username="asker")
    ghost = member_of(community, username="ghost")
    ghost_moderator = moderator_of(community, username="ghostmod")
    # The ghost asks, answers, is answered, is accepted and flagged.
    own = ask(community, ghost, title="Ghost's question", tags=["heels"])
    answer(own, asker, body="An answer to the ghost.")
    thread = ask(community, asker, title="Asker's question", tags=["heels"])
    ghost_post = answer(thread, ghost, body="The ghost's answer.")
    answer(thread, asker, body="Thanks!", reply_to=ghost_post)
    endorsements.answer_accept(answer=ghost_post, by=asker)
    moderation_services.flag_create(reporter=ghost, thread=thread, post=None, reason="spam")
    # The ghost goes to an event that has started (the attendance form lists them).
    event = make_event(community, moderator, starts_in=timedelta(hours=-1))
    RSVP.objects.create(event=event, user=ghost, answer="going", updated_at=timezone.now())
    # The ghost writes to the library and proposes a change.
    item = publish(community, ghost, moderator, title="The ghost's method")
    change = propose_change(item, ghost, note="A ghostly note", body="A new body.")
    evidence_services.evidence_report(item=item, member=asker, outcome="worked")
    # A pending ghost and a banned ghost for the moderation pages.
    pending = UserFactory(username="ghostpending")
    services.membership_request(community=community, user=pending, message="Let me in")
    banned = member_of(community, username="ghostbanned")
    services.membership_ban(
        membership=Membership.objects.get(community=community, user=banned), by=moderator
    )
    # Stored metrics in which the ghost is a member with ties.
    members = [moderator, asker, ghost, ghost_moderator]
    write_snapshot(community, members)
    ghosts = [ghost, ghost_moderator, pending, banned]
    Profile.objects.filter(user__in=ghosts).delete()
    return {
        "community": community,
        "admin": admin,
        "moderator": moderator,
        "asker": asker,
        "ghost": ghost,
        "thread": thread,
        "own": own,
        "ghost_post": ghost_post,
        "event": event,
        "item": item,
        "change": change,
    }


def _pages(w) -> dict[str, str]:
    slug, thread, item = w["community"].slug, w["thread"], w["item"]
    return {
        "community home": reverse("communities:home", args=[slug]),
        "members directory": reverse("communities:members", args=[slug]),
        "members by name": reverse("communities:members", args=[slug]) + "?q=ghost",
        "profile": reverse("communities:profile", args=["ghost"]),
        "moderation": reverse("communities:moderate", args=[slug]),
        "thread list": reverse("practice:thread_list", args=[slug]),
        "thread page": reverse("practice:thread", args=[slug, thread.pk]),
        "thread page, replying": reverse("practice:thread", args=[slug, thread.pk])
        + f"?reply_to={w['ghost_post'].pk}",
        "ghost's thread": reverse("practice:thread", args=[slug, w["own"].pk]),
        "post history": reverse("practice:post_history", args=[slug, w["ghost_post"].pk]),
        "activity": reverse("practice:member_activity", args=["ghost"]),
        "moderation queue": reverse("practice:moderation_queue", args=[slug]),
        "moderation log": reverse("practice:moderation_log", args=[slug]),
        "event page": reverse("practice:event", args=[slug, w["event"].pk]),
        "notifications": reverse("notifications:notifications"),
        "item page": reverse("knowledge:item", args=[slug, item.pk]),
        "item history": reverse("knowledge:item_history", args=[slug, item.pk]),
        "item diff": reverse("knowledge:item_diff", args=[slug, item.pk]) + "?from=1&to=1",
        "change page": reverse("knowledge:change", args=[slug, item.pk, w["change"].pk]),
        "health": reverse("knowledge:health", args=[slug]),
        "experts": reverse("knowledge:experts", args=[slug]),
        "promote": reverse("knowledge:promote_thread", args=[slug, thread.pk]),
        "dashboard": reverse("metrics:dashboard", args=[slug]),
        "dashboard network": reverse("metrics:network", args=[slug]),
        "dashboard members": reverse("metrics:members", args=[slug]),
        "my network": reverse("metrics:my_network", args=[slug]),
        "search": reverse("search:search") + "?q=ghost",
    }


# Pages that name the ghost: their username stands in for the missing display name.
NAMES_THE_GHOST = {
    "members directory", "members by name", "profile", "moderation", "thread page",
    "thread page, replying", "ghost's thread", "activity", "event page", "item page",
    "change page", "experts", "dashboard members",
}  # fmt: skip


MODERATORS_ONLY = {
    "moderation", "moderation queue", "moderation log", "health", "promote", "dashboard members",
}  # fmt: skip
REFUSED = {
    "admin": {"my network"},  # not a member: no network of their own
    "moderator": set(),
    "asker": MODERATORS_ONLY | {"change page"},  # the ghost's change proposal is not theirs
    "ghost": MODERATORS_ONLY,
}


@pytest.mark.parametrize("viewer", ["admin", "moderator", "asker", "ghost"])
def test_pages_that_show_people_cope_with_a_person_without_a_profile(client, world, viewer):
    client.force_login(world[viewer])
    for name, url in _pages(world).items():
        response = client.get(url)
        if name in REFUSED[viewer]:  # a page this viewer may not open: refused, not a 500
            assert response.status_code in (403, 404), (name, response.status_code)
            continue
        assert response.status_code == 200, (name, url, response.status_code)
        if name in NAMES_THE_GHOST and viewer in ("admin", "moderator"):
            assert "ghost" in response.content.decode(), name


def test_community_feed_names_an_author_without_a_profile(client, open_community):
    ghost = member_of(open_community, username="ghost")
    ask(open_community, ghost, title="Asked by a ghost")
    Profile.objects.filter(user=ghost).delete()
    response = client.get(reverse("practice:feed", args=[open_community.slug]))
    assert response.status_code == 200
    assert "<name>ghost</name>" in response.content.decode()


def test_event_attendance_choices_name_a_person_without_a_profile(client, world):
    # The page that answered 500 to a staff member: a private event's attendee without a profile.
    client.force_login(world["admin"])
    response = client.get(reverse("practice:event", args=["sre", world["event"].pk]))
    assert response.status_code == 200
    choices = dict(response.context["attendance_form"].fields["attendees"].choices)
    assert choices[world["ghost"].pk] == "ghost"


def test_every_user_of_the_world_but_the_ghosts_has_a_profile(world):
    without = set(User.objects.filter(profile__isnull=True).values_list("username", flat=True))
    assert without == {"ghost", "ghostmod", "ghostpending", "ghostbanned"}
    assert Community.objects.get(slug="sre").is_private
