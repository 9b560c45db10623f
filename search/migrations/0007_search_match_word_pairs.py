"""A GIN index of the match rows' adjacent word pairs, so a phrase search reads only the entries
that hold its pairs (PostgreSQL only; SQLite has no vectors).

A phrase ("silver alginate": ``'silver' <-> 'algin'``) went through the vector's GIN index,
which knows words but not their positions: every entry with both words was a candidate whose
vector PostgreSQL then read to check the positions (4,955 candidates for 73 matches on the
100,000-post bench, 4,028 heap pages, 6-18 ms). ``search_word_pairs(vector)`` is the set of
pairs "a b" of lexemes at positions p and p + 1 in the stored vector; it is what a phrase with
``<->`` requires, so an expression index on it finds the candidates exactly.
``search_phrase_pairs(query)`` is the pairs a query requires: each ``'a' <-> 'b'`` of two plain
lexemes side by side in the query's text, only when the query has no ``!`` and no ``|`` (so
every phrase in it must match) and no backslash (its escaping is not read here); NULL when it
requires none (a single word, ``<N>`` gaps left by stop words...). A pair longer than a lexeme
may be (2,046 bytes) is left out on both sides. The phrase's own condition on the vector is
still checked on every candidate: the pairs only narrow what is read, results are unchanged.

Both functions are IMMUTABLE (they read nothing but their argument), so PostgreSQL keeps the
index in step on every insert and update of a match row with no change to the code that
writes them, and folds the query's pairs into a constant when it plans a search. The index has
the same 1 MB pending list as the vector's (0005). Building it on an existing table takes about
30 s per 100,000 entries, during which the match table takes no writes (searches go on).
"""

from django.db import migrations

INDEX = "search_match_pairs_gin"
PENDING_LIST_KB = 1024

WORD_PAIRS = r"""
CREATE OR REPLACE FUNCTION search_word_pairs(vector tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $f$
  WITH w AS (SELECT u.lexeme, p FROM unnest(vector) AS u, unnest(u.positions) AS p)
  SELECT array_to_tsvector(COALESCE(array_agg(DISTINCT a.lexeme || ' ' || b.lexeme), '{}'))
  FROM w AS a JOIN w AS b ON b.p = a.p + 1
  WHERE octet_length(a.lexeme) + octet_length(b.lexeme) < 2046
$f$
"""

# The query's text is a list of tokens: quoted lexemes (a quote inside doubled, maybe a :* or
# weight suffix), <->, <N>, !, &, |, and parentheses.
PHRASE_PAIRS = r"""
CREATE OR REPLACE FUNCTION search_phrase_pairs(query tsquery) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $f$
  WITH t AS (
    SELECT r.m[1] AS token, r.n
    FROM regexp_matches(
      query::text, '''(?:[^'']|'''')*''(?::[*A-D]+)?|<[0-9]+>|<->|[!&|()]', 'g'
    ) WITH ORDINALITY AS r(m, n)
  ), pairs AS (
    SELECT DISTINCT substr(a.token, 2, length(a.token) - 2) || ' '
      || substr(c.token, 2, length(c.token) - 2) AS pair
    FROM t AS a JOIN t AS b ON b.n = a.n + 1 AND b.token = '<->' JOIN t AS c ON c.n = a.n + 2
    WHERE a.token ~ '^''.*''$' AND c.token ~ '^''.*''$'
  )
  SELECT CASE WHEN query::text !~ '[!|\\]' THEN (
    SELECT string_agg('''' || pair || '''', ' & ' ORDER BY pair) FROM pairs
    WHERE octet_length(pair) < 2046
  )::tsquery END
$f$
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(WORD_PAIRS)
        schema_editor.execute(PHRASE_PAIRS)
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON search_searchmatch "
            f"USING gin (search_word_pairs(vector)) "
            f"WITH (gin_pending_list_limit = {PENDING_LIST_KB})"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
        schema_editor.execute("DROP FUNCTION IF EXISTS search_phrase_pairs(tsquery)")
        schema_editor.execute("DROP FUNCTION IF EXISTS search_word_pairs(tsvector)")


class Migration(migrations.Migration):
    dependencies = [("search", "0006_searchentry_thread_index_duplicate")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
