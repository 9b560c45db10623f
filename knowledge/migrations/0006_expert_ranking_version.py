"""The experts' ranking version: a token per community that triggers replace whenever an input
of the ranking changes (knowledge.selectors.experts caches the ranking under it).

Triggers rather than calls in the services, so that no writer can forget it: the listeners'
upserts, bulk paths, the admin's cascades, ``experts_fill`` and raw SQL all go through them. On
PostgreSQL one bump per statement and community (statement triggers with transition tables); on
SQLite per row (it has no statement triggers; one writer at a time).
"""

import django.db.models.deletion
from django.db import migrations, models

SCORES = "knowledge_tagexpertscore"
MEMBERSHIPS = "communities_membership"
USERS = "auth_user"
VERSIONS = "knowledge_expertrankingversion"

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION knowledge_expert_ranking_bump() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = '{USERS}' THEN
        INSERT INTO {VERSIONS} (community_id, token)
        SELECT DISTINCT m.community_id, md5(random()::text || clock_timestamp()::text)
        FROM {MEMBERSHIPS} m WHERE m.user_id = NEW.id
        ON CONFLICT (community_id) DO UPDATE SET token = excluded.token;
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {VERSIONS} (community_id, token)
        SELECT c, md5(random()::text || clock_timestamp()::text)
        FROM (SELECT DISTINCT community_id AS c FROM new_rows) changed
        ON CONFLICT (community_id) DO UPDATE SET token = excluded.token;
    ELSIF TG_OP = 'UPDATE' AND TG_TABLE_NAME = '{MEMBERSHIPS}' THEN
        -- Only what the ranking reads: a member's visit (last_seen_at) is an UPDATE too, and
        -- bumping on it would empty the kept ranking and lock the row at every visit.
        INSERT INTO {VERSIONS} (community_id, token)
        SELECT c, md5(random()::text || clock_timestamp()::text)
        FROM (
            SELECT DISTINCT v.c
            FROM new_rows n JOIN old_rows o ON o.id = n.id,
                 LATERAL (VALUES (n.community_id), (o.community_id)) AS v(c)
            WHERE (n.state, n.user_id, n.community_id)
                IS DISTINCT FROM (o.state, o.user_id, o.community_id)
        ) changed
        ON CONFLICT (community_id) DO UPDATE SET token = excluded.token;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO {VERSIONS} (community_id, token)
        SELECT c, md5(random()::text || clock_timestamp()::text)
        FROM (SELECT community_id AS c FROM new_rows UNION SELECT community_id FROM old_rows) changed
        ON CONFLICT (community_id) DO UPDATE SET token = excluded.token;
    ELSE
        INSERT INTO {VERSIONS} (community_id, token)
        SELECT c, md5(random()::text || clock_timestamp()::text)
        FROM (SELECT DISTINCT community_id AS c FROM old_rows) changed
        ON CONFLICT (community_id) DO UPDATE SET token = excluded.token;
    END IF;
    RETURN NULL;
END $$;
"""


def _pg_statements():
    yield _PG_FUNCTION
    for table in (SCORES, MEMBERSHIPS):
        for op, referencing in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "NEW TABLE AS new_rows OLD TABLE AS old_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        ):
            yield (
                f"CREATE TRIGGER {table}_ranking_{op.lower()} AFTER {op} ON {table} "
                f"REFERENCING {referencing} FOR EACH STATEMENT "
                "EXECUTE FUNCTION knowledge_expert_ranking_bump()"
            )
    yield (
        f"CREATE TRIGGER {USERS}_ranking_active AFTER UPDATE OF is_active ON {USERS} "
        "FOR EACH ROW WHEN (OLD.is_active IS DISTINCT FROM NEW.is_active) "
        "EXECUTE FUNCTION knowledge_expert_ranking_bump()"
    )


def _sqlite_statements():
    # No OR REPLACE or upsert here: an outer statement's conflict clause (the listeners'
    # upserts) overrides a trigger's own, so an update, then an insert where none was updated.
    token = "lower(hex(randomblob(16)))"

    def bump(community: str) -> str:
        return (
            f"UPDATE {VERSIONS} SET token = {token} WHERE community_id = {community}; "
            f"INSERT INTO {VERSIONS} (community_id, token) SELECT {community}, {token} "
            f"WHERE NOT EXISTS (SELECT 1 FROM {VERSIONS} WHERE community_id = {community});"
        )

    # Memberships: only a change of what the ranking reads (a visit updates last_seen_at).
    changed = {
        MEMBERSHIPS: " WHEN OLD.state IS NOT NEW.state OR OLD.user_id IS NOT NEW.user_id"
        " OR OLD.community_id IS NOT NEW.community_id",
        SCORES: "",
    }
    for table in (SCORES, MEMBERSHIPS):
        for op, rows in (("INSERT", ["NEW"]), ("UPDATE", ["OLD", "NEW"]), ("DELETE", ["OLD"])):
            body = " ".join(bump(f"{row}.community_id") for row in rows)
            when = changed[table] if op == "UPDATE" else ""
            yield (
                f"CREATE TRIGGER {table}_ranking_{op.lower()} AFTER {op} ON {table}{when} "
                f"BEGIN {body} END"
            )
    communities = f"SELECT community_id FROM {MEMBERSHIPS} WHERE user_id = NEW.id"
    yield (
        f"CREATE TRIGGER {USERS}_ranking_active AFTER UPDATE OF is_active ON {USERS} "
        "WHEN OLD.is_active IS NOT NEW.is_active BEGIN "
        f"UPDATE {VERSIONS} SET token = {token} WHERE community_id IN ({communities}); "
        f"INSERT INTO {VERSIONS} (community_id, token) SELECT DISTINCT community_id, {token} "
        f"FROM {MEMBERSHIPS} WHERE user_id = NEW.id AND community_id NOT IN "
        f"(SELECT community_id FROM {VERSIONS}); END"
    )


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = list(_pg_statements())
        token = "md5(random()::text || clock_timestamp()::text)"
    elif vendor == "sqlite":
        statements = list(_sqlite_statements())
        token = "lower(hex(randomblob(16)))"
    else:
        raise NotImplementedError(f"no ranking triggers for {vendor}")
    for statement in statements:
        schema_editor.execute(statement)
    schema_editor.execute(
        f"INSERT INTO {VERSIONS} (community_id, token) SELECT id, {token} FROM communities_community"
    )


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in (SCORES, MEMBERSHIPS):
        for op in ("insert", "update", "delete"):
            on = f" ON {table}" if vendor == "postgresql" else ""
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_ranking_{op}{on}")
    on = f" ON {USERS}" if vendor == "postgresql" else ""
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {USERS}_ranking_active{on}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS knowledge_expert_ranking_bump()")


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("communities", "0009_interaction_retention"),
        ("knowledge", "0005_alter_repertoiretag_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="ExpertRankingVersion",
            fields=[
                (
                    "community",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="communities.community",
                    ),
                ),
                ("token", models.CharField(max_length=32)),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
