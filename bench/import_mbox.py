"""Import throughput and memory of ``import_mbox`` on a generated archive, on PostgreSQL.

Run by hand from the repository root (see bench/README.md):

    nice -n 10 .venv/bin/python bench/import_mbox.py [--messages 5000] [--keep]

It writes an mbox of --messages messages (threads of one to nine messages by forty writers,
replies quoting the message they answer under an "On ... wrote:" line, signatures, one message
in ten HTML-only, one in twenty quoted-printable Latin-1) to a temporary file, drops and
recreates a throwaway database (BENCH_IMPORT_DATABASE_URL, default practica_bench_mbox on
127.0.0.1), migrates it, and runs the import in this process. It prints messages per second
end to end (reading, threading, parsing and writing), the time before the first write apart
(the headers pass and the threading; the bodies are parsed alongside them and the writing), the
peak resident memory, and the memory after the first tenth of the threads against the end (flat
memory: the two are close). Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as bench/<name>.py
from bench.common import (  # noqa: E402 (the repository root must be on the path first)
    admin_sql,
    backend_cpu,
    database_name,
    django_setup,
    local_database_url,
    peak_rss_mib,
    recreate_database,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/practica_bench_mbox"
WORDS = [
    "starter", "dough", "oven", "crust", "rye", "flour", "water", "salt", "knife", "stone",
    "steel", "bread", "proof", "hours", "temperature", "feed", "jar", "lid", "smell", "sour",
    "yeast", "bake", "loaf", "crumb",
]  # fmt: skip


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))).capitalize() + "."


def write_mbox(path: Path, messages: int, seed: int = 12) -> int:
    """Write *messages* messages; return the number of threads."""
    rng = random.Random(seed)
    people = [(f"Writer {i}", f"writer{i}@example.org") for i in range(40)]
    at = datetime(2015, 1, 1, tzinfo=UTC)
    # Up to ten hours between messages, less for a large archive, so that it ends within about
    # ten years (before today: the importer reports a date in the future as invalid).
    step = min(600, max(10, 2 * 10 * 525_600 // messages))
    written = threads = 0
    with open(path, "w", encoding="utf-8") as out:
        while written < messages:
            threads += 1
            size = min(rng.randint(1, 9), messages - written)
            subject = _sentence(rng)[:60].rstrip(".")
            ids: list[str] = []
            bodies: list[str] = []
            for n in range(size):
                at += timedelta(minutes=rng.randint(5, step))
                name, address = rng.choice(people)
                mid = f"{threads}.{n}.{rng.getrandbits(32):x}@example.org"
                text = "\n".join(_sentence(rng) for _ in range(rng.randint(2, 8)))
                headers = [
                    f"From: {name} <{address}>",
                    f"Date: {format_datetime(at)}",
                    f"Subject: {'Re: ' if n else ''}[bench] {subject}",
                    f"Message-ID: <{mid}>",
                ]
                if n:
                    parent = rng.randrange(n)
                    headers += [
                        f"In-Reply-To: <{ids[parent]}>",
                        f"References: {' '.join(f'<{i}>' for i in ids[: parent + 1])}",
                    ]
                    quoted = "\n".join("> " + line for line in bodies[parent].splitlines())
                    text = f"{text}\n\nOn {format_datetime(at)}, someone wrote:\n{quoted}"
                text += f"\n\n-- \n{name}\nhttps://example.org/~writer"
                if written % 10 == 9:
                    html = "".join(f"<p>{line}</p>" for line in text.splitlines())
                    headers.append("Content-Type: text/html; charset=utf-8")
                    body = html
                elif written % 20 == 7:
                    headers += [
                        "Content-Type: text/plain; charset=iso-8859-1",
                        "Content-Transfer-Encoding: quoted-printable",
                    ]
                    body = text.replace("rye", "r=E9e")
                else:
                    headers.append("Content-Type: text/plain; charset=utf-8")
                    body = text
                ids.append(mid)
                bodies.append(text.split("\n\nOn ")[0])
                stamp = at.strftime("%a %b %d %H:%M:%S %Y")
                out.write(f"From {address} {stamp}\n" + "\n".join(headers) + f"\n\n{body}\n\n")
                written += 1
    return threads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--one-by-one", action="store_true", help="the per-post path (one thread per transaction)"
    )
    args = parser.parse_args()
    database_url = local_database_url("BENCH_IMPORT_DATABASE_URL", DEFAULT_DATABASE_URL)
    name = database_name(database_url)
    recreate_database(database_url)
    django_setup(database_url)
    from django.core.management import call_command  # noqa: PLC0415

    from communities.models import Community  # noqa: PLC0415
    from communities.services import community_save  # noqa: PLC0415
    from importers.mbox_import import mbox_import  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    community = community_save(
        community=Community(name="Bench bakers", slug="bench-bakers", domain="Baking")
    )
    with tempfile.TemporaryDirectory(prefix="bench-mbox-") as tmp:
        path = Path(tmp) / "bench.mbox"
        threads = write_mbox(path, args.messages)
        print(f"Archive: {args.messages:,} messages in {threads:,} threads "
              f"({path.stat().st_size / 2**20:.1f} MiB).")  # fmt: skip
        marks = {}
        total = {"n": 0, "done": 0}

        def on_total(n):
            total["n"] = n
            marks["staged"] = time.monotonic()

        def progress(step):
            total["done"] += step
            if "tenth_rss" not in marks and total["done"] >= max(1, total["n"] // 10):
                marks["tenth_rss"] = peak_rss_mib()

        load = os.getloadavg()[0]
        backend = backend_cpu()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        children_before = before.ru_utime + before.ru_stime
        started, cpu = time.monotonic(), time.process_time()
        outcome = mbox_import(
            path=str(path), community=community, site="bench",
            progress=progress, on_total=on_total, bulk=not args.one_by_one,
        )  # fmt: skip
        seconds, cpu = time.monotonic() - started, time.process_time() - cpu
        backend = backend_cpu() - backend
        workers = resource.getrusage(resource.RUSAGE_CHILDREN)
        workers_cpu = workers.ru_utime + workers.ru_stime - children_before
        load_end = os.getloadavg()[0]
    c = outcome.report.counts
    n = c["messages imported"]
    lines = len(outcome.report.lines)
    print(f"Imported: threads {c['threads imported']:,}, messages {n:,}, "
          f"people {c['people created']:,}; report lines {lines:,}.")  # fmt: skip
    print(f"Load average at start {load:.2f}, at the end {load_end:.2f} (2 cores).")
    total_cpu = cpu + workers_cpu + backend
    print(f"CPU: this process {cpu:.1f} s, its parsing workers {workers_cpu:.1f} s, its "
          f"PostgreSQL backend {backend:.1f} s; {n / total_cpu:,.0f} messages per CPU second "
          "of all three.")  # fmt: skip
    print(f"End to end: {seconds:.1f} s for {n:,} messages = {n / seconds:,.1f} messages/s "
          f"(headers pass and threading, before the first write: "
          f"{marks['staged'] - started:.1f} s).")  # fmt: skip
    print(f"Peak RSS: {peak_rss_mib():.0f} MiB; after the first tenth: "
          f"{marks.get('tenth_rss', 0):.0f} MiB.")  # fmt: skip
    if not args.keep:
        from django.db import connections  # noqa: PLC0415

        connections.close_all()
        admin_sql(database_url, f'DROP DATABASE "{name}"')


if __name__ == "__main__":
    main()
