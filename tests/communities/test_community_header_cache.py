"""The community header is rendered once per process for each community state and kind of
reader (communities.templatetags.community_nav.community_header): a reader never gets another
kind's tabs, and a change of role, name or two-factor rule shows on the next request."""

import pytest
from django.urls import reverse

from communities.models import Membership
from communities.services import community_save, membership_set_role
from tests.factories import CommunityFactory, make_admin, make_member

pytestmark = pytest.mark.django_db

MODERATOR_TAB = "Requests &amp; invitations"


def header(client, community) -> str:
    html = client.get(reverse("practice:thread_list", args=[community.slug])).content.decode()
    return html[html.index('<header class="community-header">') :].split("</header>")[0]


def test_header_follows_the_readers_role_on_the_next_request(client):
    community = CommunityFactory(slug="wound-care", visibility="open")
    admin = make_admin()
    membership = make_member(community)
    other = make_member(community, role=Membership.Role.MODERATOR)
    # A moderator's header first: the member's must not reuse it.
    client.force_login(other.user)
    assert MODERATOR_TAB in header(client, community)
    client.force_login(membership.user)
    assert MODERATOR_TAB not in header(client, community)
    membership_set_role(membership=membership, role=Membership.Role.MODERATOR, by=admin)
    assert MODERATOR_TAB in header(client, community)
    membership_set_role(membership=membership, role=Membership.Role.MEMBER, by=admin)
    assert MODERATOR_TAB not in header(client, community)
    client.logout()
    assert MODERATOR_TAB not in header(client, community)


def test_header_shows_a_new_name_and_the_two_factor_request_at_once(client):
    community = CommunityFactory(slug="wound-care", name="Wound care", visibility="open")
    moderator = make_member(community, role=Membership.Role.MODERATOR).user
    client.force_login(moderator)
    assert "Wound care" in header(client, community)
    assert "two-factor" not in header(client, community)
    community.name = "Wound and skin care"
    community.moderators_need_2fa = True
    community_save(community=community)
    shown = header(client, community)
    assert "Wound and skin care" in shown
    assert "asks its moderators to use two-factor sign-in" in shown
    assert MODERATOR_TAB not in shown  # without a second factor they do not moderate
