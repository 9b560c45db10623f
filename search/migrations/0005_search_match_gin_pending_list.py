"""Bound the pending list of the match table's GIN index to 1 MB (PostgreSQL's default is 4 MB).

With ``fastupdate`` (on by default) new index entries wait in a pending list, merged into the
index when it outgrows ``gin_pending_list_limit`` or at a vacuum, and every search through the
GIN index reads all of it: on the 100,000-post bench, 1.9-3.2 µs per pending page, 1.0-1.6 ms
at a full 4 MB and 0.25-0.4 ms at 1 MB. The writes barely notice: CPU per index write, merges
included, the same within the noise for 1 and 16 entries, 6-10 % more for a 1,000-entry COPY
batch (256 kB: 25-28 % more; ``fastupdate = off``: twice as much). bench/search_pending.py;
bench/README.md, "GIN's pending list bounded to 1 MB".

On a table of 100,000 entries this changes only the catalog (no rewrite, no index build): it
takes a brief exclusive lock on the index. Nothing on SQLite, which has no vectors.
"""

from django.db import migrations

INDEX = "search_match_vector_gin"
PENDING_LIST_KB = 1024


def bound(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER INDEX IF EXISTS {INDEX} SET (gin_pending_list_limit = {PENDING_LIST_KB})"
        )


def unbound(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER INDEX IF EXISTS {INDEX} RESET (gin_pending_list_limit)")


class Migration(migrations.Migration):
    dependencies = [("search", "0004_search_match_fill")]

    operations = [migrations.RunPython(bound, unbound, elidable=False)]
