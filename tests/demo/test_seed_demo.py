"""The demo data command: believable, complete, idempotent, and safe to reset."""

import random
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from communities.models import Community, Invitation, Membership, MembershipEvent, Profile
from demo import communities as demo
from tests.factories import CommunityFactory, UserFactory

User = get_user_model()
State = Membership.State
Role = Membership.Role


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seed once for the module inside a transaction that is rolled back at the end."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("seed_demo", "--no-activity", stdout=open("/dev/null", "w"))  # noqa: SIM115
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def demo_counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "profiles": Profile.objects.count(),
        "emails": EmailAddress.objects.count(),
        "communities": Community.objects.count(),
        "memberships": Membership.objects.count(),
        "events": MembershipEvent.objects.count(),
        "invitations": Invitation.objects.count(),
        "tagged": Profile.expertise.through.objects.count(),
    }


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]


def test_seed_demo_builds_people_spread_over_groups():
    profiles = Profile.objects.filter(user__email__endswith=f"@{demo.DEMO_EMAIL_DOMAIN}")
    assert profiles.count() >= 250
    groups = set(profiles.values_list("professional_group__slug", flat=True))
    assert {slug for slug, *_ in demo.GROUPS} <= groups
    sample = profiles.exclude(user__username__in=["admin"]).first()
    assert sample.display_name and sample.occupation and sample.organisation and sample.bio
    assert sample.expertise.count() >= 2


def test_seed_demo_builds_communities_of_every_visibility_with_moderators():
    communities = Community.objects.filter(slug__in=demo.DEMO_SLUGS)
    assert communities.count() >= 6
    for visibility in Community.Visibility.values:
        assert communities.filter(visibility=visibility).count() >= 2, visibility
    for community in communities:
        moderators = community.memberships.filter(role=Role.MODERATOR, state=State.ACTIVE)
        assert 1 <= moderators.count() <= 3, community.slug
        assert community.about_html.startswith("<p>"), community.slug
    sizes = sorted(c.memberships.filter(state=State.ACTIVE).count() for c in communities)
    assert sizes[-1] >= 240
    assert all(20 <= size <= 80 for size in sizes[:-1])


def test_seed_demo_puts_people_in_several_communities():
    active = Membership.objects.filter(state=State.ACTIVE)
    per_user = [active.filter(user=user).count() for user in User.objects.all()[:60]]
    assert sum(1 for n in per_user if n >= 2) >= 20


def test_seed_demo_leaves_requests_invitations_and_history():
    for spec in demo.COMMUNITIES:
        community = Community.objects.get(slug=spec.slug)
        pending = community.memberships.filter(state=State.PENDING)
        assert pending.count() == spec.pending, spec.slug
        if community.is_private:
            open_invitations = [
                inv for inv in community.invitations.all() if inv.is_usable(timezone.now())
            ]
            assert open_invitations, spec.slug
    assert Membership.objects.filter(state=State.PENDING).exclude(request_message="").exists()
    for state in (State.DECLINED, State.LEFT, State.BANNED):
        membership = Membership.objects.filter(state=state).first()
        assert membership is not None, state
        assert membership.events.count() >= 2, state


def test_seed_demo_spreads_history_over_the_past_year():
    now = timezone.now()
    times = MembershipEvent.objects.values_list("occurred_at", flat=True)
    assert min(times) < now - timedelta(days=300)
    assert max(times) > now - timedelta(days=30)
    assert max(times) <= now
    active = Membership.objects.filter(state=State.ACTIVE)
    assert not active.filter(joined_at__isnull=True).exists()
    # joined_at is the moment the membership became active, as its history says.
    membership = active.filter(
        community__visibility=Community.Visibility.REQUEST,
        events__kind=MembershipEvent.Kind.APPROVED,
    ).first()
    approved = membership.events.get(kind=MembershipEvent.Kind.APPROVED)
    requested = membership.events.get(kind=MembershipEvent.Kind.REQUESTED)
    assert membership.joined_at == approved.occurred_at
    assert requested.occurred_at < approved.occurred_at


def test_seed_demo_twice_gives_the_same_state():
    before = demo_counts()
    call_command("seed_demo", "--no-activity", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert demo_counts() == before


def test_seed_demo_plan_is_deterministic():
    first = demo.plan_people(random.Random(demo.SEED))
    second = demo.plan_people(random.Random(demo.SEED))
    assert [p.username for p in first] == [p.username for p in second]
    assert len({p.username for p in first}) == len(first) == 300


@pytest.mark.parametrize("username", [demo.ADMIN_USERNAME, demo.DEMO_USERNAME])
def test_seed_demo_users_log_in_with_the_printed_password(client, username):
    assert client.login(username=username, password=demo.DEMO_PASSWORD)
    client.logout()
    # Through allauth's form too: mandatory verification must not stop them.
    response = client.post(
        reverse("account_login"), {"login": username, "password": demo.DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == reverse("communities:directory")
    assert "_auth_user_id" in client.session


def test_seed_demo_admin_has_a_person_s_name():
    # issue #13, item 10: the admin's first name was "Demo" and its display name "Practica admin".
    admin = User.objects.select_related("profile").get(username=demo.ADMIN_USERNAME)
    assert admin.first_name not in ("", "Demo") and admin.last_name not in ("", "Admin")
    assert admin.profile.display_name == f"{admin.first_name} {admin.last_name}"


def test_seed_demo_member_moderates_one_community(client):
    demo_user = User.objects.get(username=demo.DEMO_USERNAME)
    moderated = Membership.objects.filter(user=demo_user, role=Role.MODERATOR, state=State.ACTIVE)
    assert moderated.count() == 1
    client.force_login(demo_user)
    slug = moderated.get().community.slug
    response = client.get(reverse("communities:moderate", args=[slug]))
    assert response.status_code == 200
    pending = Membership.objects.filter(community__slug=slug, state=State.PENDING).first()
    assert pending.user.username in response.content.decode()


def test_seed_demo_private_content_hidden_from_non_member_demo_user(client):
    demo_user = User.objects.get(username=demo.DEMO_USERNAME)
    client.force_login(demo_user)
    hidden = Community.objects.get(slug="palliative-care-circle")
    assert not Membership.objects.filter(community=hidden, user=demo_user).exists()
    response = client.get(hidden.get_absolute_url())
    assert response.status_code == 200
    assert "What is said here stays here" not in response.content.decode()
    assert client.get(reverse("communities:members", args=[hidden.slug])).status_code == 404
    # ...while the private community the demo member joined by invitation is readable.
    joined = Community.objects.get(slug="school-leaders-forum")
    assert "A confidential forum" in client.get(joined.get_absolute_url()).content.decode()


def test_seed_demo_reset_deletes_only_demo_objects():
    before = demo_counts()
    outsider = UserFactory(username="not-demo")
    own = CommunityFactory(slug="not-demo-community")
    call_command("seed_demo", "--reset", "--no-activity", stdout=open("/dev/null", "w"))  # noqa: SIM115
    # Reset then rebuild: the demo is back, the outsiders were never touched.
    assert User.objects.filter(pk=outsider.pk).exists()
    assert Community.objects.filter(pk=own.pk).exists()
    assert Community.objects.filter(slug__in=demo.DEMO_SLUGS).count() == len(demo.COMMUNITIES)
    after = demo_counts()
    assert after["users"] == before["users"] + 1
    assert after["communities"] == before["communities"] + 1
    for key in ("memberships", "events", "invitations", "emails"):
        assert after[key] == before[key], key


def test_demo_reset_removes_demo_people_and_communities():
    outsider = UserFactory(username="outsider")
    demo.demo_reset()
    assert not User.objects.filter(email__endswith=f"@{demo.DEMO_EMAIL_DOMAIN}").exists()
    assert not Community.objects.filter(slug__in=demo.DEMO_SLUGS).exists()
    assert User.objects.filter(pk=outsider.pk).exists()


def test_seed_demo_people_have_visited_their_communities_recently():
    """The front page's "new since your last visit" shows the demo's last days, and nobody
    gets the welcome meant for a first visit after joining (issue #13, item 7)."""
    active = Membership.objects.filter(state=State.ACTIVE, community__slug__in=demo.DEMO_SLUGS)
    assert active.exists() and not active.filter(last_seen_at__isnull=True).exists()
