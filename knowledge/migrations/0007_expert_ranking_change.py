"""The experts' ranking token replaced at commit on PostgreSQL, not by each writing statement.

0006's statement triggers upserted the community's version row, which then stayed locked until
commit: two transactions writing scores (or memberships) of two communities in opposite orders
each held one version row and waited for the other's, and PostgreSQL aborted one as deadlocked
(tests/knowledge/test_experts_ranking_locks.py; a thread moved from A to B while another moves
from B to A is such a pair). Now the triggers insert a row per community into
``knowledge_expertrankingchange`` (no shared row, no lock anyone waits for), and one deferred
constraint trigger replaces, at commit, the tokens of all the transaction's communities in the
order of their ids and deletes its rows: every writer takes the version rows' locks in one
order, at the end, for the moment of the commit. The writer's own reads inside the transaction
use the latest token of its change rows (``knowledge.selectors.experts``). SQLite keeps 0006's
row triggers: one writer at a time, nothing to deadlock.
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

SCORES = "knowledge_tagexpertscore"
MEMBERSHIPS = "communities_membership"
USERS = "auth_user"
VERSIONS = "knowledge_expertrankingversion"
CHANGES = "knowledge_expertrankingchange"
TOKEN = "md5(random()::text || clock_timestamp()::text)"

# One change row per transaction and community: a later statement of the same transaction gives
# it a new token (its own row, which nobody else sees or waits for), so the deferred trigger
# below is queued once per community, not once per statement.
_PG_BUMP = f"""
CREATE OR REPLACE FUNCTION knowledge_expert_ranking_bump() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed bigint[];
BEGIN
    IF TG_TABLE_NAME = '{USERS}' THEN
        SELECT array_agg(DISTINCT m.community_id) INTO changed
        FROM {MEMBERSHIPS} m WHERE m.user_id = NEW.id;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT community_id) INTO changed FROM new_rows;
    ELSIF TG_OP = 'UPDATE' AND TG_TABLE_NAME = '{MEMBERSHIPS}' THEN
        -- Only what the ranking reads: a member's visit (last_seen_at) is an UPDATE too.
        SELECT array_agg(DISTINCT v.c) INTO changed
        FROM new_rows n JOIN old_rows o ON o.id = n.id,
             LATERAL (VALUES (n.community_id), (o.community_id)) AS v(c)
        WHERE (n.state, n.user_id, n.community_id)
            IS DISTINCT FROM (o.state, o.user_id, o.community_id);
    ELSIF TG_OP = 'UPDATE' THEN
        SELECT array_agg(DISTINCT c) INTO changed
        FROM (SELECT community_id AS c FROM new_rows UNION SELECT community_id FROM old_rows) s;
    ELSE
        SELECT array_agg(DISTINCT community_id) INTO changed FROM old_rows;
    END IF;
    IF changed IS NOT NULL THEN
        UPDATE {CHANGES} SET token = {TOKEN}
        WHERE xact = txid_current() AND community_id = ANY (changed);
        INSERT INTO {CHANGES} (community_id, token, xact)
        SELECT c, {TOKEN}, txid_current() FROM unnest(changed) AS c
        WHERE NOT EXISTS (
            SELECT 1 FROM {CHANGES} WHERE xact = txid_current() AND community_id = c
        );
    END IF;
    RETURN NULL;
END $$;
"""

# Fired at commit once per change row (one per community): the first firing does the work, the
# others find no row left.
_PG_FLUSH = f"""
CREATE OR REPLACE FUNCTION knowledge_expert_ranking_flush() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    WITH done AS (
        DELETE FROM {CHANGES} WHERE xact = txid_current() RETURNING community_id
    )
    INSERT INTO {VERSIONS} (community_id, token)
    SELECT c, {TOKEN} FROM (SELECT DISTINCT community_id AS c FROM done) changed ORDER BY c
    ON CONFLICT (community_id) DO UPDATE SET token = excluded.token;
    RETURN NULL;
END $$;
"""

_PG_FLUSH_TRIGGER = (
    f"CREATE CONSTRAINT TRIGGER {CHANGES}_flush AFTER INSERT ON {CHANGES} "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION knowledge_expert_ranking_flush()"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in (_PG_FLUSH, _PG_FLUSH_TRIGGER, _PG_BUMP):
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    previous = importlib.import_module("knowledge.migrations.0006_expert_ranking_version")
    schema_editor.execute(previous._PG_FUNCTION)
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {CHANGES}_flush ON {CHANGES}")
    schema_editor.execute("DROP FUNCTION IF EXISTS knowledge_expert_ranking_flush()")


class Migration(migrations.Migration):
    dependencies = [
        ("communities", "0009_interaction_retention"),
        ("knowledge", "0006_expert_ranking_version"),
    ]

    operations = [
        migrations.CreateModel(
            name="ExpertRankingChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token", models.CharField(max_length=32)),
                ("xact", models.BigIntegerField()),
                (
                    "community",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="communities.community",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["xact", "community"], name="expert_ranking_change_xact")
                ],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
