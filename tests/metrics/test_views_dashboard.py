"""Dashboard pages: who sees what (anonymous, non-member, member, moderator, admin × open and
private), names only for members, states of the computation, filters, and query counts that do
not grow with the community."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from communities.models import Community, Membership
from metrics import permissions
from metrics.models import MetricsState
from tests.factories import CommunityFactory, UserFactory, make_admin, make_member
from tests.metrics.dashboard_data import make_members, write_snapshot

pytestmark = pytest.mark.django_db

PAGES = ["dashboard", "network", "members", "my_network"]
EXPORTS = ["export_json", "export_graphml", "export_csv"]


def _url(name, community, query=""):
    return reverse(f"metrics:{name}", args=[community.slug]) + query


@pytest.fixture
def world():
    """An open and a private community with a snapshot each, and one viewer of every kind."""
    result = {}
    for visibility in ("open", "private"):
        community = CommunityFactory(slug=f"c-{visibility}", visibility=visibility)
        users = make_members(community, 8, prefix=f"{visibility}-")
        write_snapshot(community, users, history=2)
        result[visibility] = {
            "community": community,
            "users": users,
            "member": users[0],
            "moderator": make_member(community, role=Membership.Role.MODERATOR).user,
        }
    result["outsider"] = UserFactory()
    result["admin"] = make_admin()
    return result


def _viewer(world, visibility, role):
    if role == "anonymous":
        return None
    if role in ("outsider", "admin"):
        return world[role]
    return world[visibility][role]


# expected status per (visibility, role, page kind); 302 = sent to log in
EXPECTED = {
    # page kind: dashboard/network (aggregates), members/exports (moderators), my_network
    ("open", "anonymous"): {"aggregate": 200, "moderator": 302, "mine": 302},
    ("open", "outsider"): {"aggregate": 200, "moderator": 403, "mine": 403},
    ("open", "member"): {"aggregate": 200, "moderator": 403, "mine": 200},
    ("open", "moderator"): {"aggregate": 200, "moderator": 200, "mine": 200},
    ("open", "admin"): {"aggregate": 200, "moderator": 200, "mine": 403},
    ("private", "anonymous"): {"aggregate": 404, "moderator": 302, "mine": 302},
    ("private", "outsider"): {"aggregate": 404, "moderator": 404, "mine": 404},
    ("private", "member"): {"aggregate": 200, "moderator": 403, "mine": 200},
    ("private", "moderator"): {"aggregate": 200, "moderator": 200, "mine": 200},
    ("private", "admin"): {"aggregate": 200, "moderator": 200, "mine": 403},
}
KIND = {
    "dashboard": "aggregate",
    "network": "aggregate",
    "members": "moderator",
    "my_network": "mine",
    **dict.fromkeys(EXPORTS, "moderator"),
}


@pytest.mark.parametrize("visibility,role", sorted(EXPECTED))
def test_dashboard_permission_matrix(client, world, visibility, role):
    community = world[visibility]["community"]
    viewer = _viewer(world, visibility, role)
    if viewer is not None:
        client.force_login(viewer)
    for name in PAGES + EXPORTS:
        response = client.get(_url(name, community))
        expected = EXPECTED[(visibility, role)][KIND[name]]
        assert response.status_code == expected, (name, visibility, role, response.status_code)
        if expected == 302:
            assert "/accounts/login/" in response["Location"]
        if expected == 404:
            assert b"CANARY" not in response.content


@pytest.mark.parametrize("visibility,role", sorted(EXPECTED))
def test_recompute_only_for_moderators(client, world, visibility, role, monkeypatch):
    calls = []
    from metrics.pipeline import schedule

    monkeypatch.setattr(schedule, "metrics_request", lambda **kw: calls.append(kw) or True)
    community = world[visibility]["community"]
    viewer = _viewer(world, visibility, role)
    if viewer is not None:
        client.force_login(viewer)
    response = client.post(_url("recompute", community))
    expected = EXPECTED[(visibility, role)]["moderator"]
    if expected == 200:
        assert response.status_code == 302
        assert response["Location"] == _url("dashboard", community)
        assert calls == [{"community_id": community.pk}]
    else:
        assert response.status_code == expected
        assert calls == []


def test_recompute_refuses_get(client, world):
    client.force_login(world["open"]["moderator"])
    assert client.get(_url("recompute", world["open"]["community"])).status_code == 405


def test_dashboard_tab_in_community_header(client, world):
    community = world["open"]["community"]
    response = client.get(reverse("communities:home", args=[community.slug]))
    assert _url("dashboard", community).encode() in response.content


# --- names ---------------------------------------------------------------------------------------


def _node_titles(html: str) -> list[str]:
    import re

    drawing = html.split('class="chart chart-network"', 1)[1].split("</svg>", 1)[0]
    return re.findall(r"<circle [^>]*><title>([^<]*)</title>", drawing)


@pytest.mark.parametrize("page", ["dashboard", "network"])
def test_names_on_the_drawing_only_for_members(client, world, page):
    community = world["open"]["community"]
    anonymous = client.get(_url(page, community)).content.decode()
    titles = _node_titles(anonymous)
    assert titles and not any("Person" in t for t in titles)
    assert "Names are shown to members of this community only" in anonymous
    client.force_login(world["outsider"])
    assert not any(
        "Person" in t for t in _node_titles(client.get(_url(page, community)).content.decode())
    )
    client.force_login(world["open"]["member"])
    member_titles = _node_titles(client.get(_url(page, community)).content.decode())
    assert any(t.startswith("Person ") for t in member_titles)


def test_top_brokers_named_for_moderators_only(client, world):
    community = world["open"]["community"]
    html = client.get(_url("dashboard", community)).content.decode()
    brokers = html.split('id="chart-brokers-title"', 1)[1].split("</figure>", 1)[0]
    assert "Person" not in brokers and "Member #1" in brokers
    client.force_login(world["open"]["member"])
    html = client.get(_url("dashboard", community)).content.decode()
    brokers = html.split('id="chart-brokers-title"', 1)[1].split("</figure>", 1)[0]
    assert "Person" not in brokers and "Member #1" in brokers
    client.force_login(world["open"]["moderator"])
    html = client.get(_url("dashboard", community)).content.decode()
    brokers = html.split('id="chart-brokers-title"', 1)[1].split("</figure>", 1)[0]
    assert "Person" in brokers


# --- what members see and what moderators see (README: "Dashboards: what members see ...") ----


@pytest.mark.parametrize(
    "role,expected",
    [
        ("anonymous", False),
        ("outsider", False),
        ("member", False),
        ("moderator", True),
        ("admin", True),
    ],
)
def test_named_lists_are_for_moderators(world, role, expected):
    for visibility in ("open", "private"):
        viewer = _viewer(world, visibility, role) or AnonymousUser()
        community = world[visibility]["community"]
        assert permissions.can_see_named_lists(viewer, community) is expected
        assert permissions.can_view_member_metrics(viewer, community) is expected


def _network_table(html: str) -> str:
    return html.split('id="table-heading"', 1)[1].split("</table>", 1)[0]


def test_member_sees_no_named_ranking_on_the_network_page(client, world):
    community = world["open"]["community"]
    client.force_login(world["open"]["member"])
    html = client.get(_url("network", community)).content.decode()
    table = _network_table(html)
    assert "Member #1" in table and "Person" not in table
    # The drawing's tooltips name people for members, without their scores.
    titles = _node_titles(html)
    assert any(t.startswith("Person ") for t in titles)
    assert not any("betweenness" in t for t in titles)
    client.force_login(world["open"]["moderator"])
    html = client.get(_url("network", community)).content.decode()
    assert "Person" in _network_table(html)
    assert any("betweenness" in t for t in _node_titles(html))


@pytest.mark.parametrize("visibility", ["open", "private"])
def test_member_gets_no_drifting_at_risk_or_brokers_lists(client, world, visibility):
    community = world[visibility]["community"]
    client.force_login(world[visibility]["member"])
    for page in ("dashboard", "network"):
        html = client.get(_url(page, community)).content.decode()
        for heading in ("Drifting away", "Questions at risk", "Rising members"):
            assert heading not in html
    assert client.get(_url("members", community)).status_code == 403
    client.force_login(world[visibility]["moderator"])
    html = client.get(_url("members", community)).content.decode()
    assert "Drifting away" in html and "Questions at risk" in html


@pytest.mark.parametrize("page", ["dashboard", "network"])
def test_people_list_beside_the_drawing_for_members_only(client, world, page):
    community = world["open"]["community"]
    html = client.get(_url(page, community)).content.decode()
    assert "People in the drawing" not in html
    client.force_login(world["open"]["member"])
    html = client.get(_url(page, community)).content.decode()
    people = html.split('class="network-people-list"', 1)[1].split("</ul>", 1)[0]
    assert 'data-n="' in people and "Person " in people
    assert reverse("communities:profile", args=[world["open"]["users"][0].username]) in html


def test_dashboard_explains_in_plain_words_with_formulas_behind_a_note(client, world):
    community = world["open"]["community"]
    client.force_login(world["open"]["member"])
    html = client.get(_url("dashboard", community)).content.decode()
    for heading in ("How fast questions get a first answer", "Who answers questions"):
        assert heading in html
    notes = html.split("How this is computed")
    assert len(notes) >= 4  # participation, levels, network
    technical = "".join(notes[1:])
    for term in ("Gini", "E-I index", "Betweenness", "absence factor", "Transitivity"):
        assert term in technical, term
    # Before the first note, no technical term is needed to read the figures.
    for term in ("Gini", "E-I", "etweenness", "absence factor"):
        assert term not in notes[0].split('id="participation-heading"', 1)[1], term


# --- content and states --------------------------------------------------------------------------


def test_dashboard_shows_every_chart_with_text_alternative(client, world):
    community = world["open"]["community"]
    client.force_login(world["open"]["member"])
    html = client.get(_url("dashboard", community)).content.decode()
    for chart_id in (
        "chart-posts",
        "chart-levels",
        "chart-ttfr",
        "chart-ties",
        "chart-network",
        "chart-spectrum",
        "chart-brokers",
    ):
        assert f'id="{chart_id}-title"' in html and f'id="{chart_id}-desc"' in html
    assert html.count('class="chart-summary"') == 7
    assert html.count("The numbers as a table") >= 6
    assert html.count('class="computed-at"') == 7
    assert "NaN" not in html
    # Thread titles in data are escaped like everything else.
    assert "<b>dressing" not in html


@pytest.mark.parametrize("window", ["7", "30", "90"])
def test_window_switch(client, world, window):
    community = world["open"]["community"]
    html = client.get(_url("dashboard", community, f"?window={window}")).content.decode()
    assert f'href="?window={window}" aria-current="true"' in html
    assert f"Time to first response ({window}-day window)" in html


def test_window_junk_falls_back_to_90(client, world):
    community = world["open"]["community"]
    for junk in ("", "abc", "9999", "-1", "7%20"):
        response = client.get(_url("dashboard", community, f"?window={junk}"))
        assert response.status_code == 200
        assert b'href="?window=90" aria-current="true"' in response.content
    # NUL is refused site-wide before the view (a 400, never a 500).
    assert client.get(_url("dashboard", community, "?window=%00")).status_code == 400


def test_empty_state_without_snapshot(client, world):
    community = CommunityFactory(slug="fresh")
    moderator = make_member(community, role=Membership.Role.MODERATOR).user
    html = client.get(_url("dashboard", community)).content.decode()
    assert "Metrics are computed in the background; first results appear within" in html
    assert "Recompute now" not in html
    client.force_login(moderator)
    for name in PAGES:
        response = client.get(_url(name, community))
        assert response.status_code == 200
        assert b"Metrics are computed in the background" in response.content
    assert b"Recompute now" in client.get(_url("dashboard", community)).content
    assert client.get(_url("export_json", community)).status_code == 404


def test_status_running_pending_failed_stale(client, world):
    community = world["open"]["community"]
    now = timezone.now()
    MetricsState.objects.filter(community=community).update(
        started_at=now - timedelta(minutes=2), finished_at=now - timedelta(hours=1)
    )
    assert b"Recomputing since" in client.get(_url("dashboard", community)).content
    MetricsState.objects.filter(community=community).update(
        started_at=now - timedelta(hours=2), pending_since=now - timedelta(minutes=1)
    )
    assert b"A recompute was requested at" in client.get(_url("dashboard", community)).content
    MetricsState.objects.filter(community=community).update(
        pending_since=None, last_error="ValueError: boom"
    )
    html = client.get(_url("dashboard", community)).content.decode()
    assert "The last run failed" in html and "boom" not in html  # details for moderators only
    client.force_login(world["open"]["moderator"])
    assert b"ValueError: boom" in client.get(_url("dashboard", community)).content
    MetricsState.objects.filter(community=community).update(last_error="")
    community.metrics_snapshots.update(as_of=F("as_of") - timedelta(days=3))
    assert b"These figures are stale" in client.get(_url("dashboard", community)).content


# --- moderator view and my network ---------------------------------------------------------------


def test_moderator_view_lists_and_filters(client, world):
    community = world["open"]["community"]
    client.force_login(world["open"]["moderator"])
    html = client.get(_url("members", community)).content.decode()
    for heading in ("Questions at risk", "Drifting away", "Rising members", "Brokers"):
        assert heading in html
    assert "8 members." in html
    core = client.get(_url("members", community, "?level=core")).content.decode()
    assert "2 members." in core  # levels cycle over 8 members: core twice
    junk = client.get(_url("members", community, "?level=wizard&group=zzz&order=x&page=-4"))
    assert junk.status_code == 200
    named = client.get(_url("members", community, "?q=Person 3")).content.decode()
    assert "1 member." in named


def test_my_network_lists_own_ties_with_names(client, world):
    community = world["open"]["community"]
    member = world["open"]["member"]
    client.force_login(member)
    html = client.get(_url("my_network", community)).content.decode()
    assert "Your participation" in html and "Your ties" in html
    assert "Person 1" in html  # the ring's neighbour
    assert 'id="chart-my-level-title"' in html


def test_member_who_left_gets_403(client, world):
    community = world["open"]["community"]
    member = world["open"]["member"]
    Membership.objects.filter(user=member, community=community).update(state=Membership.State.LEFT)
    client.force_login(member)
    assert client.get(_url("my_network", community)).status_code == 403


# --- query counts --------------------------------------------------------------------------------


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page", PAGES)
def test_query_count_constant_for_5_and_200_members(client, page, django_assert_max_num_queries):
    counts = []
    for size in (5, 200):
        community = CommunityFactory(slug=f"q{size}", visibility=Community.Visibility.OPEN)
        users = make_members(community, size, prefix=f"q{size}-")
        write_snapshot(community, users, history=3)
        moderator = make_member(community, users[0], role=Membership.Role.MODERATOR).user
        client.force_login(moderator)
        url = _url(page, community)
        _count(client, url)  # warm caches (content types, sessions)
        counts.append(_count(client, url))
        with django_assert_max_num_queries(counts[0]):
            client.get(url)
    assert counts[0] == counts[1], counts
