"""Import throughput and memory of ``import_stackexchange`` on a generated dump, on PostgreSQL.

Run by hand from the repository root (see bench/README.md):

    nice -n 10 .venv/bin/python bench/import_stackexchange.py [--posts 100000] [--keep]

It writes a dump of --posts posts in the published format (a question in four, answers and
comments spread over them, Users, Comments, Votes with acceptances, PostHistory with an edit in
ten posts) to a temporary folder, drops and recreates a throwaway database
(BENCH_IMPORT_DATABASE_URL, default practica_bench_importer on 127.0.0.1), migrates it, and
runs the import in this process. It prints posts per second end to end (reading, staging and
writing; comments count as posts here, as they become replies), the staging time apart, the
peak resident memory, and the memory after the first tenth of the questions against the end
(flat memory: the two are close). Only 127.0.0.1 is ever contacted. Goal (issue #12): at least
1,000 posts per second on PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import quoteattr

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

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/practica_bench_importer"
SITE = "bench.stackexchange.com"
WORDS = [
    "basil",
    "knife",
    "oven",
    "bread",
    "dough",
    "yeast",
    "butter",
    "flour",
    "sugar",
    "salt",
    "pepper",
    "garlic",
    "onion",
    "sauce",
    "simmer",
    "boil",
    "roast",
    "bake",
    "grill",
    "whisk",
    "fold",
    "knead",
    "proof",
    "rest",
    "slice",
    "dice",
    "mince",
    "sear",
    "braise",
]


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def _date(i: int) -> str:
    # About one post an hour from 2012 on: 100,000 posts span eleven years.
    seconds = 1_325_376_000 + i * 3600
    return time.strftime("%Y-%m-%dT%H:%M:%S.000", time.gmtime(seconds))


def _plan(posts: int, people: int, rng: random.Random) -> tuple[list[tuple], dict[int, int]]:
    """Each post's (id, kind, parent, owner) and each question's accepted answer."""
    plan, questions, accepted = [], [], {}
    for i in range(1, posts + 1):
        owner, kind = rng.randint(1, people), rng.random()
        if not questions or kind < 0.25:
            questions.append(i)
            plan.append((i, "question", None, owner))
        elif kind < 0.75:
            parent = rng.choice(questions[-50:])
            plan.append((i, "answer", parent, owner))
            if parent not in accepted and rng.random() < 0.3:
                accepted[parent] = i
        else:
            plan.append((i, "comment", rng.choice(questions[-50:]), owner))
    return plan, accepted


def _open(folder: Path, name: str, root: str):
    f = open(folder / f"{name}.xml", "w")  # noqa: SIM115 - closed by write_dump
    f.write(f'<?xml version="1.0" encoding="utf-8"?>\n<{root}>\n')
    return f


def write_dump(folder: Path, posts: int, seed: int = 12) -> dict:
    """Write Posts, Users, Comments, Votes and PostHistory with *posts* posts in all."""
    rng = random.Random(seed)
    people = max(10, posts // 20)
    plan, accepted = _plan(posts, people, rng)
    counts = {"questions": 0, "answers": 0, "comments": 0, "edits": 0, "accepted": len(accepted)}
    files = {
        name: _open(folder, name, root)
        for name, root in [("Posts", "posts"), ("Comments", "comments"), ("Votes", "votes"),
                           ("PostHistory", "posthistory"), ("Users", "users")]
    }  # fmt: skip
    p, c, v, h = (files[n] for n in ("Posts", "Comments", "Votes", "PostHistory"))
    for i, kind, parent, owner in plan:
        when = _date(i)
        if kind == "comment":
            text = quoteattr(_sentence(rng, 15))
            c.write(f'  <row Id="{i}" PostId="{parent}" Score="0" Text={text} '
                    f'CreationDate="{when}" UserId="{owner}" />\n')  # fmt: skip
            counts["comments"] += 1
            continue
        body = quoteattr(f"<p>{_sentence(rng, 30)}</p><pre><code>step {i}\n</code></pre>")
        if kind == "question":
            title = quoteattr(_sentence(rng, 8))
            tags = "|" + "|".join(rng.sample(WORDS, 3)) + "|"
            extra = f' AcceptedAnswerId="{accepted[i]}"' if i in accepted else ""
            p.write(f'  <row Id="{i}" PostTypeId="1" CreationDate="{when}" Score="3" '
                    f'Body={body} OwnerUserId="{owner}" Title={title} '
                    f'Tags="{tags}"{extra} />\n')  # fmt: skip
        else:
            p.write(f'  <row Id="{i}" PostTypeId="2" ParentId="{parent}" CreationDate="{when}" '
                    f'Score="1" Body={body} OwnerUserId="{owner}" />\n')  # fmt: skip
            if accepted.get(parent) == i:
                day = _date(i + 24)[:10]
                v.write(f'  <row Id="{i}" PostId="{i}" VoteTypeId="1" CreationDate="{day}" />\n')
        counts[f"{kind}s"] += 1
        if rng.random() < 0.1:
            h.write(f'  <row Id="{2 * i}" PostHistoryTypeId="2" PostId="{i}" '
                    f'CreationDate="{when}" UserId="{owner}" Text="First version {i}." />\n'
                    f'  <row Id="{2 * i + 1}" PostHistoryTypeId="5" PostId="{i}" '
                    f'CreationDate="{_date(i + 2)}" UserId="{owner}" '
                    f'Text="Edit {i}." />\n')  # fmt: skip
            counts["edits"] += 1
    u = files["Users"]
    for uid in range(1, people + 1):
        u.write(f'  <row Id="{uid}" CreationDate="2011-06-01T00:00:00.000" '
                f'DisplayName="cook {uid}" />\n')  # fmt: skip
    for name, root in [("Posts", "posts"), ("Comments", "comments"), ("Votes", "votes"),
                       ("PostHistory", "posthistory"), ("Users", "users")]:  # fmt: skip
        files[name].write(f"</{root}>\n")
        files[name].close()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--one-by-one", action="store_true", help="the per-post path (one question at a time)"
    )
    args = parser.parse_args()
    database_url = local_database_url("BENCH_IMPORT_DATABASE_URL", DEFAULT_DATABASE_URL)
    name = database_name(database_url)
    recreate_database(database_url)
    django_setup(database_url)
    from django.core.management import call_command

    from communities.models import Community
    from communities.services import community_save
    from importers.services import stackexchange_import

    call_command("migrate", verbosity=0)
    community = community_save(
        community=Community(name="Bench cooks", slug="bench-cooks", domain="Cooking")
    )
    with tempfile.TemporaryDirectory(prefix="bench-dump-") as tmp:
        folder = Path(tmp)
        started = time.monotonic()
        counts = write_dump(folder, args.posts)
        print(f"Dump: {counts} written in {time.monotonic() - started:.1f} s "
              f"({sum(f.stat().st_size for f in folder.iterdir()) / 2**20:.1f} MiB).")  # fmt: skip
        marks = {}
        total = {"n": 0, "done": 0}

        def on_total(n):
            total["n"] = n
            marks["staged"] = time.monotonic()

        def progress(step):
            total["done"] += step
            if "tenth_rss" not in marks and total["done"] >= max(1, total["n"] // 10):
                marks["tenth_rss"] = peak_rss_mib()
            if total["done"] >= total["n"]:
                marks["last_rss"] = peak_rss_mib()  # before the metrics run the import asks for

        load = os.getloadavg()[0]
        backend = backend_cpu()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        children_before = before.ru_utime + before.ru_stime
        started, cpu = time.monotonic(), time.process_time()
        outcome = stackexchange_import(
            directory=str(folder), community=community, site=SITE,
            progress=progress, on_total=on_total, bulk=not args.one_by_one,
        )  # fmt: skip
        seconds, cpu = time.monotonic() - started, time.process_time() - cpu
        backend = backend_cpu() - backend
        # The converting workers (ended and waited for by the import): their CPU as children.
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        workers_cpu = children.ru_utime + children.ru_stime - children_before
        load_end = os.getloadavg()[0]
    written = counts["questions"] + counts["answers"] + counts["comments"]
    c = outcome.report.counts
    print(f"Imported: questions {c['questions imported']:,}, answers {c['answers imported']:,}, "
          f"comments {c['comments imported']:,}, revisions {c['revisions imported']:,}, "
          f"accepts {c['accepts imported']:,}, people {c['people created']:,}.")  # fmt: skip
    print(f"Report: {len(outcome.report.lines):,} lines.")
    print(f"Path: {'per post' if args.one_by_one else 'bulk'}; load average at start "
          f"{load:.2f}, at end {load_end:.2f} (2 cores).")  # fmt: skip
    print(f"CPU: this process {cpu:.1f} s, its PostgreSQL backend {backend:.1f} s, its "
          f"converting workers {workers_cpu:.1f} s; {written / (cpu + backend):,.0f} posts per "
          f"CPU second of the process and backend (the critical path), "
          f"{written / (cpu + backend + workers_cpu):,.0f} of all three.")  # fmt: skip
    print(f"End to end: {seconds:.1f} s for {written:,} posts = {written / seconds:,.0f} posts/s "
          f"(staging {marks['staged'] - started:.1f} s); goal ≥ 1,000 posts/s.")  # fmt: skip
    print(f"Peak RSS: {peak_rss_mib():.0f} MiB; after the first tenth: "
          f"{marks.get('tenth_rss', 0):.0f} MiB; after the last question (before the metrics "
          f"run): {marks.get('last_rss', 0):.0f} MiB.")  # fmt: skip
    if not args.keep:
        from django.db import connections

        connections.close_all()
        admin_sql(database_url, f'DROP DATABASE "{name}"')


if __name__ == "__main__":
    main()
