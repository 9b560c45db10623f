"""Exports of a community's latest snapshot for moderators and researchers.

Three formats carry the same people under the same identifiers:

- the dashboard as JSON (the snapshot's ``data`` unchanged, plus the community, the member rows
  and a ``people`` table resolving the user ids — see docs/dashboard-export.md);
- the tie network as GraphML (written by hand; the tests read it back with networkx): every
  member of the snapshot is a node (isolates too, so density, components and isolates
  recomputed from the file match the dashboard), every edge of the snapshot's network (ties at
  or above the network threshold, stored with the snapshot with the exact scores its figures
  were computed from, never read from the tie table, which later runs move on) an edge;
- the same edges as a CSV edge list.

``pseudonymous=True`` replaces names and user ids by stable pseudonyms: ``member-`` + the first
hex digits of HMAC-SHA256(SECRET_KEY, "<community id>:<user id>"). They are the same in the three
formats and across exports of the same community (so a researcher can follow a member over time)
and differ between communities (so two exports cannot be joined on them).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import re
from xml.sax.saxutils import escape as xml_escape

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from communities.models import Community
from metrics.dashboard import network_threshold
from metrics.models import NETWORK_EDGE_COLUMNS, MemberMetrics, MetricsSnapshot, NetworkEdge
from metrics.selectors import group_names, people

EXPORT_SCHEMA = "practica.dashboard-export/1"
PSEUDONYM_HEX = 10  # 40 bits: collisions are unlikely below millions of members, and checked
CSV_FIELDS = [
    "source",
    "target",
    "source_label",
    "target_label",
    "source_group",
    "target_group",
    "weight",
    "tie_class",
    "reciprocity",
    "multiplexity",
    "duration",
]


def pseudonym(community_id: int, user_id: int, length: int = PSEUDONYM_HEX) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"{community_id}:{user_id}".encode(), hashlib.sha256
    ).hexdigest()
    return f"member-{digest[:length]}"


def pseudonyms(community_id: int, user_ids) -> dict[int, str]:
    """Pseudonyms for *user_ids*, longer for all of them if the short ones would collide."""
    ids = sorted(set(user_ids))
    length = PSEUDONYM_HEX
    while True:
        names = {uid: pseudonym(community_id, uid, length) for uid in ids}
        if len(set(names.values())) == len(names) or length >= 64:
            return names
        length += 4


class Identities:
    """Node id and label of each member, pseudonymous or not (one query for names)."""

    def __init__(self, community: Community, user_ids, *, pseudonymous: bool, id_query=None):
        self.pseudonymous = pseudonymous
        self.community_id = community.pk
        self.usernames: dict[int, str | None] = {}
        ids = sorted(set(user_ids))
        if pseudonymous:
            self.labels = pseudonyms(community.pk, ids)
            self.ids = dict(self.labels)
        else:
            # A subquery rather than 10,000 parameters (SQLite allows 32,766 per statement).
            found = people(id_query if id_query is not None else ids, community=community)
            self.labels = {uid: found.get(uid, {}).get("name") or f"user {uid}" for uid in ids}
            self.ids = {uid: f"u{uid}" for uid in ids}
            self.usernames = {uid: found.get(uid, {}).get("username") for uid in ids}

    def node(self, user_id: int) -> str:
        if user_id not in self.ids:  # e.g. a broker who has left since the run
            self.ids[user_id] = (
                pseudonym(self.community_id, user_id) if self.pseudonymous else f"u{user_id}"
            )
        return self.ids[user_id]

    def label(self, user_id: int) -> str:
        return self.labels.get(user_id) or self.node(user_id)


# A member's figures in a snapshot, as the exports give them (and the member's own archive).
MEMBER_FIGURES = (
    "level",
    "previous_level",
    "trajectory",
    "active_days",
    "helps",
    "contributions",
    "presence",
    "strong_ties",
    "weak_ties",
    "degree",
    "strength",
    "betweenness",
)


def _member_rows(snapshot: MetricsSnapshot) -> list[dict]:
    return list(
        MemberMetrics.objects.filter(snapshot=snapshot)
        .order_by("user_id")
        .values("user_id", *MEMBER_FIGURES, "professional_group_id", "x", "y")
    )


def _edges(snapshot: MetricsSnapshot, members: set[int]) -> list[tuple]:
    """The snapshot's network edges between its members, with the scores the run computed."""
    rows = (
        NetworkEdge.objects.filter(snapshot=snapshot)
        .order_by("user_a_id", "user_b_id")
        .values_list(*NETWORK_EDGE_COLUMNS)
        .iterator(chunk_size=5000)  # a 10k-member community can have ~10^5 ties; stream them
    )
    # A member deleted since the run has lost their member row: their edges go with it.
    return [row for row in rows if row[0] in members and row[1] in members]


def _bundle(community: Community, snapshot: MetricsSnapshot, *, pseudonymous: bool):
    members = _member_rows(snapshot)
    member_ids = {m["user_id"] for m in members}
    groups = group_names()
    who = Identities(
        community,
        member_ids,
        pseudonymous=pseudonymous,
        id_query=MemberMetrics.objects.filter(snapshot=snapshot).values("user_id"),
    )
    return members, member_ids, groups, who


def _replace_user_ids(value, who: Identities):
    """Copy of *value* with every ``user_id`` replaced by ``member`` (the pseudonym)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "user_id" and isinstance(item, int):
                out["member"] = who.node(item)
            else:
                out[key] = _replace_user_ids(item, who)
        return out
    if isinstance(value, list):
        return [_replace_user_ids(item, who) for item in value]
    return value


def dashboard_json(community: Community, snapshot: MetricsSnapshot, *, pseudonymous: bool) -> str:
    members, member_ids, groups, who = _bundle(community, snapshot, pseudonymous=pseudonymous)
    data = snapshot.data or {}
    person_ids = set(member_ids)
    for broker in ((data.get("network") or {}).get("top_brokers")) or []:
        if isinstance(broker.get("user_id"), int):
            person_ids.add(broker["user_id"])
    member_list = []
    for m in members:
        row = {k: v for k, v in m.items() if k not in ("user_id", "professional_group_id")}
        row["member"] = who.node(m["user_id"])
        row["group"] = groups.get(m["professional_group_id"])
        if not pseudonymous:
            row["user_id"] = m["user_id"]
        member_list.append(row)
    if pseudonymous:
        people_table = {who.node(uid): {"label": who.node(uid)} for uid in sorted(person_ids)}
        data = _replace_user_ids(data, who)
    else:
        others = person_ids - member_ids
        extra = people(others, community=community) if others else {}
        people_table = {}
        for uid in sorted(person_ids):
            info = extra.get(uid) or {}
            people_table[str(uid)] = {
                "member": who.node(uid),
                "name": who.labels.get(uid) or info.get("name"),
                "username": who.usernames.get(uid) or info.get("username"),
            }
    document = {
        "schema": EXPORT_SCHEMA,
        "pseudonymous": pseudonymous,
        "community": {
            "id": community.pk,
            "slug": community.slug,
            "name": community.name,
            "visibility": community.visibility,
        },
        "snapshot": {
            "id": snapshot.pk,
            "as_of": snapshot.as_of,
            "computed_at": snapshot.computed_at,
            "duration_ms": snapshot.duration_ms,
            "betweenness_exact": snapshot.betweenness_exact,
            "network_threshold": network_threshold(snapshot),
            "config": snapshot.config,
        },
        "data": data,
        "members": member_list,
        "people": people_table,
    }
    return json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)


def _user_ids_in(value, found: set[int]) -> set[int]:
    """Every ``user_id`` inside *value* (the snapshot data names brokers by user id)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "user_id" and isinstance(item, int):
                found.add(item)
            else:
                _user_ids_in(item, found)
    elif isinstance(value, list):
        for item in value:
            _user_ids_in(item, found)
    return found


def history_document(community: Community, snapshots, *, pseudonymous: bool) -> dict:
    """Several snapshots' community figures as the JSON export gives the latest one's
    ``snapshot`` and ``data``, with one ``people`` table for the ids in them (pseudonyms when
    *pseudonymous*; otherwise names as the community's dashboards show them, one query)."""
    snapshots = list(snapshots)
    user_ids: set[int] = set()
    for snapshot in snapshots:
        _user_ids_in(snapshot.data or {}, user_ids)
    who = Identities(community, user_ids, pseudonymous=pseudonymous)
    items = []
    for snapshot in snapshots:
        data = snapshot.data or {}
        items.append(
            {
                "snapshot": {
                    "id": snapshot.pk,
                    "as_of": snapshot.as_of,
                    "computed_at": snapshot.computed_at,
                    "duration_ms": snapshot.duration_ms,
                    "betweenness_exact": snapshot.betweenness_exact,
                },
                "data": _replace_user_ids(data, who) if pseudonymous else data,
            }
        )
    if pseudonymous:
        people_table = {who.node(uid): {"label": who.node(uid)} for uid in sorted(user_ids)}
    else:
        people_table = {
            str(uid): {
                "member": who.node(uid),
                "name": who.labels.get(uid),
                "username": who.usernames.get(uid),
            }
            for uid in sorted(user_ids)
        }
    return {
        "schema": EXPORT_SCHEMA,
        "pseudonymous": pseudonymous,
        "items": items,
        "people": people_table,
    }


GRAPHML_KEYS = (
    # (id, for, attr.name, attr.type)
    ("community", "graph", "community", "string"),
    ("as_of", "graph", "as_of", "string"),
    ("pseudonymous", "graph", "pseudonymous", "boolean"),
    ("label", "node", "label", "string"),
    ("group", "node", "group", "string"),
    ("level", "node", "level", "string"),
    ("betweenness", "node", "betweenness", "double"),
    ("degree", "node", "degree", "long"),
    ("weight", "edge", "weight", "double"),
    ("tie_class", "edge", "tie_class", "string"),
    ("reciprocity", "edge", "reciprocity", "double"),
    ("multiplexity", "edge", "multiplexity", "double"),
    ("duration", "edge", "duration", "double"),
)
# XML 1.0 forbids most control characters; a display name could carry one.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(value) -> str:
    return xml_escape(_XML_INVALID.sub("", str(value)), {'"': "&quot;"})


def graphml_lines(community: Community, snapshot: MetricsSnapshot, *, pseudonymous: bool):
    """Yield the GraphML document line by line.

    Written by hand rather than with networkx.write_graphml: building the ElementTree took
    about 10 s for the 10,000-member benchmark (37,000 edges); this takes well under one. The
    tests read the output back with networkx.read_graphml."""
    members, member_ids, groups, who = _bundle(community, snapshot, pseudonymous=pseudonymous)
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield (
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
        'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n'
    )
    for key, where, name, kind in GRAPHML_KEYS:
        yield f'  <key id="{key}" for="{where}" attr.name="{name}" attr.type="{kind}"/>\n'
    yield '  <graph id="ties" edgedefault="undirected">\n'
    name = f"community-{community.pk}" if pseudonymous else community.slug
    yield f'    <data key="community">{_x(name)}</data>\n'
    yield f'    <data key="as_of">{_x(snapshot.as_of.isoformat())}</data>\n'
    yield f'    <data key="pseudonymous">{"true" if pseudonymous else "false"}</data>\n'
    for m in members:
        uid = m["user_id"]
        yield (
            f'    <node id="{_x(who.node(uid))}">'
            f'<data key="label">{_x(who.label(uid))}</data>'
            f'<data key="group">{_x(groups.get(m["professional_group_id"]) or "")}</data>'
            f'<data key="level">{_x(m["level"])}</data>'
            f'<data key="betweenness">{float(m["betweenness"])!r}</data>'
            f'<data key="degree">{int(m["degree"])}</data></node>\n'
        )
    for a, b, score, tie_class, reciprocity, multiplexity, duration in _edges(snapshot, member_ids):
        yield (
            f'    <edge source="{_x(who.node(a))}" target="{_x(who.node(b))}">'
            f'<data key="weight">{float(score)!r}</data>'
            f'<data key="tie_class">{_x(tie_class)}</data>'
            f'<data key="reciprocity">{float(reciprocity)!r}</data>'
            f'<data key="multiplexity">{float(multiplexity)!r}</data>'
            f'<data key="duration">{float(duration)!r}</data></edge>\n'
        )
    yield "  </graph>\n</graphml>\n"


def graphml(community: Community, snapshot: MetricsSnapshot, *, pseudonymous: bool) -> bytes:
    return "".join(graphml_lines(community, snapshot, pseudonymous=pseudonymous)).encode()


def _csv_safe(value):
    """Keep spreadsheets from running a name that starts like a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def edge_list_csv(community: Community, snapshot: MetricsSnapshot, *, pseudonymous: bool) -> str:
    members, member_ids, groups, who = _bundle(community, snapshot, pseudonymous=pseudonymous)
    group_of = {m["user_id"]: groups.get(m["professional_group_id"]) or "" for m in members}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for a, b, score, tie_class, reciprocity, multiplexity, duration in _edges(snapshot, member_ids):
        writer.writerow(
            [
                who.node(a),
                who.node(b),
                _csv_safe(who.label(a)),
                _csv_safe(who.label(b)),
                _csv_safe(group_of.get(a, "")),
                _csv_safe(group_of.get(b, "")),
                repr(float(score)),
                tie_class,
                repr(float(reciprocity)),
                repr(float(multiplexity)),
                repr(float(duration)),
            ]
        )
    return out.getvalue()
