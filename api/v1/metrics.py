"""Metrics for moderators: the community's latest snapshot, exactly the dashboard's JSON
export (``metrics.exports.dashboard_json``), and its history of snapshots.

``metrics.permissions.access_member_metrics`` decides, as for the web export: a community the
caller may not read is a 404, a reader who does not moderate it a 403. Names follow each
member's dashboard naming (``metrics.selectors.people``); ``pseudonymous=true`` gives the
export's pseudonyms instead. The ``moderate`` scope is needed too.
"""

import json
from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from api.v1.common import ERRORS, MODERATE, Limit, Slug, Text, caller_for, etagged
from api.v1.pagination import keyset_page
from metrics import exports, permissions, selectors

router = Router(tags=["metrics"])

HISTORY_DEFAULT = 12
Pseudonymous = Query(
    False, description="Pseudonyms instead of names, usernames and user ids (as the export)."
)


class MetricsExport(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "schema": "practica.dashboard-export/1",
                "pseudonymous": True,
                "community": {"id": 3, "slug": "wound-care", "name": "Wound care nurses",
                              "visibility": "open"},
                "snapshot": {"id": 41, "as_of": "2026-12-06T00:00:00Z",
                             "computed_at": "2026-12-06T00:01:12Z", "duration_ms": 3120,
                             "betweenness_exact": True, "network_threshold": 0.1, "config": {}},
                "data": {"schema": "practica.metrics/1"},
                "members": [{"member": "member-3f9a2c01b4", "group": "Nurses",
                             "level": "core"}],
                "people": {"member-3f9a2c01b4": {"label": "member-3f9a2c01b4"}},
            }
        }
    )  # fmt: skip

    schema_: str = Field(alias="schema", description="practica.dashboard-export/1")
    pseudonymous: bool
    community: dict[str, Any]
    snapshot: dict[str, Any]
    data: dict[str, Any] = Field(description="The snapshot's figures (docs/METRICS.md).")
    members: list[dict[str, Any]]
    people: dict[str, dict[str, Any]] = Field(description="Who the ids in data and members are.")


class SnapshotInfo(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": 57,
                "as_of": "2026-12-06T00:00:00Z",
                "computed_at": "2026-12-06T00:03:12Z",
                "duration_ms": 4210,
                "betweenness_exact": True,
            }
        }
    )

    id: int
    as_of: datetime
    computed_at: datetime
    duration_ms: int | None = None
    betweenness_exact: bool


class HistoryItem(Schema):
    snapshot: SnapshotInfo
    data: dict[str, Any]


class MetricsHistory(Schema):
    schema_: str = Field(alias="schema")
    pseudonymous: bool
    items: list[HistoryItem] = Field(description="Snapshots, newest first.")
    people: dict[str, dict[str, Any]] = Field(description="Who the ids in the items' data are.")
    next_cursor: str | None = None


@router.get(
    "/communities/{slug}/metrics",
    response={200: MetricsExport, 304: None, **ERRORS},
    summary="The latest metrics snapshot (moderators, `moderate` scope)",
    description=(
        "The dashboard's JSON export (docs/dashboard-export.md): the snapshot's figures, its "
        "members' rows and who they are. 404 before the first snapshot, as on the web. Sends "
        "an ETag; If-None-Match answers 304."
    ),
)
def metrics_latest(request: HttpRequest, slug: str = Slug, pseudonymous: bool = Pseudonymous):
    caller = caller_for(request, MODERATE)
    community = permissions.access_member_metrics(user=caller.user, slug=slug)
    snapshot = selectors.latest_snapshot(community)
    if snapshot is None:
        raise Http404("No metrics have been computed for this community yet.")
    body = exports.dashboard_json(community, snapshot, pseudonymous=pseudonymous)
    return etagged(request, json.loads(body))


@router.get(
    "/communities/{slug}/metrics/history",
    response={200: MetricsHistory, **ERRORS},
    summary="The community's metrics snapshots over time (moderators, `moderate` scope)",
    by_alias=True,
    description="Each snapshot's figures as in the export's `data`, newest first.",
)
def metrics_history(
    request: HttpRequest,
    slug: str = Slug,
    pseudonymous: bool = Pseudonymous,
    cursor: Text | None = Query(None, max_length=500),
    limit: Limit = Query(HISTORY_DEFAULT),
):
    caller = caller_for(request, MODERATE)
    community = permissions.access_member_metrics(user=caller.user, slug=slug)
    after, finish = keyset_page(
        selectors.snapshots(community),
        kind="metrics",
        order=("-as_of", "-pk"),
        cursor=cursor,
        limit=limit,
    )
    rows, next_cursor = finish(list(after[: limit + 1]))
    document = exports.history_document(community, rows, pseudonymous=pseudonymous)
    return {**document, "next_cursor": next_cursor}
