"""The search index's write of a batch on PostgreSQL: the ORM's upsert against COPY, by size.

Run by hand from the repository root (see bench/README.md):

    nice -n 10 .venv/bin/python bench/search_write.py [--rounds 15]

It drops and recreates a throwaway database (BENCH_SEARCH_WRITE_DATABASE_URL, default
practica_bench_search_write on 127.0.0.1), migrates it, and writes batches of new entries of
1, 2, 4, 16 and 1,000 entries through ``search.indexing._write`` by either path (chosen with
``COPY_MIN_ENTRIES``), each write in a transaction rolled back afterwards so every write meets
the same table. Batches of each path alternate; it prints, per size, the median CPU of this
process and of its PostgreSQL backend per write and the ratio ORM / COPY, with the load average.
Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as bench/<name>.py
from bench.common import (  # noqa: E402 (the repository root must be on the path first)
    admin_sql,
    database_name,
    django_setup,
    local_database_url,
    process_cpu,
    recreate_database,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/practica_bench_search_write"
SIZES = [1, 2, 4, 16, 1000]
WORDS = [
    "dough",
    "oven",
    "proof",
    "crumb",
    "starter",
    "hydration",
    "flour",
    "knead",
    "bake",
    "crust",
    "rye",
    "salt",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    database_url = local_database_url("BENCH_SEARCH_WRITE_DATABASE_URL", DEFAULT_DATABASE_URL)
    name = database_name(database_url)
    recreate_database(database_url)
    django_setup(database_url)
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import connection, transaction  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415

    from communities.models import Community  # noqa: PLC0415
    from communities.services import community_save  # noqa: PLC0415
    from search import indexing  # noqa: PLC0415
    from search.models import SearchEntry  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    community = community_save(community=Community(name="Bench", slug="bench", domain="Baking"))
    rng = random.Random(7)
    next_id = iter(range(1, 10**9))

    def batch(size: int) -> list:
        now = timezone.now()
        return [
            SearchEntry(
                kind="post",
                object_id=next(next_id),
                community_id=community.pk,
                title=" ".join(rng.choices(WORDS, k=8)),
                text=" ".join(rng.choices(WORDS, k=120)),
                tag_names="|rye|starter|",
                created_at=now,
                updated_at=now,
            )
            for _ in range(size)
        ]

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]

    def timed(threshold: int, size: int, repeat: int) -> float:
        indexing.COPY_MIN_ENTRIES = threshold
        batches = [batch(size) for _ in range(repeat)]
        cpu, backend = time.process_time(), process_cpu(pid)
        for entries in batches:
            with transaction.atomic():
                indexing._write(entries)
                transaction.set_rollback(True)
        spent = time.process_time() - cpu + process_cpu(pid) - backend
        return spent / repeat * 1000

    load = os.getloadavg()[0]
    print(f"Load average at start {load:.2f} (2 cores); {args.rounds} rounds, medians.")
    print(f"{'entries':>8} {'ORM ms':>9} {'COPY ms':>9} {'ORM/COPY':>9}  (CPU per write)")
    for size in SIZES:
        repeat = max(3, 400 // size)
        timed(10**9, size, repeat), timed(1, size, repeat)  # warm up both paths
        orm, copy = [], []
        for number in range(args.rounds):
            # Alternate which path goes first, so neither always follows the other.
            order = [(10**9, orm), (1, copy)] if number % 2 == 0 else [(1, copy), (10**9, orm)]
            for threshold, results in order:
                results.append(timed(threshold, size, repeat))
        orm_ms, copy_ms = statistics.median(orm), statistics.median(copy)
        print(f"{size:>8} {orm_ms:>9.2f} {copy_ms:>9.2f} {orm_ms / copy_ms:>9.2f}")
    print(f"Load average at the end {os.getloadavg()[0]:.2f}.")
    connection.close()
    admin_sql(database_url, f'DROP DATABASE IF EXISTS "{name}"')


if __name__ == "__main__":
    main()
