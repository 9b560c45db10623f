"""``search_phrase_pairs(query)`` (0007) in PL/pgSQL, its body unchanged (PostgreSQL only).

A search with a phrase calls it on a constant, so PostgreSQL evaluates it while planning the
statement, twice (the CASE's test and the index condition). As a SQL function whose body is a
query, each of those calls parsed and planned that body anew: 0.4 of the phrase statement's
0.8 ms of planning on the bench (bench/README.md, stop 16). A PL/pgSQL function keeps its
body's plan for the session, so a call only runs it. The same query returns the same pairs;
nothing stored depends on this function (the index is on ``search_word_pairs``), so replacing
it needs no rebuild.
"""

from importlib import import_module

from django.db import migrations

# 0007's function, one SELECT, now the value of a RETURN.
_SQL_FUNCTION = import_module("search.migrations.0007_search_match_word_pairs").PHRASE_PAIRS

PHRASE_PAIRS = (
    "CREATE OR REPLACE FUNCTION search_phrase_pairs(query tsquery) RETURNS tsquery\n"
    "LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $f$\n"
    "BEGIN\n"
    f"  RETURN ({_SQL_FUNCTION.split('$f$')[1].strip()});\n"
    "END\n"
    "$f$"
)


def to_plpgsql(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PHRASE_PAIRS)


def to_sql(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_SQL_FUNCTION)


class Migration(migrations.Migration):
    dependencies = [("search", "0007_search_match_word_pairs")]

    operations = [migrations.RunPython(to_plpgsql, to_sql, elidable=False)]
