"""Members decide whether dashboards name them (issue #15, being analysed): not named, they are
"A member" in moderators' lists, unlabelled in the network and unfindable by name, while the
community's figures still count them. A community sets the default and says so."""

import pytest
from django.urls import reverse

from accounts.models import SecurityEvent
from communities.models import Community, DashboardNaming, Membership, Profile
from metrics import selectors
from tests.factories import CommunityFactory, make_member
from tests.metrics.dashboard_data import make_members, write_snapshot

pytestmark = pytest.mark.django_db
SECRET = "Zoltan Unnamedperson"


@pytest.fixture
def world():
    community = CommunityFactory(slug="icu")
    users = make_members(community, 8, prefix="n-")
    shy = users[0]
    Profile.objects.filter(user=shy).update(
        display_name=SECRET, dashboard_naming=Profile.Naming.UNNAMED
    )
    write_snapshot(community, users, history=2)
    moderator = make_member(community, role=Membership.Role.MODERATOR).user
    return {"community": community, "users": users, "shy": shy, "moderator": moderator}


def _pages(community):
    slug = community.slug
    return [reverse(f"metrics:{name}", args=[slug]) for name in ("dashboard", "network", "members")]


def test_a_member_who_says_no_is_a_member_to_the_moderators(client, world):
    community = world["community"]
    client.force_login(world["moderator"])
    for url in _pages(community):
        text = client.get(url).content.decode()
        assert SECRET not in text and world["shy"].username not in text, url
    members = client.get(_pages(community)[2]).content.decode()
    assert "A member" in members and "Person 1" in members  # the others stay named
    assert "Why am I seeing this?" in members


def test_they_cannot_be_found_by_name_in_the_members_table(client, world):
    client.force_login(world["moderator"])
    url = reverse("metrics:members", args=[world["community"].slug])

    def found(query):
        return [row.user_id for row in client.get(url, {"q": query}).context["page"].object_list]

    assert found("Zoltan") == [] and found(world["shy"].username) == []
    assert found("Person 2") == [world["users"][2].pk]


def test_exports_that_name_people_leave_them_out(client, world):
    client.force_login(world["moderator"])
    slug = world["community"].slug
    for name in ("export_json", "export_graphml", "export_csv"):
        response = client.get(reverse(f"metrics:{name}", args=[slug]))
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode()
        assert SECRET not in text and world["shy"].username not in text, name


def test_the_figures_still_count_them(world):
    snapshot = selectors.latest_snapshot(world["community"])
    rows = selectors.member_rows(snapshot)
    assert world["shy"].pk in {row.user_id for row in rows}


def test_an_opt_in_community_names_only_those_who_say_yes(client, world):
    community = world["community"]
    Community.objects.filter(pk=community.pk).update(
        dashboard_naming_default=DashboardNaming.UNNAMED
    )
    Profile.objects.filter(user=world["users"][1]).update(dashboard_naming=Profile.Naming.NAMED)
    client.force_login(world["moderator"])
    text = client.get(reverse("metrics:members", args=[community.slug])).content.decode()
    assert "Person 1" in text  # said yes
    assert "Person 2" not in text and "Person 3" not in text  # left it to the community
    home = client.get(community.get_absolute_url()).content.decode()
    assert "name members only if they say yes" in home


def test_the_choice_is_made_on_the_profile_page(client, world):
    user = world["users"][2]
    client.force_login(user)
    page = client.get(reverse("communities:profile_edit")).content.decode()
    assert 'name="dashboard_naming"' in page
    response = client.post(
        reverse("communities:profile_edit"),
        {
            "display_name": "Person 2",
            "details_visible_to": "communities",
            "dashboard_naming": "unnamed",
        },
    )
    assert response.status_code == 302
    assert Profile.objects.get(user=user).dashboard_naming == Profile.Naming.UNNAMED


def test_each_change_of_the_choice_is_dated_in_the_security_log(client, world):
    """When consent to being named was given or withdrawn, for the member and their export."""
    user = world["users"][3]
    client.force_login(user)
    form = {"display_name": "Person 3", "details_visible_to": "communities"}
    for choice in ("unnamed", "unnamed", "named"):
        client.post(reverse("communities:profile_edit"), {**form, "dashboard_naming": choice})

    changes = SecurityEvent.objects.filter(user=user, kind=SecurityEvent.Kind.NAMING_CHANGED)
    assert [event.detail for event in changes.order_by("at", "pk")] == [
        "As each community decides → No, show me as “A member”",
        "No, show me as “A member” → Yes, dashboards may show my name",
    ]
    security = client.get(reverse("accounts:security")).content.decode()
    assert "Dashboard naming changed" in security
