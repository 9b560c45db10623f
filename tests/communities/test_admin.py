"""The Django admin: every page loads, and role changes made there keep the history."""

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse

from communities import services
from communities.models import Community, Membership, MembershipEvent
from tests.factories import CommunityFactory, UserFactory, make_admin, make_member

pytestmark = pytest.mark.django_db

State = Membership.State
Role = Membership.Role
Kind = MembershipEvent.Kind


@pytest.fixture
def superuser(client):
    user = make_admin()
    client.force_login(user)
    return user


@pytest.fixture
def content(superuser):
    """One of everything, so list and change pages render real rows."""
    community = CommunityFactory(slug="adm", visibility="request")
    moderator = make_member(community, role=Role.MODERATOR).user
    services.membership_request(community=community, user=UserFactory())
    services.invitation_create(community=community, by=moderator, note="for Ana")
    from communities.interactions import interaction_record

    member = make_member(community).user
    interaction_record(
        community=community, actor=member, target=moderator, kind="reply",
        occurred_at=community.created_at, source=community,
    )  # fmt: skip
    return community


def _registered():
    return [
        pytest.param(model, id=f"{model._meta.app_label}.{model._meta.model_name}")
        for model in admin.site._registry
    ]


@pytest.mark.parametrize("model", _registered())
def test_admin_changelist_loads(client, content, model):
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert client.get(url).status_code == 200
    assert client.get(url, {"q": "a"}).status_code == 200  # search, where there is one
    obj = model._default_manager.first()
    if obj is not None:
        change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        assert client.get(change).status_code == 200


def test_admin_lists_every_communities_model(content):
    from django.apps import apps

    registered = set(admin.site._registry)
    assert set(apps.get_app_config("communities").get_models()) <= registered


def test_admin_pages_need_staff(client, content):
    client.force_login(UserFactory())
    response = client.get(reverse("admin:communities_membership_changelist"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_admin_action_appoints_moderator_with_history(client, superuser, content):
    member = make_member(content)
    response = client.post(
        reverse("admin:communities_membership_changelist"),
        {"action": "appoint_moderators", "_selected_action": [member.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "1 membership(s) updated" in response.content.decode()
    member.refresh_from_db()
    assert member.is_moderator
    event = MembershipEvent.objects.get(membership=member)
    assert (event.kind, event.from_role, event.to_role) == (
        Kind.ROLE_CHANGED,
        Role.MEMBER,
        Role.MODERATOR,
    )
    assert event.actor == superuser


def test_admin_action_reports_refusals(client, superuser, content):
    banned = make_member(content, state=State.BANNED)
    response = client.post(
        reverse("admin:communities_membership_changelist"),
        {"action": "appoint_moderators", "_selected_action": [banned.pk]},
        follow=True,
    )
    assert "Unban this person" in response.content.decode()
    banned.refresh_from_db()
    assert banned.state == State.BANNED and banned.role == Role.MEMBER


def test_admin_membership_change_form_keeps_history(client, superuser, content):
    member = make_member(content)
    url = reverse("admin:communities_membership_change", args=[member.pk])
    response = client.post(
        url,
        {
            "community": content.pk,
            "user": member.user.pk,
            "role": Role.MODERATOR,
            "state": State.ACTIVE,
            "events-TOTAL_FORMS": 0,
            "events-INITIAL_FORMS": 0,
            "events-MIN_NUM_FORMS": 0,
            "events-MAX_NUM_FORMS": 1000,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = MembershipEvent.objects.get(membership=member)
    assert (event.kind, event.to_role, event.actor) == (
        Kind.ROLE_CHANGED,
        Role.MODERATOR,
        superuser,
    )


def _community_form(community, memberships, extra=()):
    data = {
        "name": community.name,
        "slug": community.slug,
        "domain": community.domain,
        "visibility": community.visibility,
        "about": community.about,
        "dashboard_naming_default": community.dashboard_naming_default,
        "memberships-TOTAL_FORMS": len(memberships) + len(extra),
        "memberships-INITIAL_FORMS": len(memberships),
        "memberships-MIN_NUM_FORMS": 0,
        "memberships-MAX_NUM_FORMS": 1000,
    }
    rows = [(m.pk, m.user_id, m.role, m.state) for m in memberships] + list(extra)
    for i, (pk, user_id, role, state) in enumerate(rows):
        data.update(
            {
                f"memberships-{i}-id": pk or "",
                f"memberships-{i}-community": community.pk,
                f"memberships-{i}-user": user_id,
                f"memberships-{i}-role": role,
                f"memberships-{i}-state": state,
            }
        )
    return data


def test_admin_community_inline_appoints_moderator_with_history(client, superuser):
    community = CommunityFactory(slug="inline")
    member = make_member(community)
    newcomer = UserFactory()
    data = _community_form(community, [member], extra=[(None, newcomer.pk, "moderator", "active")])
    data["memberships-0-role"] = Role.MODERATOR
    response = client.post(reverse("admin:communities_community_change", args=[community.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    member.refresh_from_db()
    assert member.is_moderator
    event = MembershipEvent.objects.get(membership=member)
    assert (event.kind, event.from_role, event.to_role, event.actor) == (
        Kind.ROLE_CHANGED,
        Role.MEMBER,
        Role.MODERATOR,
        superuser,
    )
    new = Membership.objects.get(community=community, user=newcomer)
    assert new.is_moderator
    new_event = MembershipEvent.objects.get(membership=new)
    assert new_event.actor == superuser
    assert new_event.to_role == Role.MODERATOR and new_event.to_state == State.ACTIVE
    # The admin's audit trail names the membership changes too.
    message = LogEntry.objects.get(object_id=str(community.pk)).get_change_message()
    assert "Added membership" in message and "Changed Role for membership" in message


def test_admin_community_save_renders_about_and_logs(client, superuser):
    response = client.post(
        reverse("admin:communities_community_add"),
        {
            "name": "Wound care",
            "slug": "wound-care",
            "domain": "Chronic wounds",
            "visibility": "open",
            "about": "**Welcome** <script>x</script>",
            "dashboard_naming_default": "named",
            "memberships-TOTAL_FORMS": 0,
            "memberships-INITIAL_FORMS": 0,
            "memberships-MIN_NUM_FORMS": 0,
            "memberships-MAX_NUM_FORMS": 1000,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    community = Community.objects.get(slug="wound-care")
    assert "<strong>Welcome</strong>" in community.about_html
    assert "<script>" not in community.about_html
    assert community.created_by == superuser
    entry = LogEntry.objects.get(object_id=str(community.pk))
    assert entry.user == superuser and entry.is_addition()
    log_page = client.get(reverse("admin:admin_logentry_changelist"))
    assert log_page.status_code == 200
    assert "Wound care" in log_page.content.decode()
    detail = client.get(reverse("admin:admin_logentry_change", args=[entry.pk]))
    assert detail.status_code == 200


def _membership_add_data(community, user, role, state):
    return {
        "community": community.pk,
        "user": user.pk,
        "role": role,
        "state": state,
        "events-TOTAL_FORMS": 0,
        "events-INITIAL_FORMS": 0,
        "events-MIN_NUM_FORMS": 0,
        "events-MAX_NUM_FORMS": 1000,
    }


def test_admin_membership_add_defaults_to_active(client, superuser, content):
    response = client.get(reverse("admin:communities_membership_add"))
    form = response.context["adminform"].form
    assert form["state"].value() == State.ACTIVE


def test_admin_membership_add_refuses_a_moderator_who_is_not_active(client, superuser, content):
    # issue #13, item 10: an admin could appoint a pending (or left, banned) moderator.
    newcomer = UserFactory()
    url = reverse("admin:communities_membership_add")
    response = client.post(url, _membership_add_data(content, newcomer, Role.MODERATOR, "pending"))
    assert response.status_code == 200
    assert "A moderator must be an active member" in response.content.decode()
    assert not Membership.objects.filter(user=newcomer).exists()
    response = client.post(url, _membership_add_data(content, newcomer, Role.MODERATOR, "active"))
    assert response.status_code == 302, response.content.decode()[:2000]
    membership = Membership.objects.get(user=newcomer, community=content)
    assert membership.is_moderator
    event = MembershipEvent.objects.get(membership=membership)
    assert (event.to_state, event.to_role, event.actor) == (State.ACTIVE, Role.MODERATOR, superuser)


def test_admin_membership_change_and_inline_refuse_an_inactive_moderator(client, superuser):
    community = CommunityFactory(slug="inactive-mod")
    member = make_member(community)
    data = _membership_add_data(community, member.user, Role.MODERATOR, State.LEFT)
    url = reverse("admin:communities_membership_change", args=[member.pk])
    response = client.post(url, data)
    assert response.status_code == 200
    assert "A moderator must be an active member" in response.content.decode()
    newcomer = UserFactory()
    data = _community_form(community, [member], extra=[(None, newcomer.pk, "moderator", "pending")])
    response = client.post(reverse("admin:communities_community_change", args=[community.pk]), data)
    assert response.status_code == 200
    assert "A moderator must be an active member" in response.content.decode()
    member.refresh_from_db()
    assert (member.role, member.state) == (Role.MEMBER, State.ACTIVE)
    assert not Membership.objects.filter(user=newcomer).exists()


def test_membership_admin_update_refuses_an_inactive_moderator(superuser):
    community = CommunityFactory(slug="svc-mod")
    member = make_member(community)
    with pytest.raises(ValidationError, match="active member"):
        services.membership_admin_update(
            membership=member, role=Role.MODERATOR, state=State.PENDING, by=superuser
        )
    member.refresh_from_db()
    assert (member.role, member.state) == (Role.MEMBER, State.ACTIVE)
