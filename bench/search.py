"""Search time on a community with 100,000 posts, against a count(*) scan of the posts table and
against the same search done with icontains, on PostgreSQL.

Run by hand from the repository root (see bench/README.md):

    .venv/bin/python bench/search.py [--repeat 15] [--rebuild] [--drop]

It uses a throwaway PostgreSQL database (created and migrated if missing; --drop removes it at
the end), bulk-inserts one community with 10,000 threads of 10 posts each, indexes it with the
project's own ``rebuild_search_index`` code, runs VACUUM ANALYZE, then times in this process:

- search: what the search page does for one query (the reader's communities read once, the
  match rows of those communities matched with websearch_to_tsquery, the most recent 500 of
  them ranked with ts_rank, the count, the first page's entries with their snippet sources:
  one statement on PostgreSQL; then the hits with their snippets), and the part of it spent
  executing SQL; and, in one more run per round, the CPU it used in this process and in its
  PostgreSQL backend (read from /proc);
- scan: ``SELECT count(*) FROM practice_post``, as planned (an index-only scan) and forced to
  read the table (a sequential scan);
- icontains: the same words, each ``body__icontains`` on the community's visible posts, with
  the count and the first page of the most recent.

Each measurement is repeated and interleaved; medians are printed, then the ratios. The goal
(search ≤ 0.1 × "a count(*) scan of the posts table") is checked against count(*) reading the
table; the planner's index-only count is printed for reference. Only
127.0.0.1 is ever contacted.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as bench/search.py
from bench.common import (  # noqa: E402 (the repository root must be on the path first)
    admin_sql,
    backend_pid,
    database_name,
    django_setup,
    local_database_url,
    process_cpu,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/practica_bench_search"
SLUG = "bench-search"
THREADS = 10_000
POSTS_PER_THREAD = 10  # the opening post and 9 replies: 100,000 posts
GOAL = 0.1  # search ≤ 0.1 × the count(*) scan

# Real words of the domain, used at every frequency, and made-up ones for a long vocabulary
# tail (a real community's vocabulary has thousands of rare words).
_DOMAIN_WORDS = """
wound dressing foam silicone exudate compression bandage ulcer venous arterial doppler
periwound maceration barrier film slough debridement granulation epithelial infection
antibiotic swab culture biofilm honey iodine silver alginate hydrocolloid hydrogel
pressure heel sacrum offloading mattress turning nutrition protein albumin diabetes glucose
neuropathy footwear podiatry amputation oedema lymphoedema elevation mobility pain
analgesia change frequency documentation photograph measurement ruler tracing
assessment reassessment referral clinic community district nurse specialist tissue viability
consultant surgeon vascular dermatology eczema cellulitis erythema odour leakage strikethrough
border adhesive skin tear fragile elderly patient carer family consent education leaflet
protocol guideline audit evidence trial study outcome healing rate week month review
"""
DOMAIN_WORDS = _DOMAIN_WORDS.split()
QUERIES = {
    # name: (query, what it shows)
    "rare": ("tourniquet", "one rare word (~0.1% of posts)"),
    "uncommon": ("lymphoedema elevation", "two uncommon words, both required"),
    "phrase": ('"silver alginate"', "a quoted phrase"),
    "common": ("dressing", "one common word (~20% of posts)"),
    "mixed": ("compression bandage -silver", "two words and an exclusion"),
}


def ensure_database(database_url: str) -> None:
    """Create the benchmark database if it does not exist yet."""
    if not admin_sql(database_url, "SELECT 1 FROM pg_database WHERE datname = %s", fetch=True):
        name = database_name(database_url)
        admin_sql(database_url, f'CREATE DATABASE "{name}"')
        print(f"Created database {name}.")


# --- data ------------------------------------------------------------------------------------


def _vocabulary(rng: random.Random) -> list[str]:
    syllables = ["ka", "lo", "mi", "ne", "tu", "ra", "si", "po", "de", "va", "ri", "shu", "bel"]
    made_up = {
        "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(6_000)
    }
    # Common words first: with Zipf-like weights the head of the list is used the most.
    return (
        ["the", "and", "of", "a", "to", "we", "it", "is", "for", "with"]
        + DOMAIN_WORDS
        + sorted(made_up)
    )


def _body(rng: random.Random, words: list[str], cum_weights: list[float]) -> str:
    chosen = rng.choices(words, cum_weights=cum_weights, k=rng.randint(40, 120))
    if rng.random() < 0.001:
        chosen.insert(rng.randrange(len(chosen)), "tourniquet")
    return " ".join(chosen).capitalize() + "."


def build_data(*, rebuild: bool):
    """Create (once) the community with 100,000 posts and index it."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from communities.models import Community, Membership
    from practice.models import Post, Thread
    from search import indexing
    from search.models import SearchEntry

    User = get_user_model()
    community = Community.objects.filter(slug=SLUG).first()
    total = THREADS * POSTS_PER_THREAD
    if (
        not rebuild
        and community is not None
        and Post.objects.filter(community=community).count() == total
        and SearchEntry.objects.filter(community=community, kind__in=["thread", "post"]).count()
        == total
    ):
        return community
    if community is not None:  # an interrupted build: start again
        Community.objects.filter(slug=SLUG).delete()
    rng = random.Random(11)
    words = _vocabulary(rng)
    weights = [1 / (rank + 1) for rank in range(len(words))]
    # "dressing" is a common word in this community (about one post in five).
    weights[words.index("dressing")] = 1 / 40
    cum_weights = list(itertools.accumulate(weights))
    now = timezone.now()
    started = time.monotonic()
    with transaction.atomic():
        community = Community.objects.create(
            slug=SLUG, name="Bench: 100,000 posts", domain="Wound care", visibility="open"
        )
        users = []
        for i in range(100):
            user, _ = User.objects.get_or_create(username=f"bench.search.{i}")
            users.append(user)
        Membership.objects.bulk_create(
            [Membership(community=community, user=u, state="active", joined_at=now) for u in users]
        )
        batch = 1_000  # threads per round trip: 10,000 posts
        for first in range(0, THREADS, batch):
            threads = Thread.objects.bulk_create(
                [
                    Thread(
                        community=community, kind="question",
                        title=" ".join(rng.choices(words[10:400], k=6)).capitalize() + "?",
                        author=users[i % 100], created_at=now - timedelta(minutes=i),
                        last_activity_at=now - timedelta(minutes=i),
                    )
                    for i in range(first, min(first + batch, THREADS))
                ]
            )  # fmt: skip
            posts = []
            for thread in threads:
                for n in range(POSTS_PER_THREAD):
                    body = _body(rng, words, cum_weights)
                    posts.append(
                        Post(
                            thread=thread, community=community, author=users[(thread.pk + n) % 100],
                            is_opening=n == 0, is_answer=n > 0, body=body,
                            body_html=f"<p>{body}</p>",
                            created_at=thread.created_at + timedelta(seconds=n),
                        )
                    )  # fmt: skip
            Post.objects.bulk_create(posts)
            print(
                f"  inserted {min(first + batch, THREADS) * POSTS_PER_THREAD:,} posts", flush=True
            )
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE practice_thread t SET opening_post_id = p.id FROM practice_post p "
                "WHERE p.thread_id = t.id AND p.is_opening AND t.community_id = %s",
                [community.pk],
            )
    print(f"Inserted {total:,} posts in {time.monotonic() - started:.0f} s.", flush=True)
    started = time.monotonic()
    entries = indexing.rebuild(
        communities=[community],
        log=lambda line: print(line, flush=True) if "/" not in line or "000/" in line else None,
    )
    print(f"Indexed {entries:,} entries in {time.monotonic() - started:.0f} s.", flush=True)
    return community


def vacuum_analyze() -> None:
    from django.db import connection

    connection.ensure_connection()
    autocommit = connection.connection.autocommit
    connection.connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # every table: the planner needs all the statistics
    finally:
        connection.connection.autocommit = autocommit


# --- measurements ----------------------------------------------------------------------------


def run_search(new_reader, q: str) -> tuple[int, list]:
    """What the search page does for *q*: count, first page ranked, headlines, hits.

    The reader is made anew each time, as each request loads its user: search.permissions
    keeps the reader's communities on the user object, so each search reads them once, as
    the page does (its form and its search share that one query).
    """
    from django.core.paginator import Paginator

    from search import selectors

    user = new_reader()
    outcome = selectors.search(user=user, q=q, filters=selectors.SearchFilters(), page="1")
    page = Paginator(outcome.paginatable(), 25).get_page(1)
    return page.paginator.count, selectors.hits(page.object_list, outcome)


class SQLClock:
    """Time spent executing SQL (database work and the driver), apart from Python."""

    def __init__(self):
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def run_search_sql(user, q: str) -> float:
    """The SQL part of ``run_search`` alone: seconds spent executing its queries."""
    from django.db import connection

    clock = SQLClock()
    with connection.execute_wrapper(clock):
        run_search(user, q)
    return clock.seconds


def run_scan() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM practice_post")
        return cursor.fetchone()[0]


def run_seq_scan() -> int:
    """count(*) read from the table itself (PostgreSQL would rather use a small index)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        for setting in ("enable_indexonlyscan", "enable_indexscan", "enable_bitmapscan"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute("SELECT count(*) FROM practice_post")
        return cursor.fetchone()[0]


def run_icontains(community, q: str) -> tuple[int, list]:
    """The same search with icontains: every word in the body (an exclusion: not in it)."""
    from django.core.paginator import Paginator

    from practice.models import Post

    posts = Post.objects.filter(community=community, is_hidden=False, thread__is_hidden=False)
    phrase = q.startswith('"')
    for word in [q.strip('"')] if phrase else q.split():
        if word.startswith("-"):
            posts = posts.exclude(body__icontains=word[1:])
        else:
            posts = posts.filter(body__icontains=word)
    page = Paginator(posts.order_by("-created_at", "-pk"), 25).get_page(1)
    return page.paginator.count, list(page.object_list)


class CPUClock:
    """CPU seconds used by this process and by its PostgreSQL backend (from /proc, in clock
    ticks: summed over many runs, not one): a loaded machine stretches wall times, much less
    these."""

    def __init__(self):
        self.pid = backend_pid()
        self.process = self.backend = 0.0

    def run(self, fn, *args):
        process, backend = time.process_time(), process_cpu(self.pid)
        result = fn(*args)
        self.process += time.process_time() - process
        self.backend += process_cpu(self.pid) - backend
        return result


def timed(fn, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


def scan_plan() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN SELECT count(*) FROM practice_post")
        lines = [row[0] for row in cursor.fetchall()]
    scans = [line.strip().lstrip("-> ").split("  ")[0] for line in lines if "Scan" in line]
    return scans[0] if scans else lines[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15, help="timings per measurement")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the benchmark data")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    args = parser.parse_args()
    repeat = max(3, min(args.repeat, 200))
    database_url = local_database_url("BENCH_SEARCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    # The database's own name, kept apart from the loop variables below (a loop over the
    # queries once reused "name", so --drop dropped a database named after the last query).
    db_name = database_name(database_url)
    if args.rebuild and admin_sql(
        database_url, "SELECT 1 FROM pg_database WHERE datname = %s", fetch=True
    ):
        admin_sql(database_url, f'DROP DATABASE "{db_name}"')  # faster than deleting 200,000 rows
        print(f"Dropped database {db_name}.")
    ensure_database(database_url)
    django_setup(database_url)
    from django.conf import settings
    from django.contrib.auth.models import AnonymousUser
    from django.core.management import call_command
    from django.db import connection

    from search.backends import get_backend
    from search.models import SearchEntry
    from search.selectors import MAX_RANKED
    from search.text import parse_query

    call_command("migrate", verbosity=0)
    community = build_data(rebuild=args.rebuild)
    vacuum_analyze()
    reader = AnonymousUser  # an open community: the permission filter still applies

    samples: dict[str, list[float]] = {"scan": [], "seq_scan": []}
    try:  # one more search per query and round, its CPU counted (a local server only)
        clocks = {name: CPUClock() for name in QUERIES}
        process_cpu(clocks["rare"].pid)  # /proc is readable: the server is on this machine
    except OSError:
        clocks = {}
    counts: dict[str, tuple[int, int]] = {}
    for name, (q, _) in QUERIES.items():  # warm up, and check both ways agree on the size
        run_search(reader, q)
        found = get_backend().filter(SearchEntry.objects.all(), parse_query(q)).count()
        plain, _ = run_icontains(community, q)
        counts[name] = (found, plain)
    run_scan()
    for _ in range(repeat):
        samples["scan"].append(timed(run_scan)[0])
        samples["seq_scan"].append(timed(run_seq_scan)[0])
        for name, (q, _) in QUERIES.items():
            samples.setdefault(f"search:{name}", []).append(timed(run_search, reader, q)[0])
            if name in clocks:
                clocks[name].run(run_search, reader, q)
            samples.setdefault(f"sql:{name}", []).append(run_search_sql(reader, q))
            samples.setdefault(f"icontains:{name}", []).append(
                timed(run_icontains, community, q)[0]
            )
    connection.close()
    if args.drop:
        admin_sql(database_url, f'DROP DATABASE "{db_name}"')
        print(f"Dropped the benchmark database {db_name}.")

    med = {key: statistics.median(values) for key, values in samples.items()}
    posts = THREADS * POSTS_PER_THREAD
    print(
        f"\n{posts:,} posts in one open community ({THREADS:,} threads), PostgreSQL, "
        f"SEARCH_LANGUAGE={settings.SEARCH_LANGUAGE!r}, reader: anonymous."
    )
    load = os.getloadavg()
    print(
        f"Median of {repeat} interleaved runs each, in this process (ms); load average at the "
        f"end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}.\n"
    )
    print(
        f"  count(*) of practice_post, planner's choice ({scan_plan()}): {med['scan'] * 1000:.2f}"
    )
    print(f"  count(*) of practice_post from the table (Seq Scan): {med['seq_scan'] * 1000:.2f}\n")
    print(
        f"  {'query':<30} {'matches':>7} {'icontains':>9} {'search':>7} {'its SQL':>7}"
        f" {'icontains':>9} {'÷ scan':>7} {'SQL ÷ scan':>10} {'÷ seq scan':>10} {'÷ icontains':>11}"
    )
    search_all, sql_all, icontains_all = [], [], []
    for name, (q, _) in QUERIES.items():
        s, i, sql = med[f"search:{name}"], med[f"icontains:{name}"], med[f"sql:{name}"]
        search_all += samples[f"search:{name}"]
        sql_all += samples[f"sql:{name}"]
        icontains_all += samples[f"icontains:{name}"]
        found, plain = counts[name]
        print(
            f"  {q:<30} {found:>7,} {plain:>9,} {s * 1000:7.2f} {sql * 1000:7.2f}"
            f" {i * 1000:9.2f} {s / med['scan']:7.3f} {sql / med['scan']:10.3f}"
            f" {s / med['seq_scan']:10.3f} {s / i:11.3f}"
        )
    if clocks:
        print(f"\n  CPU per search, mean of {repeat} more runs (ms): this process / its backend")
        for name, (q, _) in QUERIES.items():
            clock = clocks[name]
            print(
                f"  {q:<30} {clock.process / repeat * 1000:7.2f} / "
                f"{clock.backend / repeat * 1000:.2f}"
            )
    search_median = statistics.median(search_all)
    icontains_median = statistics.median(icontains_all)
    sql_median = statistics.median(sql_all)
    print(
        f"\n  all queries: median search {search_median * 1000:.2f} ms (its SQL "
        f"{sql_median * 1000:.2f} ms), median icontains {icontains_median * 1000:.2f} ms"
    )
    # The goal's denominator: the issue asks for "a count(*) scan of the posts table", that is
    # count(*) reading the table (a Seq Scan). PostgreSQL's own plan for count(*) on a vacuumed
    # table reads a small index instead (an index-only scan of practice_post's narrowest index),
    # which is not a scan of the table: that ratio is printed too, for reference only.
    goal = search_median / med["seq_scan"]
    print(
        f"  search ÷ count(*) Seq Scan of the table      = {goal:.3f}  "
        f"<- the goal (<= {GOAL}): {'MET' if goal <= GOAL else 'MISSED'}"
    )
    print(
        f"  search ÷ count(*) planner's index-only scan  = {search_median / med['scan']:.3f}  "
        "(reference: not a scan of the table)"
    )
    print(
        f"  search's SQL ÷ count(*) Seq Scan             = {sql_median / med['seq_scan']:.3f}  "
        f"(reference: without Python); ÷ index-only scan = {sql_median / med['scan']:.3f}"
    )
    print(f"  search ÷ icontains                         = {search_median / icontains_median:.3f}")
    print(
        "\n(Matches differ a little: full-text search stems words, also matches titles and tags, "
        "and indexes opening posts as their thread. Search ranks the most recent "
        f"{MAX_RANKED} matches at most.)"
    )


if __name__ == "__main__":
    main()
