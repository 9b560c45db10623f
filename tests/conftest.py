import pytest

from communities.models import Community, Membership
from tests.factories import CommunityFactory, UserFactory, make_member

pytest_plugins = ["tests.plugins.services"]


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def open_community(db):
    return CommunityFactory(name="Wound care nurses", slug="wound-care", visibility="open")


@pytest.fixture
def request_community(db):
    return CommunityFactory(name="Physics teachers", slug="physics", visibility="request")


@pytest.fixture
def private_community(db):
    return CommunityFactory(
        name="SRE circle",
        slug="sre",
        visibility=Community.Visibility.PRIVATE,
        about="CANARY-private-about-text",
    )


@pytest.fixture
def moderator_of():
    def make(community):
        return make_member(community, role=Membership.Role.MODERATOR).user

    return make
