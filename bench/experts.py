"""Server CPU time per request of the experts page ("who knows what") of a community with 100,000
posts, against a trivial view through the same middleware.

Run by hand from the repository root (see bench/README.md):

    .venv/bin/python bench/experts.py [--requests 30] [--rounds 3] [--rebuild] [--drop]
        [--before REF]

With ``--before REF`` (a commit, e.g. the one before the scores were stored), a copy of that
commit exported to a temporary folder serves the same database from a second gunicorn, and its
experts pages are measured in the same interleaved batches ("before" rows).

It prepares a PostgreSQL database (created and migrated if missing; --drop removes it at the
end), bulk-inserts one open community with 10,000 tagged questions of 10 posts each, starts
gunicorn with one sync worker and DEBUG off on 127.0.0.1, sends sequential requests with urllib,
and reads the worker's CPU time (and the PostgreSQL backend's) before and after each batch, the
same way as ``bench/thread_pages.py``. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.thread_pages import (  # noqa: E402 (the repository root must be on the path first)
    HOST,
    DatabaseCPU,
    ensure_database,
    fetch,
    free_port,
    measure,
    member_cookie,
    server_env,
    start_server,
    wait_until_up,
    worker_pid,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/practica_bench_experts"
SLUG = "bench-experts"
THREADS = 10_000
POSTS_PER_THREAD = 10  # the question and 9 answers: 100,000 posts
MEMBERS = 300
TAGS = 60
ITEMS = 1_000
MAX_REQUESTS = 1_000  # per batch: keeps a run bounded
GOAL = 10  # experts page ≤ 10 × the trivial view


def build_data(*, rebuild: bool):
    """Create (once) the community: tagged questions, answers with helpful votes, accepted
    answers, published items with credits. Counters are consistent with the rows."""
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import timezone

    from communities.models import Community, Membership
    from knowledge.models import Item, ItemContributor, RepertoireTag
    from knowledge.models import TaggedItem as ItemTag
    from practice.models import Post, TaggedThread, Thread, ThreadTag

    User = get_user_model()
    community = Community.objects.filter(slug=SLUG).first()
    if (
        not rebuild
        and community is not None
        and Post.objects.filter(community=community).count() == THREADS * POSTS_PER_THREAD
    ):
        return community
    if community is not None:
        community.delete()
    rng = random.Random(5)
    now = timezone.now()
    started = time.monotonic()
    with transaction.atomic():
        community = Community.objects.create(
            slug=SLUG, name="Bench: experts of 100,000 posts", domain="Wound care",
            visibility="open",
        )  # fmt: skip
        users = []
        for i in range(MEMBERS):
            user, _ = User.objects.get_or_create(username=f"bench.experts.{i}")
            users.append(user)
        Membership.objects.bulk_create(
            [Membership(community=community, user=u, state="active", joined_at=now) for u in users]
        )
        tag_names = [f"topic {i:02d}" for i in range(TAGS)]
        thread_tags = [ThreadTag.objects.get_or_create(name=n, slug=n.replace(" ", "-"))[0]
                       for n in tag_names]  # fmt: skip
        item_tags = [RepertoireTag.objects.get_or_create(name=n, slug=n.replace(" ", "-"))[0]
                     for n in tag_names]  # fmt: skip
        # Zipf-like: a few tags and a few members do most of the work, as in a real community.
        tag_weights = list(itertools.accumulate(1 / (r + 1) for r in range(TAGS)))
        user_weights = list(itertools.accumulate(1 / (r + 1) ** 0.8 for r in range(MEMBERS)))
        thread_ct = ContentType.objects.get_for_model(Thread)
        batch = 1_000  # threads per round trip: 10,000 posts
        for first in range(0, THREADS, batch):
            threads = Thread.objects.bulk_create(
                [
                    Thread(
                        community=community, kind="question", title=f"Bench question {i}",
                        author=users[i % MEMBERS], created_at=now - timedelta(minutes=i),
                        last_activity_at=now - timedelta(minutes=i),
                        answer_count=POSTS_PER_THREAD - 1,
                    )
                    for i in range(first, min(first + batch, THREADS))
                ]
            )  # fmt: skip
            posts, tagged = [], []
            for thread in threads:
                for n in range(POSTS_PER_THREAD):
                    author = rng.choices(users, cum_weights=user_weights)[0]
                    helpful = 0 if n == 0 else min(int(rng.paretovariate(1.5)) - 1, 12)
                    posts.append(
                        Post(
                            thread=thread, community=community, author=author,
                            is_opening=n == 0, is_answer=n > 0, body="An answer.",
                            body_html="<p>An answer.</p>", helpful_count=helpful,
                            created_at=thread.created_at + timedelta(seconds=n),
                        )
                    )  # fmt: skip
                for tag in {rng.choices(thread_tags, cum_weights=tag_weights)[0]
                            for _ in range(rng.randint(1, 3))}:  # fmt: skip
                    tagged.append(
                        TaggedThread(tag=tag, content_type=thread_ct, object_id=thread.pk)
                    )
            Post.objects.bulk_create(posts)
            TaggedThread.objects.bulk_create(tagged)
            print(f"  inserted {len(posts) + first * POSTS_PER_THREAD:,} posts", flush=True)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE practice_thread t SET opening_post_id = p.id FROM practice_post p "
                "WHERE p.thread_id = t.id AND p.is_opening AND t.community_id = %s",
                [community.pk],
            )
            # Four questions in ten have an accepted answer: the most helpful one.
            cursor.execute(
                "UPDATE practice_thread t SET accepted_post_id = best.id, accepted_at = now() "
                "FROM (SELECT DISTINCT ON (thread_id) id, thread_id FROM practice_post "
                "      WHERE community_id = %s AND is_answer"
                "      ORDER BY thread_id, helpful_count DESC, id) best"
                " WHERE best.thread_id = t.id AND t.id %% 10 < 4",
                [community.pk],
            )
            cursor.execute(
                "UPDATE practice_thread t SET helpful_count = s.n FROM (SELECT thread_id, "
                "sum(helpful_count) n FROM practice_post WHERE community_id = %s "
                "GROUP BY thread_id) s WHERE s.thread_id = t.id",
                [community.pk],
            )
        item_ct = ContentType.objects.get_for_model(Item)
        items = Item.objects.bulk_create(
            [
                Item(
                    community=community, kind="tool", title=f"Bench item {i}", summary="s",
                    state="published", proposed_by=users[i % MEMBERS], created_at=now,
                    updated_at=now, published_at=now,
                )
                for i in range(ITEMS)
            ]
        )  # fmt: skip
        ItemTag.objects.bulk_create(
            [
                ItemTag(tag=rng.choices(item_tags, cum_weights=tag_weights)[0],
                        content_type=item_ct, object_id=item.pk)
                for item in items
            ]
        )  # fmt: skip
        credits = []
        for item in items:
            author = rng.choices(users, cum_weights=user_weights)[0]
            credits.append(ItemContributor(item=item, user=author, role="author", added_at=now))
            editor = rng.choices(users, cum_weights=user_weights)[0]
            if editor != author:
                credits.append(ItemContributor(item=item, user=editor, role="editor", added_at=now))
        ItemContributor.objects.bulk_create(credits)
    print(f"Built the benchmark data in {time.monotonic() - started:.0f} s.", flush=True)
    return community


def start_server_in(env: dict, port: int, root: str) -> subprocess.Popen:
    """gunicorn as ``start_server`` starts it, serving the code in *root*."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    return subprocess.Popen(
        [
            str(gunicorn), "config.wsgi:application", "--no-control-socket",
            "--workers", "1", "--worker-class", "sync", "--bind", f"{HOST}:{port}",
            "--chdir", root, "--log-level", "warning",
        ],
        env=env,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=30, help="requests per batch")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved batches (median kept)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the benchmark data")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument(
        "--before", metavar="REF", help="also measure the pages of this commit (same database)"
    )
    args = parser.parse_args()
    n = max(5, min(args.requests, MAX_REQUESTS))
    database_url = os.environ.get("BENCH_EXPERTS_DATABASE_URL", DEFAULT_DATABASE_URL)
    if urlparse(database_url).hostname not in (HOST, "localhost"):
        raise SystemExit("The benchmark only talks to a database on 127.0.0.1.")
    db_name = urlparse(database_url).path.lstrip("/")

    env = server_env(database_url)
    os.environ.update(env)  # this process prepares the data with the server's settings
    ensure_database(database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections
    from django.urls import reverse

    from communities.models import Membership

    call_command("migrate", verbosity=0)
    community = build_data(rebuild=args.rebuild)
    from knowledge.models import TagExpertScore

    if args.rebuild or not TagExpertScore.objects.filter(community=community).exists():
        started = time.monotonic()
        call_command("experts_fill")  # the bulk insert held no listener
        print(f"Filled the stored expert scores in {time.monotonic() - started:.1f} s.")
    call_command("experts_fill", "--check")  # the stored page equals the aggregates
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    member = Membership.objects.filter(community=community).order_by("pk").first().user
    cookie = member_cookie(member)
    connections.close_all()

    port = free_port()
    base = f"http://{HOST}:{port}"
    experts = reverse("knowledge:experts", args=[SLUG])
    pages = {
        "trivial": "/bench/trivial/",
        "experts": experts,
        "one tag": experts + "?tag=topic+00",
    }
    before_dir = None
    if args.before:
        before_dir = tempfile.TemporaryDirectory(prefix="experts_before_")
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.before], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", before_dir.name], input=archive, check=True)
        before_port = free_port()
        before_env = {**env, "PYTHONPATH": before_dir.name}
        before_server = start_server_in(before_env, before_port, before_dir.name)
        pages["experts before"] = f"http://{HOST}:{before_port}{experts}"
        pages["one tag before"] = pages["experts before"] + "?tag=topic+00"
    server = start_server(env, port)
    results: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    viewers = {"member": cookie, "anonymous": None}
    try:
        wait_until_up(base, server)
        pid = worker_pid(server.pid)
        pids = dict.fromkeys(pages, pid)
        if args.before:
            wait_until_up(f"http://{HOST}:{before_port}", before_server)
            pids["experts before"] = pids["one tag before"] = worker_pid(before_server.pid)
        db = DatabaseCPU(database_url)
        for viewer_cookie in viewers.values():
            for name, path in pages.items():
                url = path if path.startswith("http") else base + path
                body = fetch(url, viewer_cookie)  # warm up; sanity checks
                if name != "trivial" and b"topic 00" not in body:
                    raise SystemExit(f"{path} does not list the tag 'topic 00'")
                for _ in range(2):
                    fetch(url, viewer_cookie)
        for _ in range(max(3, args.rounds)):
            for viewer, viewer_cookie in viewers.items():
                for name, path in pages.items():
                    # The trivial view is cheap: more requests keep the 10 ms clock precise.
                    count = min(n * 20, MAX_REQUESTS) if name == "trivial" else n
                    url = path if path.startswith("http") else base + path
                    results.setdefault((viewer, name), []).append(
                        measure(pids[name], db, url, viewer_cookie, count)
                    )
        db.conn.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        if args.before:
            before_server.terminate()
            before_server.wait(timeout=30)
            before_dir.cleanup()
    load = os.getloadavg()
    if args.drop:
        import psycopg2

        conn = psycopg2.connect(host=HOST, port=urlparse(database_url).port or 5432,
                                user="postgres", dbname="postgres")  # fmt: skip
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE "{db_name}"')
        conn.close()
        print(f"Dropped the benchmark database {db_name}.")

    rounds = max(3, args.rounds)
    print(
        f"\n{THREADS * POSTS_PER_THREAD:,} posts ({THREADS:,} questions, {TAGS} tags, "
        f"{MEMBERS} members, {ITEMS:,} items) in one open community."
    )
    print(
        f"{n} sequential requests per batch ({min(n * 20, MAX_REQUESTS)} for the trivial view), "
        f"{rounds} interleaved batches per page, median kept; gunicorn, 1 sync worker, DEBUG off."
    )
    print(f"Load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}. Per request, ms:\n")
    print(f"{'viewer':<10} {'page':<15} {'worker':>8} {'postgres':>9} {'both':>8} {'wall':>8}")
    med: dict[tuple[str, str], tuple[float, float, float]] = {}
    for (viewer, name), samples in results.items():
        med[viewer, name] = tuple(statistics.median(s[i] for s in samples) for i in range(3))
        worker, database, wall = med[viewer, name]
        print(
            f"{viewer:<10} {name:<15} {worker * 1000:8.2f} {database * 1000:9.2f} "
            f"{(worker + database) * 1000:8.2f} {wall * 1000:8.2f}"
        )
    print("\nRatios to the trivial view (worker CPU; worker + PostgreSQL CPU; wall):")
    for viewer in viewers:
        trivial = med[viewer, "trivial"]
        for name in [p for p in pages if p != "trivial"]:
            worker, database, wall = med[viewer, name]
            ratio = worker / trivial[0]
            both = (worker + database) / (trivial[0] + trivial[1])
            verdict = "meets" if max(ratio, both) <= GOAL else "MISSES"
            print(
                f"  {viewer:<10} {name:<15} {ratio:7.2f}; {both:7.2f}; {wall / trivial[2]:7.2f}"
                f"  ({verdict} the goal of <= {GOAL})"
            )


if __name__ == "__main__":
    main()
