"""Store a run's result in ONE transaction: the snapshot, its member rows and network edges, the
tie table, the watermark and the state. Readers see the previous snapshot until it commits; a run
that dies half-way writes nothing."""

from __future__ import annotations

import io
import time
import uuid
from datetime import UTC, datetime

import numpy as np
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from metrics.compute.pairs import CLASS_NAMES
from metrics.models import (
    CHANNEL_COLUMNS,
    NETWORK_EDGE_COLUMNS,
    TIE_COLUMNS,
    ActivityMark,
    MemberMetrics,
    MetricsSnapshot,
    MetricsState,
    NetworkEdge,
    ThreadMark,
    TieStrength,
)
from metrics.pipeline.cache import KeptActivity, keep_ties
from metrics.pipeline.kept_activity import kept_activity_write
from metrics.pipeline.plan import Plan
from metrics.pipeline.retention import snapshots_prune
from metrics.pipeline.run import MEMBER_ROW_FIELDS, SCORE_REFRESH, RunResult
from metrics.pipeline.times import from_epoch, iso

# Rows per INSERT of member rows and ties: SQLite limits bound variables (17 columns x 1,000 rows
# stays under its 32,766); on PostgreSQL fewer, larger statements are faster.
WRITE_BATCH_SIZE = 1000
__all__ = ["SCORE_REFRESH", "MetricsConflict", "store_result"]

EDGE_COLUMNS = ("snapshot_id", *NETWORK_EDGE_COLUMNS)


class MetricsConflict(Exception):
    """Another run wrote this community's tie table while this one computed; run again."""


def store_result(plan: Plan, result: RunResult, *, started: float) -> MetricsSnapshot:
    """Store the result in one transaction; the state row is locked to serialise runs."""
    now = timezone.now()
    data = dict(result.data)
    data["computed_at"] = iso(now)
    duration_ms = int((time.monotonic() - started) * 1000)
    data["duration_ms"] = duration_ms
    with transaction.atomic():
        state = MetricsState.objects.select_for_update().get(community_id=plan.community_id)
        if plan.current and (
            state.interactions_watermark != plan.watermark_seen
            or state.ties_as_of != plan.ties_as_of_seen
        ):
            raise MetricsConflict(f"the tie table of {plan.community_id} changed during the run")
        snapshot = _save_snapshot(plan, result, data=data, now=now, duration_ms=duration_ms)
        write_member_rows(snapshot, result.member_rows)
        write_edges(snapshot, result)
        if plan.current:
            write_ties(plan, result)
            delete_marks(ActivityMark, result.activity_marks_seen)
            delete_marks(ThreadMark, result.thread_marks_seen)
            token = _advance_state(state, plan, now=now)
            kept_activity_write(
                plan,
                token=token,
                activity=result.activity,
                days_changed=result.activity_days_changed,
            )
    if plan.current:
        keep_ties(
            plan.community_id,
            token=token,
            ties=result.tie_writes.stored_after,
            activity=KeptActivity(result.activity, plan.as_of),
            threads=result.threads,
        )
        snapshots_prune(community_id=plan.community_id, now=now)
    return snapshot


def _save_snapshot(
    plan: Plan, result: RunResult, *, data: dict, now: datetime, duration_ms: int
) -> MetricsSnapshot:
    """Create the snapshot, or replace the one for the same moment and drop its rows."""
    snapshot, created = MetricsSnapshot.objects.update_or_create(
        community_id=plan.community_id,
        as_of=plan.as_of,
        defaults={
            "computed_at": now,
            "duration_ms": duration_ms,
            "betweenness_exact": result.betweenness_exact,
            "config": result.config.as_dict(),
            "data": data,
        },
    )
    if not created:
        MemberMetrics.objects.filter(snapshot=snapshot).delete()
        NetworkEdge.objects.filter(snapshot=snapshot).delete()
    return snapshot


# The member row's columns as COPY writes them: the snapshot's id, then the run's tuple.
MEMBER_COLUMNS = (
    MemberMetrics._meta.get_field("snapshot").column,
    *(MemberMetrics._meta.get_field(name).column for name in MEMBER_ROW_FIELDS),
)


def write_member_rows(snapshot: MetricsSnapshot, rows: list[tuple]) -> None:
    """Store the snapshot's member rows (tuples of ``run.MEMBER_ROW_FIELDS``): by COPY on
    PostgreSQL (10,000 rows in one statement, no model instance), else in INSERT batches."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.copy_expert(
                f"COPY {MemberMetrics._meta.db_table} ({', '.join(MEMBER_COLUMNS)}) FROM STDIN",
                io.StringIO("".join(_member_line(snapshot.pk, row) for row in rows)),
            )
        return
    MemberMetrics.objects.bulk_create(
        [
            MemberMetrics(snapshot=snapshot, **dict(zip(MEMBER_ROW_FIELDS, row, strict=True)))
            for row in rows
        ],
        batch_size=WRITE_BATCH_SIZE,
    )


def _copy_value(value) -> str:
    """Return *value* as COPY's text format reads it: NULL as ``\\N``, floats exact (repr)."""
    if value is None:
        return "\\N"
    if isinstance(value, float):
        return repr(float(value))
    return str(value)


def _member_line(snapshot_id: int, row: tuple) -> str:
    # Levels and trajectories are plain words (or empty): nothing in them needs escaping.
    return "\t".join(map(_copy_value, (snapshot_id, *row))) + "\n"


def delete_marks(model: type[ActivityMark] | type[ThreadMark], ids: list[int]) -> None:
    """Delete the marks *ids* of *model* (``ActivityMark``, ``ThreadMark``) the run read,
    exactly those: a mark written since stays for the next run."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if ids:
                cursor.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", [ids])
            return
        for start in range(0, len(ids), WRITE_BATCH_SIZE):
            chunk = ids[start : start + WRITE_BATCH_SIZE]
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN ({', '.join(['%s'] * len(chunk))})", chunk
            )


def _advance_state(state: MetricsState, plan: Plan, *, now: datetime) -> str:
    """Move the watermark and the tie table's as-of to this run; clear a handled full request.
    Return the table's new token (``pipeline.cache``)."""
    state.interactions_watermark = plan.upto_pk
    state.ties_as_of = plan.as_of
    state.ties_ref_at = from_epoch(plan.ref)
    state.ties_token = uuid.uuid4().hex
    state.finished_at = now
    state.last_error = ""
    fields = [
        "interactions_watermark",
        "ties_as_of",
        "ties_ref_at",
        "ties_token",
        "finished_at",
        "last_error",
    ]
    if plan.full:
        state.last_full_at = now
        fields.append("last_full_at")
        if state.full_requested_at == plan.full_requested_seen:
            state.full_requested_at = None
            fields.append("full_requested_at")
    state.save(update_fields=fields)
    return state.ties_token


def write_edges(snapshot: MetricsSnapshot, result: RunResult) -> None:
    """Store the snapshot's network edges (``result.edges``): by binary COPY on PostgreSQL, the
    rows built by numpy from the pair table's columns at ``result.edge_positions`` (no Python
    object per value), else in INSERT batches."""
    if connection.vendor == "postgresql":
        if not len(result.edge_positions):
            return
        payload = _edges_payload(snapshot.pk, result.table, result.scores, result.edge_positions)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                f"COPY {NetworkEdge._meta.db_table} ({', '.join(EDGE_COLUMNS)})"
                " FROM STDIN WITH (FORMAT binary)",
                io.BytesIO(payload),
            )
        return
    NetworkEdge.objects.bulk_create(
        (
            NetworkEdge(
                snapshot=snapshot,
                user_a_id=t.a,
                user_b_id=t.b,
                score=t.score,
                tie_class=t.tie_class,
                reciprocity=t.reciprocity,
                multiplexity=t.multiplexity,
                duration=t.duration,
            )
            for t in result.edges
        ),
        batch_size=WRITE_BATCH_SIZE,
    )


def _edges_payload(snapshot_id: int, table, scores, positions: np.ndarray) -> bytes:
    """Return the binary COPY of the pairs at *positions* (in key order) in ``EDGE_COLUMNS``
    order, the rows in key order: the unique index (snapshot, user_a, user_b) then receives
    ascending keys, each on its rightmost page (the COPY's server CPU 13-23 % less than with
    the rows class by class, measured). A row's layout depends on the length of its class's
    name, so numpy builds each class's rows apart and the payload takes them run by run."""
    codes = scores.tie_class[positions]
    n = len(positions)
    columns = [
        np.full(n, snapshot_id, np.int64),
        table.a[positions],
        table.b[positions],
        scores.score[positions],
        None,  # the class's name
        scores.reciprocity[positions],
        scores.multiplexity[positions],
        scores.duration[positions],
    ]
    rows_of_class = {}
    for code in np.unique(codes).tolist():
        chosen = codes == code
        name = CLASS_NAMES[code].encode()
        count = int(chosen.sum())
        rows = _binary_rows(
            [np.full(count, name, f"S{len(name)}") if c is None else c[chosen] for c in columns]
        )
        rows_of_class[code] = (memoryview(rows), len(rows) // count)
    starts = np.flatnonzero(np.diff(codes, prepend=-1))
    ends = [*starts[1:].tolist(), n]
    taken = dict.fromkeys(rows_of_class, 0)
    parts = [_COPY_HEADER]
    for start, end, code in zip(starts.tolist(), ends, codes[starts].tolist(), strict=True):
        rows, size = rows_of_class[code]
        first = taken[code]
        taken[code] = first + end - start
        parts.append(rows[first * size : taken[code] * size])
    parts.append(_COPY_TRAILER)
    return b"".join(parts)


def write_ties(plan: Plan, result: RunResult) -> None:
    """Bring the tie table up to this run, writing only what changed (``run._tie_writes``): the
    pairs new interactions touched, new pairs, and rows whose stored score drifted
    ``SCORE_REFRESH`` or more or changed class; a full run also deletes the pairs the log no
    longer has (interactions retracted) and rewrites any row that differs from the log. Ageing
    alone rewrites nothing: the sums are scaled to the table's reference time.
    """
    writes = result.tie_writes
    cid = plan.community_id
    if len(writes.delete_a):
        _delete_ties(cid, writes.delete_a.tolist(), writes.delete_b.tolist())
    if not len(writes.upsert):
        return
    if connection.vendor == "postgresql":
        _upsert_ties_postgresql(cid, result.table, result.scores, writes.upsert)
        return
    for batch in _batches(_tie_rows(cid, result.table, result.scores, writes.upsert), 500):
        TieStrength.objects.bulk_create(
            [TieStrength(**dict(zip(TIE_COLUMNS, row, strict=True))) for row in batch],
            update_conflicts=True,
            unique_fields=["community", "user_a", "user_b"],
            update_fields=TIE_COLUMNS[3:],
        )


def _delete_ties(community_id: int, a: list[int], b: list[int]) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"""DELETE FROM {TieStrength._meta.db_table} t
                    USING (SELECT unnest(%s::bigint[]) AS a, unnest(%s::bigint[]) AS b) gone
                    WHERE t.community_id = %s AND t.user_a_id = gone.a AND t.user_b_id = gone.b""",
                [a, b, community_id],
            )
        return
    for batch in _batches(list(zip(a, b, strict=True)), 200):
        condition = Q()
        for user_a, user_b in batch:
            condition |= Q(user_a_id=user_a, user_b_id=user_b)
        TieStrength.objects.filter(condition, community_id=community_id).delete()


def _tie_rows(community_id: int, table, scores, index):
    """Yield tie table rows (TIE_COLUMNS order) for the positions *index* of *table*."""
    channels = table.channels[index].tolist()
    for i, row_channels in zip(index.tolist(), channels, strict=True):
        yield (
            community_id,
            int(table.a[i]),
            int(table.b[i]),
            int(table.units_ab[i]),
            int(table.units_ba[i]),
            datetime.fromtimestamp(float(table.first[i]), UTC),
            datetime.fromtimestamp(float(table.last[i]), UTC),
            *(None if c != c else c for c in row_channels),
            int(table.months[i]),
            float(scores.score[i]),
            float(scores.reciprocity[i]),
            float(scores.multiplexity[i]),
            float(scores.duration[i]),
            CLASS_NAMES[scores.tie_class[i]],
        )


def _batches(rows, size: int):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# The staging table's columns: TIE_COLUMNS without the community, times as epoch seconds,
# channels never used as NaN, the class as its code: all 8 bytes wide, for a binary COPY.
_STAGED = (
    ("user_a_id", "bigint"),
    ("user_b_id", "bigint"),
    ("units_ab", "bigint"),
    ("units_ba", "bigint"),
    ("first_at", "float8"),
    ("last_at", "float8"),
    *((name, "float8") for name in CHANNEL_COLUMNS),
    ("month_bits", "bigint"),
    ("score", "float8"),
    ("reciprocity", "float8"),
    ("multiplexity", "float8"),
    ("duration", "float8"),
    ("tie_class", "bigint"),
)


_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_COPY_TRAILER = (-1).to_bytes(2, "big", signed=True)


def _binary_rows(columns: list) -> bytes:
    """Return the rows of PostgreSQL's binary COPY format (no header) of equally long columns:
    int64, float64 or fixed-width bytes (text of one length), one fixed row layout written by
    numpy without a Python object per value."""
    n = len(columns[0])
    fields = [("count", ">i2")]
    for i, column in enumerate(columns):
        kind = column.dtype.kind
        layout = ">i8" if kind == "i" else ">f8" if kind == "f" else column.dtype.str
        fields += [(f"length{i}", ">i4"), (f"value{i}", layout)]
    records = np.empty(n, dtype=np.dtype(fields))
    records["count"] = len(columns)
    for i, column in enumerate(columns):
        records[f"length{i}"] = column.dtype.itemsize
        records[f"value{i}"] = column
    return records.tobytes()


def _binary_copy_payload(columns: list) -> bytes:
    """Return PostgreSQL's binary COPY format of equally long 8-byte columns (int64 or
    float64)."""
    return _COPY_HEADER + _binary_rows(columns) + _COPY_TRAILER


def _upsert_ties_postgresql(community_id: int, table, scores, index) -> None:
    """Upsert the rows *index* of *table*: a binary COPY into a temporary table, then one
    ``INSERT … ON CONFLICT DO UPDATE``. Updated rows keep their keys, so PostgreSQL checks no
    foreign key for them."""
    columns = [
        table.a[index],
        table.b[index],
        table.units_ab[index],
        table.units_ba[index],
        table.first[index],
        table.last[index],
        *(table.channels[index, c] for c in range(table.channels.shape[1])),
        table.months[index],
        scores.score[index],
        scores.reciprocity[index],
        scores.multiplexity[index],
        scores.duration[index],
        scores.tie_class[index].astype(np.int64),
    ]
    staged = ", ".join(f"{name} {kind}" for name, kind in _STAGED)
    names = [name for name, _ in _STAGED]
    selected = ", ".join(
        f"to_timestamp({n})" if n in ("first_at", "last_at")
        else f"NULLIF({n}, 'NaN'::float8)" if n in CHANNEL_COLUMNS
        else f"(ARRAY['latent', 'weak', 'strong'])[{n} + 1]" if n == "tie_class"
        else n
        for n in names
    )  # fmt: skip
    table_name = TieStrength._meta.db_table
    updates = ", ".join(f"{n} = EXCLUDED.{n}" for n in names[2:])
    with connection.cursor() as cursor:
        # Dropped here and after use, not only at commit: the caller's transaction may be an
        # outer one that sees several runs (a command, a test).
        cursor.execute("DROP TABLE IF EXISTS metrics_ties_new")
        cursor.execute(f"CREATE TEMPORARY TABLE metrics_ties_new ({staged}) ON COMMIT DROP")
        cursor.cursor.copy_expert(
            "COPY metrics_ties_new FROM STDIN WITH (FORMAT binary)",
            io.BytesIO(_binary_copy_payload(columns)),
        )
        cursor.execute(
            f"""INSERT INTO {table_name} AS t (community_id, {", ".join(names)})
                SELECT %s, {selected} FROM metrics_ties_new
                ON CONFLICT (community_id, user_a_id, user_b_id) DO UPDATE SET {updates}""",
            [community_id],
        )
        cursor.execute("DROP TABLE metrics_ties_new")
