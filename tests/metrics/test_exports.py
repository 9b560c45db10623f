"""Exports: the snapshot computed by the real pipeline, exported as JSON, GraphML and CSV; the
network measures networkx recomputes from the GraphML equal the dashboard's; pseudonyms are
stable, the same in the three formats and reveal no name or user id."""

import csv
import io
import json
import random
from datetime import timedelta

import networkx as nx
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from communities.interactions import interactions_write, spec_for
from communities.models import Membership, Profile
from metrics import exports, services
from metrics.models import MemberMetrics
from tests.factories import CommunityFactory, ProfessionalGroupFactory, UserFactory, make_member
from tests.metrics.pipeline_fixtures import T, build_karate, frozen

pytestmark = pytest.mark.django_db

KINDS = ["answer", "reply", "accept", "vote", "worked", "mention"]


def build_community(size=40, interactions=400, seed=7, slug="exported"):
    """*size* members in three groups with random directed interactions over the past year,
    plus two members who never interact (isolates), then one pipeline run."""
    rng = random.Random(seed)
    community = CommunityFactory(name=f"Exported {slug}", slug=slug)
    groups = [ProfessionalGroupFactory(name=f"Group {g}", slug=f"g-{slug}-{g}") for g in "ABC"]
    users = []
    for i in range(size):
        user = UserFactory(username=f"{slug}-{i}")
        make_member(community, user)
        Profile.objects.filter(user=user).update(
            display_name=f"=Name {i}" if i == 3 else f"Name {i}", professional_group=groups[i % 3]
        )
        users.append(user)
    now = timezone.now()
    Membership.objects.filter(community=community).update(joined_at=now - timedelta(days=400))
    active = users[:-2]
    specs = []
    for _ in range(interactions):
        # Mostly among neighbours, so the graph has clusters and triangles.
        a = rng.randrange(len(active))
        b = (a + rng.choice([1, 2, 3, -1, -2, rng.randrange(len(active))])) % len(active)
        if a == b:
            continue
        specs.append(
            spec_for(
                community_id=community.pk,
                actor_id=active[a].pk,
                target_id=active[b].pk,
                kind=rng.choice(KINDS),
                occurred_at=now - timedelta(days=rng.uniform(0.1, 360)),
                source=community,
            )
        )
    interactions_write(specs)
    snapshot = services.metrics_compute(community_id=community.pk)
    moderator = make_member(community, users[0], role=Membership.Role.MODERATOR).user
    return community, snapshot, moderator, users


@pytest.fixture
def exported():
    return build_community()


def _get(client, name, community, pseudonymous=False):
    url = reverse(f"metrics:{name}", args=[community.slug])
    response = client.get(url + ("?pseudonymous=1" if pseudonymous else ""))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    return response.content


def _graph(content: bytes) -> nx.Graph:
    return nx.read_graphml(io.BytesIO(content))


def test_graphml_measures_equal_the_dashboard(client, exported):
    community, snapshot, moderator, _ = exported
    client.force_login(moderator)
    graph = _graph(_get(client, "export_graphml", community))
    network = snapshot.data["network"]
    assert graph.number_of_nodes() == network["nodes"] == 40
    assert graph.number_of_edges() == network["edges"] > 20
    assert nx.density(graph) == pytest.approx(network["density"])
    assert nx.transitivity(graph) == pytest.approx(network["transitivity"])
    assert nx.average_clustering(graph) == pytest.approx(network["average_clustering"])
    components = list(nx.connected_components(graph))
    assert len(components) == network["components"]
    assert nx.number_of_isolates(graph) == network["isolates"] >= 2
    assert max(len(c) for c in components) / 40 == pytest.approx(network["giant_component_share"])
    assert 2 * graph.number_of_edges() / 40 == pytest.approx(network["average_degree"])
    # Betweenness with networkx's convention: weight is a distance, so 1/S.
    for _, _, attrs in graph.edges(data=True):
        attrs["distance"] = 1 / attrs["weight"]
    betweenness = nx.betweenness_centrality(graph, weight="distance")
    for node, attrs in graph.nodes(data=True):
        assert betweenness[node] == pytest.approx(attrs["betweenness"], abs=1e-9)
    by_user = {f"u{b['user_id']}": b["betweenness"] for b in network["top_brokers"]}
    for node, value in by_user.items():
        assert betweenness[node] == pytest.approx(value, abs=1e-9)
    # E-I index over professional groups, from the exported group attribute.
    external = sum(1 for a, b in graph.edges if graph.nodes[a]["group"] != graph.nodes[b]["group"])
    internal = graph.number_of_edges() - external
    assert (external - internal) / (external + internal) == pytest.approx(network["ei_index"])
    # Degrees match the member rows.
    degrees = dict(MemberMetrics.objects.filter(snapshot=snapshot).values_list("user_id", "degree"))
    assert {f"u{u}": d for u, d in degrees.items()} == dict(graph.degree())


def test_graphml_attributes(client, exported):
    community, snapshot, moderator, users = exported
    client.force_login(moderator)
    graph = _graph(_get(client, "export_graphml", community))
    node = graph.nodes[f"u{users[5].pk}"]
    assert node["label"] == "Name 5"
    assert node["group"] == "Group C"
    assert node["level"] in {"core", "active", "occasional", "peripheral", "dormant"}
    for _, _, attrs in graph.edges(data=True):
        assert set(attrs) >= {"weight", "tie_class", "reciprocity", "multiplexity", "duration"}
        assert attrs["tie_class"] in ("strong", "weak")
        assert 0.1 <= attrs["weight"] < 1


def test_json_is_the_snapshot_with_names(client, exported):
    community, snapshot, moderator, users = exported
    client.force_login(moderator)
    document = json.loads(_get(client, "export_json", community))
    assert document["schema"] == "practica.dashboard-export/1"
    assert document["pseudonymous"] is False
    assert document["community"] == {
        "id": community.pk,
        "slug": community.slug,
        "name": community.name,
        "visibility": community.visibility,
    }
    assert document["data"] == json.loads(json.dumps(snapshot.data))
    assert len(document["members"]) == 40
    assert document["people"][str(users[5].pk)]["name"] == "Name 5"
    assert document["people"][str(users[5].pk)]["member"] == f"u{users[5].pk}"


def test_json_equals_compute_metrics_json(client, exported, capsys):
    """The dashboard export and `compute_metrics --json` carry the same figures (the command
    runs again as of the same minute, so only the write-time keys may differ)."""
    community, snapshot, moderator, _ = exported
    call_command("compute_metrics", community.slug, "--json", "--as-of", snapshot.as_of.isoformat())
    printed = json.loads(capsys.readouterr().out)
    client.force_login(moderator)
    exported_data = json.loads(_get(client, "export_json", community))["data"]
    for key in ("computed_at", "duration_ms", "run"):
        printed.pop(key, None)
        exported_data.pop(key, None)
    assert exported_data == printed


def test_pseudonyms_same_across_formats_and_stable(client, exported):
    community, snapshot, moderator, users = exported
    client.force_login(moderator)
    document = json.loads(_get(client, "export_json", community, pseudonymous=True))
    graph = _graph(_get(client, "export_graphml", community, pseudonymous=True))
    rows = list(csv.DictReader(io.StringIO(_get(client, "export_csv", community, True).decode())))
    from_json = {m["member"] for m in document["members"]}
    assert from_json == set(graph.nodes)
    assert {r["source"] for r in rows} | {r["target"] for r in rows} <= from_json
    assert all(p.startswith("member-") and len(p) == len("member-") + 10 for p in from_json)
    # Stable: HMAC of community and user id, the same in a later export.
    expected = exports.pseudonym(community.pk, users[5].pk)
    assert expected in from_json
    again = json.loads(_get(client, "export_json", community, pseudonymous=True))
    assert {m["member"] for m in again["members"]} == from_json
    # Graph measures survive pseudonymisation.
    assert graph.number_of_edges() == snapshot.data["network"]["edges"]
    # No name, username or user id anywhere.
    blobs = [
        json.dumps(document),
        _get(client, "export_graphml", community, pseudonymous=True).decode(),
        _get(client, "export_csv", community, pseudonymous=True).decode(),
    ]
    for blob in blobs:
        assert "Name 5" not in blob and users[5].username not in blob
    assert "user_id" not in blobs[0]
    for broker in document["data"]["network"]["top_brokers"]:
        assert broker["member"].startswith("member-")


def test_pseudonyms_differ_between_communities(db):
    assert exports.pseudonym(1, 42) != exports.pseudonym(2, 42)
    assert exports.pseudonym(1, 42) == exports.pseudonym(1, 42)


def test_pseudonyms_lengthen_on_collision(monkeypatch):
    monkeypatch.setattr(exports, "PSEUDONYM_HEX", 1)  # 16 values: 40 ids must collide
    names = exports.pseudonyms(1, range(40))
    assert len(set(names.values())) == 40


def test_csv_edge_list(client, exported):
    community, snapshot, moderator, users = exported
    client.force_login(moderator)
    content = _get(client, "export_csv", community).decode()
    rows = list(csv.DictReader(io.StringIO(content)))
    assert list(rows[0]) == exports.CSV_FIELDS
    assert len(rows) == snapshot.data["network"]["edges"]
    graph = _graph(_get(client, "export_graphml", community))
    for row in rows:
        assert float(row["weight"]) == pytest.approx(graph[row["source"]][row["target"]]["weight"])
    # A name that starts like a spreadsheet formula is neutralised.
    labels = {r["source_label"] for r in rows} | {r["target_label"] for r in rows}
    assert "'=Name 3" in labels and "=Name 3" not in labels


def test_export_content_types_and_filenames(client, exported):
    community, _, moderator, _ = exported
    client.force_login(moderator)
    for name, content_type, suffix in (
        ("export_json", "application/json", ".json"),
        ("export_graphml", "application/graphml+xml", ".graphml"),
        ("export_csv", "text/csv", "-edges.csv"),
    ):
        response = client.get(reverse(f"metrics:{name}", args=[community.slug]))
        assert response["Content-Type"].startswith(content_type)
        assert response["Content-Disposition"].endswith(f'{suffix}"')
        assert response["Cache-Control"] == "private, no-store"


def test_dashboard_page_shows_the_pipeline_numbers(client, exported):
    """The page prints the same figures as the snapshot (= compute_metrics --json)."""
    community, snapshot, moderator, _ = exported
    client.force_login(moderator)
    html = client.get(reverse("metrics:dashboard", args=[community.slug])).content.decode()
    data = snapshot.data
    network = data["network"]
    quarter = data["windows"]["90"]
    assert f"<dd>{quarter['members_total']}</dd>" in html
    assert f"<dd>{quarter['posts']}</dd>" in html
    # In plain words, the technical figures behind "How this is computed" (issue #13, item 6).
    assert f"<dt>Members in the network</dt><dd>{network['nodes']} " in html
    assert f"<dt>Ties between two people</dt><dd>{network['edges']} " in html
    assert f"{network['density']:.3f}" in html
    assert f"{round(network['transitivity'] * 100)} %" in html
    assert (
        f'<dd>{data["ties"]["strong"]} <span class="muted">of {data["ties"]["pairs"]} pairs' in html
    )
    for level, count in data["levels"].items():
        assert f'<span class="level-name">{level.capitalize()}</span> ' in html
        assert f'<span class="level-count">{count}</span>' in html
    # Drawn: the members with ties (up to 250), their ties above the threshold.
    drawn = html.split('class="chart chart-network"', 1)[1].split("</svg>", 1)[0]
    with_ties = MemberMetrics.objects.filter(snapshot=snapshot, degree__gt=0).count()
    assert drawn.count("<circle ") == with_ties
    assert drawn.count("<line ") == network["edges"]


def test_graphml_escapes_names(client, exported):
    community, _, moderator, users = exported
    Profile.objects.filter(user=users[7]).update(display_name='<Ann & "Bo">\x01\x1f')
    client.force_login(moderator)
    graph = _graph(_get(client, "export_graphml", community))
    assert graph.nodes[f"u{users[7].pk}"]["label"] == '<Ann & "Bo">'
    rows = list(csv.DictReader(io.StringIO(_get(client, "export_csv", community).decode())))
    assert rows  # the CSV stays parseable too


# --- the export is the snapshot, however the tie table has moved on ------------------------------


def _assert_graphml_reproduces(graph, snapshot):
    """networkx on the file gives the snapshot's figures (docs/dashboard-export.md)."""
    rows = {
        f"u{r['user_id']}": r
        for r in MemberMetrics.objects.filter(snapshot=snapshot).values(
            "user_id", "betweenness", "strength", "degree"
        )
    }
    network = snapshot.data["network"]
    assert set(graph.nodes) == set(rows)
    assert graph.number_of_edges() == network["edges"]
    assert nx.density(graph) == pytest.approx(network["density"], abs=1e-9)
    assert nx.transitivity(graph) == pytest.approx(network["transitivity"], abs=1e-9)
    assert nx.average_clustering(graph) == pytest.approx(network["average_clustering"], abs=1e-9)
    assert nx.number_connected_components(graph) == network["components"]
    assert nx.number_of_isolates(graph) == network["isolates"]
    for _, _, attrs in graph.edges(data=True):
        attrs["distance"] = 1 / attrs["weight"]
    betweenness = nx.betweenness_centrality(graph, weight="distance")
    strength = dict(graph.degree(weight="weight"))
    for node, row in rows.items():
        assert betweenness[node] == pytest.approx(row["betweenness"], abs=1e-9), node
        assert graph.nodes[node]["betweenness"] == row["betweenness"]
        assert strength[node] == pytest.approx(row["strength"], abs=1e-9), node
        assert graph.degree(node) == row["degree"]


def test_graphml_reproduces_the_dashboard_after_runs_hours_apart(client):
    """Incremental runs hours apart (scores decay a little, most tie rows are not rewritten),
    then a full run: every export is the snapshot's network, not the tie table's."""
    karate = build_karate()
    community = karate.community
    with frozen(T):
        services.metrics_compute(community_id=community.pk)
    client.force_login(karate.moderator)
    for hours, full in ((3, False), (9, False), (20, True)):
        karate.answers(T + timedelta(hours=hours))
        with frozen(T + timedelta(hours=hours + 1)):
            snapshot = services.metrics_compute(community_id=community.pk, full=full)
        assert snapshot.data["run"]["full"] is full
        graph = _graph(_get(client, "export_graphml", community))
        _assert_graphml_reproduces(graph, snapshot)
        rows = list(csv.DictReader(io.StringIO(_get(client, "export_csv", community).decode())))
        assert len(rows) == graph.number_of_edges()
        for row in rows:
            assert float(row["weight"]) == graph[row["source"]][row["target"]]["weight"]
