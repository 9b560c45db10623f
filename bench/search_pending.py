"""The match table's GIN pending list: what it costs searches, and what bounding it costs writes.

Run by hand from the repository root, after ``bench/search.py`` has built its database (see
bench/README.md):

    nice -n 10 .venv/bin/python bench/search_pending.py [--rounds 3] [--limits 4096,1024,256,off]

On the 100,000-post database of ``bench/search.py`` (BENCH_SEARCH_DATABASE_URL; only 127.0.0.1
is accepted), in a private community of its own whose entries no search of the bench finds:

- writes: batches of 1, 16 and 1,000 new entries through ``search.indexing._write`` (the COPY
  path every write takes on PostgreSQL), each in a transaction rolled back, with the GIN index
  of the match table set to each pending-list limit in turn (kB, or ``off`` for
  ``fastupdate = off``), the settings interleaved round by round. The CPU of this process and
  of its backend per write, medians, includes merging what the writes left pending (an
  overflowing insert or a vacuum does it on a live site);
- searches: the ranking statement of each of bench/search.py's queries (EXPLAIN ANALYZE, timing
  off, the minimum of 25 executions) with 0, 600 and 2,400 committed entries waiting in the
  pending list (the 4 MB default lets them all wait).

At the end its entries are deleted, the pending list merged, the tables vacuumed and the
index's own settings put back.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as bench/<name>.py
from bench.common import (  # noqa: E402 (the repository root must be on the path first)
    admin_sql,
    backend_pid,
    django_setup,
    local_database_url,
    process_cpu,
)
from bench.search import DEFAULT_DATABASE_URL, QUERIES, SLUG, _vocabulary  # noqa: E402

INDEX = "search_match_vector_gin"
PRIVATE_SLUG = "bench-search-pending"
WRITES = ((1, 200), (16, 25), (1000, 3))  # (entries a write, writes a measurement)
PENDING = (0, 600, 2400)  # entries waiting in the pending list when the searches run
EXECUTIONS = 25


def _setting(limit: str) -> str:
    if limit == "off":
        return "fastupdate = off"
    return f"fastupdate = on, gin_pending_list_limit = {int(limit)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limits", default="4096,1024,256,off")
    args = parser.parse_args()
    limits = args.limits.split(",")
    database_url = local_database_url("BENCH_SEARCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    if not admin_sql(database_url, "SELECT 1 FROM pg_database WHERE datname = %s", fetch=True):
        raise SystemExit("Run bench/search.py first: it builds the database this one uses.")
    django_setup(database_url)
    from django.contrib.auth.models import AnonymousUser  # noqa: PLC0415
    from django.db import connection, transaction  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415

    from communities.models import Community  # noqa: PLC0415
    from search import indexing, permissions, selectors  # noqa: PLC0415
    from search.backends import PostgresBackend, Scope, _page_sql  # noqa: PLC0415
    from search.models import SearchEntry  # noqa: PLC0415
    from search.text import parse_query  # noqa: PLC0415

    if not Community.objects.filter(slug=SLUG).exists():
        raise SystemExit("Run bench/search.py first: it builds the database this one uses.")
    community, _ = Community.objects.get_or_create(
        slug=PRIVATE_SLUG,
        defaults={"name": "Bench: pending list", "domain": "Wound care", "visibility": "private"},
    )
    rng = random.Random(5)
    words = _vocabulary(rng)
    cum_weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))
    object_ids = itertools.count(10**9)
    # Old, so that the searches' walk of the most recent matches never meets them.
    dated = timezone.now() - timedelta(days=3650)

    def batch(size: int) -> list:
        return [
            SearchEntry(
                kind="post", object_id=next(object_ids), community_id=community.pk, title="",
                text=" ".join(rng.choices(words, cum_weights=cum_weights, k=rng.randint(40, 120))),
                tag_names="", created_at=dated, updated_at=dated,
            )
            for _ in range(size)
        ]  # fmt: skip

    connection.ensure_connection()
    connection.connection.autocommit = True
    cursor = connection.cursor()
    pid = backend_pid()
    cursor.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")  # pgstatginindex
    cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [INDEX])
    (original,) = cursor.fetchone()

    def merge_pending() -> None:
        cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [INDEX])

    def write_cpu(size: int, repeat: int) -> float:
        batches = [batch(size) for _ in range(repeat)]
        process, backend = time.process_time(), process_cpu(pid)
        for entries in batches:
            with transaction.atomic():
                indexing._write(entries)
                transaction.set_rollback(True)
        merge_pending()  # the writes' share of merging, counted
        return (time.process_time() - process + process_cpu(pid) - backend) / repeat * 1000

    reader = AnonymousUser()
    scope = Scope(
        communities={c.pk: c for c in permissions.searchable_communities(reader).values()},
        filters=selectors.SearchFilters(),
        entries=None,
    )
    backend = PostgresBackend()
    statements = {}
    for name, (q, _) in QUERIES.items():
        parsed = parse_query(q)
        sql, params = backend._ranked_sql(scope=scope, parsed=parsed, ranked=500)
        statements[name] = (
            sql + _page_sql(first_page=True),
            [*params, *backend._page_params(parsed, 500, 0, 25)],
        )

    def execution_ms(name: str) -> float:
        sql, params = statements[name]
        best = float("inf")
        for _ in range(EXECUTIONS):
            cursor.execute("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + sql, params)
            best = min(best, cursor.fetchone()[0][0]["Execution Time"])
        return best

    print(f"Load average at the start {os.getloadavg()[0]:.2f} (2 cores).")
    try:
        for limit in limits:  # warm up
            cursor.execute(f"ALTER INDEX {INDEX} SET ({_setting(limit)})")
            write_cpu(16, 5)
        results: dict[tuple[str, int], list[float]] = {}
        for number in range(args.rounds):
            for limit in limits if number % 2 == 0 else limits[::-1]:
                cursor.execute(f"ALTER INDEX {INDEX} SET ({_setting(limit)})")
                merge_pending()
                for size, repeat in WRITES:
                    results.setdefault((limit, size), []).append(write_cpu(size, repeat))
        print(f"\nCPU per index write (this process + its backend, ms), medians of {args.rounds}:")
        print(f"  {'limit (kB)':>10}" + "".join(f" {f'{size} entries':>13}" for size, _ in WRITES))
        for limit in limits:
            medians = [statistics.median(results[limit, size]) for size, _ in WRITES]
            print(f"  {limit:>10}" + "".join(f" {value:13.2f}" for value in medians))

        print(f"\nRanking statement execution (ms, min of {EXECUTIONS}) by entries pending:")
        print(f"  {'pending':>16}" + "".join(f" {name:>9}" for name in QUERIES))
        cursor.execute(f"ALTER INDEX {INDEX} SET ({_setting('4096')})")
        merge_pending()
        written = 0
        for target in PENDING:
            while written < target:
                indexing._write(batch(16))  # committed, 16 at a time, as a live site writes
                written += 16
            cursor.execute(
                "SELECT pending_pages, pending_tuples FROM pgstatginindex(%s::regclass)", [INDEX]
            )
            pages, tuples = cursor.fetchone()
            label = f"{tuples} ({pages} pages)"
            print(
                f"  {label:>16}" + "".join(f" {execution_ms(name):9.3f}" for name in QUERIES),
                flush=True,
            )
    finally:
        SearchEntry.objects.filter(community=community).delete()
        merge_pending()
        cursor.execute(f"ALTER INDEX {INDEX} RESET (fastupdate, gin_pending_list_limit)")
        if original:
            cursor.execute(f"ALTER INDEX {INDEX} SET ({', '.join(original)})")
        cursor.execute("VACUUM ANALYZE search_searchmatch, search_searchentry")
        connection.close()
    print(f"\nLoad average at the end {os.getloadavg()[0]:.2f}.")


if __name__ == "__main__":
    main()
