"""A community can ask its moderators to use two-factor sign-in: until they set it up they read
and post like members, and the community's header asks them to."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse

from communities import permissions
from communities.models import Community
from tests.factories import CommunityFactory, UserFactory, make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def strict():
    return CommunityFactory(slug="icu", moderators_need_2fa=True)


@pytest.fixture
def moderator(strict):
    return make_member(strict, UserFactory(username="kim"), role="moderator").user


def test_without_a_second_factor_a_moderator_does_not_moderate(client, strict, moderator):
    assert permissions.is_moderator(moderator, strict)
    assert not permissions.can_moderate(moderator, strict)
    assert permissions.can_post(moderator, strict)
    assert strict not in permissions.moderated_communities(moderator)
    client.force_login(moderator)
    assert client.get(reverse("communities:moderate", args=[strict.slug])).status_code in (403, 404)
    home = client.get(strict.get_absolute_url()).content.decode()
    assert "asks its moderators to use two-factor sign-in" in home
    assert reverse("mfa_index") in home


def test_with_an_authenticator_app_they_moderate(client, strict, moderator):
    TOTP.activate(moderator, generate_totp_secret())
    moderator = type(moderator).objects.get(pk=moderator.pk)  # no remembered answer
    assert permissions.can_moderate(moderator, strict)
    assert strict in permissions.moderated_communities(moderator)
    client.force_login(moderator)
    assert client.get(reverse("communities:moderate", args=[strict.slug])).status_code == 200
    assert "two-factor" not in client.get(strict.get_absolute_url()).content.decode()


def test_other_communities_and_members_are_not_affected(client, moderator):
    relaxed = CommunityFactory(slug="wards")
    make_member(relaxed, moderator, role="moderator")
    assert permissions.can_moderate(moderator, relaxed)
    member = make_member(Community.objects.get(slug="icu"), UserFactory()).user
    client.force_login(member)
    page = client.get(reverse("communities:home", args=["icu"])).content.decode()
    assert "two-factor" not in page
