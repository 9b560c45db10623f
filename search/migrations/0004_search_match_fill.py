"""Fill the narrow match table from the existing entries, and give its vector a GIN index on
PostgreSQL (not declared in the model's Meta, for the reason given in 0002).

Later changes keep it in step through ``search.indexing``; ``manage.py rebuild_search_index``
rewrites both tables from the content.
"""

from django.db import migrations

INDEX = "search_match_vector_gin"
COLUMNS = "entry_id, community_id, kind, item_kind, is_solved, tag_names, updated_at, vector"
SOURCE = "id, community_id, kind, item_kind, is_solved, tag_names, updated_at, search_vector"


def fill(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:
        # Check the new rows' foreign keys now rather than at commit: PostgreSQL builds no
        # index on a table with checks still pending.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    schema_editor.execute(
        f"INSERT INTO search_searchmatch ({COLUMNS}) "  # noqa: S608 (constant SQL)
        f"SELECT {SOURCE} FROM search_searchentry"
    )
    if postgresql:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON search_searchmatch USING gin (vector)"
        )


def empty(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute("DELETE FROM search_searchmatch")


class Migration(migrations.Migration):
    dependencies = [("search", "0003_search_match")]

    operations = [migrations.RunPython(fill, empty, elidable=False)]
