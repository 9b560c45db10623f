"""Activity marks: the days of a community whose activity sources changed, written by triggers.

A current run keeps each member's activity per day between runs (``metrics.pipeline.activity``)
and reads again only today, the days since its previous run and the days marked here. Triggers
rather than calls in the services, so that no writer can forget one: the services, bulk imports
(COPY fires them), the admin's cascades and raw SQL all go through them. On PostgreSQL one
INSERT per statement (statement triggers with transition tables); on SQLite per row.

What marks what (each source row counts on the UTC day of its ``created_at``, in the community
of its post, item or event; ``metrics.collect.member_activity`` reads the same):

- a row added or removed: its day;
- a row changed in a column the activity reads (author, community, post/item/event, hidden,
  opening, created_at): its old and its new day;
- a post or item moved to another community (its votes, reports, revisions and evidence move
  with it), a thread moved or given another author (the helps of its posts), an event moved:
  the whole window (``day`` null) of both communities.
"""

from django.db import migrations, models

MARKS = "metrics_activitymark"

# table: (community expression of row r, join that expression needs, columns the activity reads)
SOURCES = {
    "practice_post": (
        "r.community_id",
        "",
        ("community_id", "author_id", "created_at", "is_hidden", "is_opening", "thread_id"),
    ),
    "practice_vote": (
        "p.community_id",
        "JOIN practice_post p ON p.id = r.post_id",
        ("post_id", "voter_id", "created_at"),
    ),
    "practice_adoptionreport": (
        "p.community_id",
        "JOIN practice_post p ON p.id = r.post_id",
        ("post_id", "member_id", "created_at"),
    ),
    "practice_rsvp": (
        "e.community_id",
        "JOIN practice_event e ON e.id = r.event_id",
        ("event_id", "user_id", "created_at"),
    ),
    "knowledge_item": (
        "r.community_id",
        "",
        ("community_id", "proposed_by_id", "created_at"),
    ),
    "knowledge_itemrevision": (
        "i.community_id",
        "JOIN knowledge_item i ON i.id = r.item_id",
        ("item_id", "editor_id", "created_at"),
    ),
    "knowledge_changeproposal": (
        "i.community_id",
        "JOIN knowledge_item i ON i.id = r.item_id",
        ("item_id", "proposed_by_id", "created_at"),
    ),
    "knowledge_evidence": (
        "i.community_id",
        "JOIN knowledge_item i ON i.id = r.item_id",
        ("item_id", "member_id", "created_at"),
    ),
}
# Tables whose change of these columns changes every day of the window of both communities.
MOVES = {
    "practice_post": ("community_id",),
    "knowledge_item": ("community_id",),
    "practice_thread": ("community_id", "author_id"),
    "practice_event": ("community_id",),
}


def _pg_function(table: str) -> str:
    community, join, columns = SOURCES.get(table, (None, "", ()))
    day = "(r.created_at AT TIME ZONE 'UTC')::date"

    def rows_of(transition: str) -> str:
        return f"SELECT {community} AS c, {day} AS d FROM {transition} r {join}"

    changed = " OR ".join(f"n.{c} IS DISTINCT FROM o.{c}" for c in columns) or "false"
    moved = " OR ".join(f"n.{c} IS DISTINCT FROM o.{c}" for c in MOVES.get(table, ()))
    if community is None:  # a table whose rows are no activity themselves: only moves
        inserted = deleted = updated_days = "SELECT NULL::bigint AS c, NULL::date AS d WHERE false"
    else:
        inserted, deleted = rows_of("new_rows"), rows_of("old_rows")
        updated_days = (
            f"SELECT {community} AS c, {day} AS d FROM new_rows r {join} "
            f"WHERE r.id IN (SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id "
            f"WHERE {changed}) "
            f"UNION SELECT {community}, {day} FROM old_rows r {join} "
            f"WHERE r.id IN (SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id "
            f"WHERE {changed})"
        )
    updated_moves = (
        "SELECT v.c, NULL::date FROM new_rows n JOIN old_rows o ON o.id = n.id, "
        f"LATERAL (VALUES (n.community_id), (o.community_id)) AS v(c) WHERE {moved}"
        if table in MOVES
        else "SELECT NULL::bigint, NULL::date WHERE false"
    )
    return f"""
CREATE OR REPLACE FUNCTION {table}_activity_mark() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {MARKS} (community_id, day)
        SELECT DISTINCT c, d FROM ({inserted}) AS marked WHERE c IS NOT NULL;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO {MARKS} (community_id, day)
        SELECT DISTINCT c, d FROM ({deleted}) AS marked WHERE c IS NOT NULL;
    ELSE
        INSERT INTO {MARKS} (community_id, day)
        SELECT DISTINCT c, d FROM ({updated_days} UNION {updated_moves}) AS marked
        WHERE c IS NOT NULL;
    END IF;
    RETURN NULL;
END $$;
"""


def _pg_statements():
    for table in {**SOURCES, **MOVES}:
        yield _pg_function(table)
        ops = (
            (("INSERT", "NEW TABLE AS new_rows"),)
            + (("UPDATE", "NEW TABLE AS new_rows OLD TABLE AS old_rows"),)
            + (("DELETE", "OLD TABLE AS old_rows"),)
        )
        for op, referencing in ops:
            if table not in SOURCES and op != "UPDATE":
                continue
            yield (
                f"CREATE TRIGGER {table}_activity_{op.lower()} AFTER {op} ON {table} "
                f"REFERENCING {referencing} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION {table}_activity_mark()"
            )


def _sqlite_statements():
    def mark(table: str, row: str) -> str:
        community, join, _ = SOURCES[table]
        # The join as a lookup of the row's post, item or event.
        source = community.replace("r.", f"{row}.")
        lookup = ""
        if join:
            _, parent, alias, _, key, _, fk = join.split()
            source = f"{alias}.community_id"
            lookup = f" FROM {parent} {alias} WHERE {key} = {fk.replace('r.', f'{row}.')}"
        where = f" AND {source} IS NOT NULL" if lookup else f" WHERE {source} IS NOT NULL"
        return (
            f"INSERT INTO {MARKS} (community_id, day) "
            f"SELECT {source}, date({row}.created_at){lookup}{where};"
        )

    def moved(table: str) -> str:
        return (
            f"INSERT INTO {MARKS} (community_id, day) SELECT OLD.community_id, NULL "
            f"WHERE {' OR '.join(f'OLD.{c} IS NOT NEW.{c}' for c in MOVES[table])}; "
            f"INSERT INTO {MARKS} (community_id, day) SELECT NEW.community_id, NULL "
            f"WHERE {' OR '.join(f'OLD.{c} IS NOT NEW.{c}' for c in MOVES[table])};"
        )

    for table, (_, _, columns) in SOURCES.items():
        yield f"CREATE TRIGGER {table}_activity_insert AFTER INSERT ON {table} BEGIN {mark(table, 'NEW')} END"
        yield f"CREATE TRIGGER {table}_activity_delete AFTER DELETE ON {table} BEGIN {mark(table, 'OLD')} END"
        when = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
        body = mark(table, "OLD") + " " + mark(table, "NEW")
        if table in MOVES:
            body += " " + moved(table)
        yield (
            f"CREATE TRIGGER {table}_activity_update AFTER UPDATE ON {table} WHEN {when} "
            f"BEGIN {body} END"
        )
    for table in MOVES:
        if table not in SOURCES:
            when = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in MOVES[table])
            yield (
                f"CREATE TRIGGER {table}_activity_update AFTER UPDATE ON {table} WHEN {when} "
                f"BEGIN {moved(table)} END"
            )


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = _pg_statements()
    elif vendor == "sqlite":
        statements = _sqlite_statements()
    else:
        raise NotImplementedError(f"no activity triggers for {vendor}")
    for statement in statements:
        schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in {**SOURCES, **MOVES}:
        for op in ("insert", "update", "delete"):
            on = f" ON {table}" if vendor == "postgresql" else ""
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_activity_{op}{on}")
        if vendor == "postgresql":
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_activity_mark()")


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0004_tie_state_at_reference_time"),
        ("practice", "0004_drafts"),
        ("knowledge", "0006_expert_ranking_version"),
    ]

    operations = [
        migrations.CreateModel(
            name="ActivityMark",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("community_id", models.BigIntegerField(db_index=True)),
                ("day", models.DateField(null=True)),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
