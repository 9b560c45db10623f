"""Thread marks: the threads of a community whose record changed, written by triggers.

A current run keeps the thread records of its window between runs (``metrics.pipeline.threads``)
and reads again only the threads started or posted in since its previous run and the threads
marked here. Triggers rather than calls in the services, so that no writer can forget one: the
services, bulk imports (COPY fires them), the admin's cascades and raw SQL all go through them.
On PostgreSQL one INSERT per statement (statement triggers with transition tables); on SQLite
per row.

A thread's record (``metrics.pipeline.participation.thread_rows``) reads the thread's own row
and its posts in the same community; what marks what:

- a post added or removed, or changed in a column the record reads: its thread, in its
  community (old and new: a post moved marks its thread in both);
- a thread added or removed, or changed in a column the record reads: itself, in its community
  (old and new).

The first responder's role is not read here: the run applies the current moderators to the
kept responder ids each time.
"""

from django.db import migrations, models

MARKS = "metrics_threadmark"

# table: (the thread id of row r, columns the thread record reads)
SOURCES = {
    "practice_post": (
        "thread_id",
        (
            "community_id",
            "thread_id",
            "author_id",
            "created_at",
            "is_hidden",
            "is_opening",
            "is_answer",
        ),
    ),
    "practice_thread": (
        "id",
        (
            "community_id",
            "author_id",
            "created_at",
            "is_hidden",
            "kind",
            "title",
            "accepted_at",
            "accepted_post_id",
        ),
    ),
}


def _pg_function(table: str) -> str:
    thread, columns = SOURCES[table]
    changed = " OR ".join(f"n.{c} IS DISTINCT FROM o.{c}" for c in columns)
    return f"""
CREATE OR REPLACE FUNCTION {table}_thread_mark() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {MARKS} (community_id, thread_id)
        SELECT DISTINCT community_id, {thread} FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO {MARKS} (community_id, thread_id)
        SELECT DISTINCT community_id, {thread} FROM old_rows;
    ELSE
        INSERT INTO {MARKS} (community_id, thread_id)
        SELECT n.community_id, n.{thread} FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE {changed}
        UNION
        SELECT o.community_id, o.{thread} FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE {changed};
    END IF;
    RETURN NULL;
END $$;
"""


def _pg_statements():
    for table in SOURCES:
        yield _pg_function(table)
        for op, referencing in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "NEW TABLE AS new_rows OLD TABLE AS old_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        ):
            yield (
                f"CREATE TRIGGER {table}_thread_{op.lower()} AFTER {op} ON {table} "
                f"REFERENCING {referencing} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION {table}_thread_mark()"
            )


def _sqlite_statements():
    def mark(table: str, row: str) -> str:
        thread, _ = SOURCES[table]
        return (
            f"INSERT INTO {MARKS} (community_id, thread_id) "
            f"VALUES ({row}.community_id, {row}.{thread});"
        )

    for table, (_, columns) in SOURCES.items():
        yield f"CREATE TRIGGER {table}_thread_insert AFTER INSERT ON {table} BEGIN {mark(table, 'NEW')} END"
        yield f"CREATE TRIGGER {table}_thread_delete AFTER DELETE ON {table} BEGIN {mark(table, 'OLD')} END"
        when = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
        yield (
            f"CREATE TRIGGER {table}_thread_update AFTER UPDATE ON {table} WHEN {when} "
            f"BEGIN {mark(table, 'OLD')} {mark(table, 'NEW')} END"
        )


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = _pg_statements()
    elif vendor == "sqlite":
        statements = _sqlite_statements()
    else:
        raise NotImplementedError(f"no thread triggers for {vendor}")
    for statement in statements:
        schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in SOURCES:
        for op in ("insert", "update", "delete"):
            on = f" ON {table}" if vendor == "postgresql" else ""
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_thread_{op}{on}")
        if vendor == "postgresql":
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_thread_mark()")


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0008_kept_activity"),
        ("practice", "0005_covered_foreign_key_indexes_dropped"),
    ]

    operations = [
        migrations.CreateModel(
            name="ThreadMark",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("community_id", models.BigIntegerField(db_index=True)),
                ("thread_id", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
