"""Two functions in PL/pgSQL, so that planning a search no longer plans their bodies
(PostgreSQL only; bench/README.md, stop 16).

- ``search_phrase_pairs(query)`` (0007), its body unchanged. A search with a phrase calls it on
  a constant, so PostgreSQL evaluates it while planning the statement, twice (the CASE's test
  and the index condition); as a SQL function whose body is a query, each call parsed and
  planned that body anew: 0.33 of the phrase statement's 0.8 ms of planning on the bench. A
  PL/pgSQL function keeps its body's plan for the session. Nothing stored depends on it (the
  index is on ``search_word_pairs``): replacing it needs no rebuild.
- ``search_snippet_source(text, query, lead, size)``: the piece of a long text a snippet is
  made from, *size* characters from *lead* characters before the first place one of the
  query's lexemes (not a negated one) appears in the lower-cased text, or from the start. The
  ranking statement had it inline, with the lexemes read from the query by a subquery that
  every search planned (0.06 ms) although only texts longer than the page reads whole run it.
"""

from importlib import import_module

from django.db import migrations

# 0007's function, one SELECT, now the value of a RETURN.
_PHRASE_PAIRS_SQL = import_module("search.migrations.0007_search_match_word_pairs").PHRASE_PAIRS

PHRASE_PAIRS = (
    "CREATE OR REPLACE FUNCTION search_phrase_pairs(query tsquery) RETURNS tsquery\n"
    "LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $f$\n"
    "BEGIN\n"
    f"  RETURN ({_PHRASE_PAIRS_SQL.split('$f$')[1].strip()});\n"
    "END\n"
    "$f$"
)

# The lexemes: each quoted one in the query's text ('it''s': a quote doubled), the negated
# ones (a "!" before the quote) left out, lower-cased as search.backends._stems reads them.
SNIPPET_SOURCE = r"""
CREATE OR REPLACE FUNCTION search_snippet_source(t text, query tsquery, lead int, size int)
RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $f$
BEGIN
  RETURN substr(t, GREATEST(1, COALESCE((
    SELECT min(NULLIF(strpos(lower(t), st), 0)) FROM unnest((
      SELECT array_agg(lower(replace(x[2], '''''', '''')))
      FROM regexp_matches(query::text, '(!?)''((?:[^'']|'''')+)''', 'g') AS x
      WHERE x[1] = ''
    )) AS st
  ), 1) - lead), size);
END
$f$
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PHRASE_PAIRS)
        schema_editor.execute(SNIPPET_SOURCE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS search_snippet_source(text, tsquery, int, int)")
        schema_editor.execute("DROP FUNCTION IF EXISTS search_phrase_pairs(tsquery)")
        schema_editor.execute(_PHRASE_PAIRS_SQL)


class Migration(migrations.Migration):
    dependencies = [("search", "0007_search_match_word_pairs")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
