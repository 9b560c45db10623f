"""Every list page makes the same number of queries for 5 rows as for 50."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities import services
from communities.models import Membership, ProfessionalGroup
from tests.factories import CommunityFactory, UserFactory, make_member

pytestmark = pytest.mark.django_db

Role = Membership.Role
State = Membership.State


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def _assert_constant(client, url, add_rows, django_assert_max_num_queries, variants=("",)):
    """Measure *url* (with each query string in *variants*) with 5 rows, grow to 50 with
    *add_rows*, and require no more queries than with 5."""
    urls = [url + variant for variant in variants]
    for each in urls:
        client.get(each)  # warm per-process caches (content types)
    add_rows(5)
    with_5 = [_queries(client, each) for each in urls]
    add_rows(45)
    responses = []
    for each, expected in zip(urls, with_5, strict=True):
        with django_assert_max_num_queries(expected):
            responses.append(client.get(each))
        assert responses[-1].status_code == 200
    return responses[0]


def _member_with_profile(community, i, group, state=State.ACTIVE, role=Role.MEMBER):
    membership = make_member(community, role=role, state=state)
    services.profile_update(
        profile=membership.user.profile,
        display_name=f"Person {i}",
        professional_group=group,
        expertise=[f"tag {i}", f"tag {i + 1}", "shared"],
    )
    return membership


@pytest.fixture
def group():
    return ProfessionalGroup.objects.create(name="Nurses", slug="nurses")


@pytest.mark.parametrize("signed_in", [False, True])
def test_directory_query_count_is_constant(client, django_assert_max_num_queries, signed_in):
    viewer = UserFactory()
    if signed_in:
        client.force_login(viewer)
    made = []

    def add(n):
        for _ in range(n):
            i = len(made)
            community = CommunityFactory(
                name=f"Community {i:03}", visibility=["open", "request", "private"][i % 3]
            )
            make_member(community)
            make_member(community, viewer)
            made.append(community)

    response = _assert_constant(
        client, reverse("communities:directory"), add, django_assert_max_num_queries
    )
    assert len(response.context["page"].object_list) == 25


def test_community_home_query_count_is_constant(client, group, django_assert_max_num_queries):
    community = CommunityFactory(slug="home", visibility="private")
    viewer = make_member(community).user
    client.force_login(viewer)
    count = [0]

    def add(n):
        for _ in range(n):
            count[0] += 1
            _member_with_profile(community, count[0], group, role=Role.MODERATOR)

    response = _assert_constant(
        client, community.get_absolute_url(), add, django_assert_max_num_queries
    )
    assert len(response.context["moderators"]) == 50


def test_members_page_query_count_is_constant(client, group, django_assert_max_num_queries):
    community = CommunityFactory(slug="people")
    moderator = make_member(community, role=Role.MODERATOR).user
    client.force_login(moderator)  # moderators also see a ban button per member
    other_group = ProfessionalGroup.objects.create(name="Doctors", slug="doctors")
    count = [0]

    def add(n):
        for _ in range(n):
            count[0] += 1
            _member_with_profile(community, count[0], [group, other_group][count[0] % 2])

    url = reverse("communities:members", args=[community.slug])
    filters = ("", "?tag=shared", "?group=nurses", "?q=Person", "?tag=shared&group=nurses&page=2")
    response = _assert_constant(client, url, add, django_assert_max_num_queries, filters)
    assert len(response.context["page"].object_list) == 30
    assert b"tag 11" in response.content  # Person 10's tags, rendered from the prefetch


def test_moderate_page_query_count_is_constant(client, group, django_assert_max_num_queries):
    community = CommunityFactory(slug="mod", visibility="request")
    moderator = make_member(community, role=Role.MODERATOR).user
    client.force_login(moderator)
    count = [0]

    def add(n):
        for _ in range(n):
            count[0] += 1
            i = count[0]
            applicant = UserFactory()
            services.profile_update(
                profile=applicant.profile, display_name=f"Applicant {i}", professional_group=group
            )
            services.membership_request(community=community, user=applicant, message=f"hi {i}")
            services.invitation_create(community=community, by=moderator, note=f"for {i}")
            member = make_member(community)
            services.membership_ban(membership=member, by=moderator, reason=f"spam {i}")

    url = reverse("communities:moderate", args=[community.slug])
    response = _assert_constant(client, url, add, django_assert_max_num_queries)
    assert len(response.context["pending"]) == 50
    assert len(response.context["invitations"]) == 50
    assert len(response.context["banned"]) == 50
    assert len(response.context["events"]) == 20


def test_profile_page_query_count_is_constant(client, group, django_assert_max_num_queries):
    person = UserFactory()
    services.profile_update(profile=person.profile, display_name="Ana", professional_group=group)
    viewer = UserFactory()
    client.force_login(viewer)
    count = [0]

    def add(n):
        for _ in range(n):
            count[0] += 1
            community = CommunityFactory(visibility=["open", "private"][count[0] % 2])
            make_member(community, person, role=[Role.MEMBER, Role.MODERATOR][count[0] % 2])
            make_member(community, viewer)
        tags = [f"topic {i}" for i in range(count[0])]
        services.profile_update(profile=person.profile, expertise=tags)

    url = reverse("communities:profile", args=[person.username])
    response = _assert_constant(client, url, add, django_assert_max_num_queries)
    assert len(response.context["memberships"]) == 50
    assert len(response.context["expertise"]) == 50


def test_profile_edit_query_count_is_constant(client, django_assert_max_num_queries):
    user = UserFactory()
    client.force_login(user)
    count = [0]

    def add(n):
        count[0] += n
        ProfessionalGroup.objects.bulk_create(
            ProfessionalGroup(name=f"G{count[0]}-{i}", slug=f"g{count[0]}-{i}") for i in range(n)
        )
        services.profile_update(
            profile=user.profile, expertise=[f"topic {i}" for i in range(count[0])]
        )

    _assert_constant(
        client, reverse("communities:profile_edit"), add, django_assert_max_num_queries
    )
