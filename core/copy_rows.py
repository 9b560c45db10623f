"""Insert many new rows of a model at once: by PostgreSQL's COPY, else ``bulk_create``.

Composing a multi-row INSERT is most of ``bulk_create``'s time for wide rows (three fifths of
it in the mbox import's profile, where ``bulk_create`` was half of the importing process);
COPY takes the rows as tab-separated text instead. Only for models without a field the ORM
fills in on save (``auto_now``, ``auto_now_add``): the values are taken as they are.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

from django.db import connection, transaction


def copy_text(value) -> str:
    """*value* as COPY's text format reads it: NULL as ``\\N``, booleans as t/f, moments in
    ISO 8601 with their offset, JSON for dicts and lists, and backslash, tab and line ends
    escaped."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, dict | list):
        value = json.dumps(value)
    if isinstance(value, str):
        return (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def rows_insert(model, rows: list, *, with_ids: bool = False, related_set: bool = False) -> None:
    """Insert the new *rows* of *model* (with the ids they carry when *with_ids*, else the
    table's own): one COPY on PostgreSQL, ``bulk_create`` elsewhere (which sets no ids on
    *rows* here when *with_ids* is false and the database returns none). *related_set*: every
    related row had its id when it was assigned to *rows*, so their foreign key ids are set
    and the per-row check for one that had none yet is skipped."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(rows)
        return
    for row in rows if not related_set else ():
        # As bulk_create does: a foreign key set to an object before it had its id.
        row._prepare_related_fields_for_save(operation_name="COPY")
    fields = [f for f in model._meta.concrete_fields if with_ids or not f.primary_key]
    names = [f.attname for f in fields]
    lines = "".join(
        "\t".join([copy_text(getattr(row, name)) for name in names]) + "\n" for row in rows
    )
    _copy(model, [f.column for f in fields], lines)


def tuples_insert(model, names: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert new rows of *model* given as tuples of the values of *names* (attnames, such as
    ``post_id``; not the primary key, which the table gives), with no instance made on
    PostgreSQL: one COPY. A field not in *names* takes its default, worked out once for all
    the rows. Elsewhere, instances by ``bulk_create``."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**dict(zip(names, row, strict=True))) for row in rows])
        return
    fields = {f.attname: f for f in model._meta.concrete_fields}
    given = set(names)
    others = [f for f in fields.values() if not f.primary_key and f.attname not in given]
    tail = "".join("\t" + copy_text(f.get_default()) for f in others) + "\n"
    lines = "".join("\t".join([copy_text(value) for value in row]) + tail for row in rows)
    _copy(model, [fields[name].column for name in names] + [f.column for f in others], lines)


def _copy(model, columns: list[str], lines: str) -> None:
    """COPY *lines* (COPY text, one row a line) into *model*'s table's *columns*."""
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {connection.ops.quote_name(model._meta.db_table)} ({quoted}) FROM STDIN",
            io.StringIO(lines),
        )


@contextmanager
def copied_to_batch_table(table: str, definition: str, columns: str, lines: str) -> Iterator:
    """COPY *lines* (COPY text, one row a line) into this connection's temporary *table*
    (*definition*: its columns), and yield the cursor for the statements that read it; the
    table is empty again afterwards. PostgreSQL only.

    The table is made once per connection and ``ON COMMIT DELETE ROWS`` empties it at the end
    of a transaction; ``TRUNCATE`` empties it for the next batch of the same one. It runs in
    the caller's transaction, or one of its own (the rows must live from the COPY to the
    reading statement), without a savepoint: two more round trips a batch."""
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {table} ({definition}) ON COMMIT DELETE ROWS"
        )
        cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", io.StringIO(lines))
        yield cursor
        cursor.execute(f"TRUNCATE {table}")
