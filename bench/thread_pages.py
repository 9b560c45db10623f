"""Server CPU time per request of the thread page and the thread lists, against a trivial view.

Run by hand from the repository root (see bench/README.md):

    .venv/bin/python bench/thread_pages.py [--requests 100] [--rounds 3] [--rebuild]

It prepares a PostgreSQL database (created and migrated if missing), starts gunicorn with one
sync worker and DEBUG off on 127.0.0.1, sends sequential requests with urllib, and reads the
worker's CPU time (utime + stime from /proc/<pid>/stat) before and after each batch. Only
127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/practica_bench"
BIG_THREADS = 100_000
ANSWERS = 50
LONG_POSTS = 1_000  # the long thread: 1,000 answers and replies after its question
MAX_REQUESTS = 2_000  # per batch: keeps a run bounded
ANSWERS_SLUG, BIG_SLUG = "bench-answers", "bench-big"
# Goals of issue #10 (the thread page's by viewer, the list's) and of the earlier list issue.
GOALS = {
    ("anonymous", "thread"): 8,
    ("member", "thread"): 12,
    "list": 10,
    "page_1000": 3,
    "long": 1.5,
    "long_last": 1.5,
}
# The API's thread detail (JSON, the first 50 posts) ÷ trivial: at most the HTML thread page's
# own ratio (issue #14); checked against the measured HTML ratio, not a fixed number.
API_GOAL_BASE = "thread"

BODY = """Two things stand out from what you describe.

1. Manage the exudate first: a superabsorbent under the compression buys you time.
2. Protect the periwound skin with a barrier film at every change.
3. Repeat the Doppler if the last one is more than three months old.

We logged it like this, so the next nurse can compare:

```text
week  size (cm)  exudate  pain
1     4.2 x 3.1  heavy    6/10
4     3.0 x 2.2  moderate 3/10
```

Happy to share our checklist if it helps, @bench.member.1."""


def server_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789abcdef",
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        # One database connection for the whole run, so its backend's CPU can be read too.
        "DATABASE_CONN_MAX_AGE": "3600",
        "PYTHONPATH": str(ROOT),
    }


def ensure_database(database_url: str) -> None:
    """Create the benchmark database if it does not exist yet."""
    import psycopg2

    url = urlparse(database_url)
    name = url.path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"Refusing an unusual database name: {name!r}")
    conn = psycopg2.connect(
        host=url.hostname, port=url.port or 5432, user=url.username or "postgres",
        password=url.password, dbname="postgres",
    )  # fmt: skip
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
            print(f"Created database {name}.")
    conn.close()


# --- data ------------------------------------------------------------------------------------


def _members(community, users, joined):
    from communities.models import Membership

    Membership.objects.bulk_create(
        [
            Membership(
                community=community, user=u, role=Membership.Role.MEMBER,
                state=Membership.State.ACTIVE, joined_at=joined,
            )
            for u in users
        ],
        ignore_conflicts=True,
    )  # fmt: skip


def build_data(*, rebuild: bool) -> dict:
    """Create (once) a community with a 50-answer thread and one with 100,000 threads."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from communities import services as community_services
    from communities.models import Community
    from core.markdown import render_markdown
    from practice.models import Post, Thread
    from practice.services import endorsements
    from practice.services import threads as thread_services

    User = get_user_model()
    if rebuild:
        Community.objects.filter(slug__in=[ANSWERS_SLUG, BIG_SLUG]).delete()
    answers_community = Community.objects.filter(slug=ANSWERS_SLUG).first()
    big = Community.objects.filter(slug=BIG_SLUG).first()
    if answers_community and big and Thread.objects.filter(community=big).count() == BIG_THREADS:
        thread = Thread.objects.filter(community=answers_community, answer_count=ANSWERS).first()
        member = User.objects.get(username="bench.member.0")
        return {"thread": thread, "member": member, "long": build_long_thread(answers_community)}

    Community.objects.filter(slug__in=[ANSWERS_SLUG, BIG_SLUG]).delete()
    now = timezone.now()
    started = time.monotonic()
    with transaction.atomic():
        admin, _ = User.objects.get_or_create(
            username="bench.admin", defaults={"is_staff": True, "is_superuser": True}
        )
        users = []
        for i in range(200):
            user, _ = User.objects.get_or_create(
                username=f"bench.member.{i}",
                defaults={"first_name": f"Member {i}", "email": f"member{i}@bench.test"},
            )
            community_services.profile_for(user)
            users.append(user)
        answers_community = community_services.community_save(
            community=Community(
                slug=ANSWERS_SLUG,
                name="Bench: a long thread",
                visibility="open",
                domain="Wound care",
                about="A community with one long thread.",
            ),  # fmt: skip
            by=admin,
        )
        big = community_services.community_save(
            community=Community(
                slug=BIG_SLUG,
                name="Bench: 100,000 threads",
                visibility="open",
                domain="Everything",
                about="A community with a very long list.",
            ),  # fmt: skip
            by=admin,
        )
        for community in (answers_community, big):
            _members(community, users, now - timedelta(days=400))

        # The long thread, through the services: 50 answers, some votes, an accepted answer.
        rng = random.Random(7)
        for i in range(60):  # a full first page of the list
            thread_services.thread_create(
                community=answers_community, author=users[i % 40], kind="question",
                title=f"Dressing choice for a sloughy wound, case {i}", body=BODY,
                tags=["dressings", "leg ulcers"],
            )  # fmt: skip
        thread = thread_services.thread_create(
            community=answers_community, author=users[0], kind="question",
            title="Venous leg ulcer not healing under compression", body=BODY,
            tags=["compression", "leg ulcers"],
        )  # fmt: skip
        posts = [
            thread_services.post_create(thread=thread, author=users[i + 1], body=BODY)
            for i in range(ANSWERS)
        ]
        for post in posts:
            for voter in rng.sample(users[60:120], k=rng.randint(0, 4)):
                endorsements.vote_toggle(post=post, voter=voter)
        endorsements.answer_accept(answer=posts[7], by=users[0])
        endorsements.adoption_report(post=posts[7], member=users[150], worked=True)

        # The big community: bulk rows with consistent counters (no replies, no votes).
        body_html = render_markdown(BODY)
        kinds = ["question", "discussion", "story"]
        batch = 5_000  # rows per INSERT round trip
        for first in range(0, BIG_THREADS, batch):
            threads = Thread.objects.bulk_create(
                [
                    Thread(
                        community=big, kind=kinds[i % 3], title=f"Bench thread {i}: a question",
                        author=users[i % 200], created_at=now - timedelta(minutes=i),
                        last_activity_at=now - timedelta(minutes=i),
                    )
                    for i in range(first, min(first + batch, BIG_THREADS))
                ]
            )  # fmt: skip
            Post.objects.bulk_create(
                [
                    Post(
                        thread=t, community=big, author_id=t.author_id, is_opening=True,
                        body=BODY, body_html=body_html, created_at=t.created_at,
                    )
                    for t in threads
                ]
            )  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE practice_thread t SET opening_post_id = p.id FROM practice_post p "
                "WHERE p.thread_id = t.id AND p.is_opening AND t.community_id = %s",
                [big.pk],
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"Built the benchmark data in {time.monotonic() - started:.0f} s.")
    return {"thread": thread, "member": users[0], "long": build_long_thread(answers_community)}


LONG_TITLE = "Compression for mixed ulcers: what worked on your ward (long thread)"


def build_long_thread(community):
    """Create (once) a question with LONG_POSTS answers and replies: bulk rows with consistent
    counters, votes spread so the answers' order is by helpfulness, one accepted answer."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from core.markdown import render_markdown
    from practice.models import Post, Thread, Vote
    from practice.services import endorsements
    from practice.services import threads as thread_services
    from practice.services.threads import thread_recount

    thread = Thread.objects.filter(community=community, title=LONG_TITLE).first()
    if thread is not None and thread.posts.count() == LONG_POSTS + 1:
        if not thread.answer_count:  # counters left unsaved by an earlier version of this script
            thread_recount(thread)
            thread.save()
        return thread
    if thread is not None:
        thread.delete()
    User = get_user_model()
    users = list(User.objects.filter(username__startswith="bench.member.").order_by("pk")[:200])
    started = time.monotonic()
    now = timezone.now()
    rng = random.Random(11)
    body_html = render_markdown(BODY)
    with transaction.atomic():
        thread = thread_services.thread_create(
            community=community, author=users[0], kind="question", title=LONG_TITLE, body=BODY,
            tags=["compression"],
        )  # fmt: skip
        posts = Post.objects.bulk_create(
            [
                Post(
                    thread=thread, community=community, author=users[1 + i % 199],
                    is_answer=i % 5 != 4, body=BODY, body_html=body_html,
                    created_at=now + timedelta(seconds=i),
                )
                for i in range(LONG_POSTS)
            ]
        )  # fmt: skip
        for i, post in enumerate(posts):
            if i % 5 == 4:
                post.reply_to = posts[i - 1]
        Post.objects.bulk_update(posts, ["reply_to"])
        Vote.objects.bulk_create(
            [
                Vote(post=post, voter=voter, created_at=now)
                for post in posts
                for voter in rng.sample(users[100:200], k=rng.randint(0, 3))
                if voter.pk != post.author_id
            ],
            ignore_conflicts=True,
        )
        for post in posts:
            endorsements.post_recount_endorsements(post.pk)
        thread.refresh_from_db()
        thread_recount(thread)
        thread.save()
        endorsements.answer_accept(answer=posts[500], by=users[0])
    print(f"Built the {LONG_POSTS:,}-post thread in {time.monotonic() - started:.0f} s.")
    return thread


def cache_backend() -> str:
    from django.conf import settings

    return settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]


def member_cookie(user) -> str:
    """A session cookie for *user*, made the way a login makes one."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


# --- server and measurement ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(env: dict, port: int) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    return subprocess.Popen(
        [
            str(gunicorn), "config.wsgi:application", "--no-control-socket",
            "--workers", "1", "--worker-class", "sync", "--bind", f"{HOST}:{port}",
            "--chdir", str(ROOT), "--log-level", "warning",
        ],
        env=env,
    )  # fmt: skip


def worker_pid(master: int, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                return int(entry.name)
        time.sleep(0.1)
    raise SystemExit("gunicorn started no worker")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of stat(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def fetch(url: str, cookie: str | None) -> bytes:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=60) as response:
        if response.status != 200:
            raise SystemExit(f"{url} answered {response.status}")
        return response.read()


def wait_until_up(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 240  # a loaded machine starts Django slowly
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited; see its output above")
        try:
            fetch(base + "/bench/trivial/", None)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within 240 s")


class DatabaseCPU:
    """CPU time of the PostgreSQL backends serving the benchmark database (not this one)."""

    def __init__(self, database_url: str):
        import psycopg2

        url = urlparse(database_url)
        self.name = url.path.lstrip("/")
        self.conn = psycopg2.connect(
            host=url.hostname, port=url.port or 5432, user=url.username or "postgres",
            password=url.password, dbname=self.name,
        )  # fmt: skip
        self.conn.autocommit = True

    def seconds(self) -> float:
        with self.conn.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s "
                "AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
                [self.name],
            )
            pids = [row[0] for row in cursor.fetchall()]
        total = 0.0
        for pid in pids:
            # Skipped when PostgreSQL runs elsewhere or the backend just ended.
            with contextlib.suppress(OSError):
                total += cpu_seconds(pid)
        return total


def measure(pid: int, db: DatabaseCPU, url: str, cookie: str | None, n: int) -> tuple:
    """Return (worker CPU, database CPU, wall) seconds per request over *n* requests."""
    cpu, db_cpu, wall = cpu_seconds(pid), db.seconds(), time.perf_counter()
    for _ in range(n):
        fetch(url, cookie)
    return (
        (cpu_seconds(pid) - cpu) / n,
        (db.seconds() - db_cpu) / n,
        (time.perf_counter() - wall) / n,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100, help="requests per batch")
    parser.add_argument("--rounds", type=int, default=3, help="batches per page (median kept)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the benchmark data")
    parser.add_argument(
        "--pages",
        default="",
        help=(
            "measure only these pages "
            "(comma-separated: thread,long,long_last,list,page_1000,api_thread)"
        ),
    )
    args = parser.parse_args()
    n = max(10, min(args.requests, MAX_REQUESTS))
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    if urlparse(database_url).hostname not in (HOST, "localhost"):
        raise SystemExit("The benchmark only talks to a database on 127.0.0.1.")

    env = server_env(database_url)
    os.environ.update(env)  # this process prepares the data with the server's settings
    sys.path.insert(0, str(ROOT))
    ensure_database(database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.urls import reverse

    call_command("migrate", verbosity=0)
    data = build_data(rebuild=args.rebuild)
    cookie = member_cookie(data["member"])
    thread, long_thread = data["thread"], data["long"]
    long_pages = -(-LONG_POSTS // 30)  # the last page at 30 posts a page (all of it before)
    from django.db import connections

    connections.close_all()

    port = free_port()
    base = f"http://{HOST}:{port}"
    pages = {
        "trivial": "/bench/trivial/",
        "thread": reverse("practice:thread", args=[ANSWERS_SLUG, thread.pk]),
        "long": reverse("practice:thread", args=[ANSWERS_SLUG, long_thread.pk]),
        "long_last": reverse("practice:thread", args=[ANSWERS_SLUG, long_thread.pk])
        + f"?page={long_pages}",
        "list": reverse("practice:thread_list", args=[ANSWERS_SLUG]),
        "page_1": reverse("practice:thread_list", args=[BIG_SLUG]) + "?page=1",
        "page_1000": reverse("practice:thread_list", args=[BIG_SLUG]) + "?page=1000",
        # The member calls it with the session cookie (a GET needs no CSRF token).
        "api_thread": f"/api/v1/communities/{ANSWERS_SLUG}/threads/{thread.pk}",
    }
    load_before = os.getloadavg()
    bases = {"page_1000": "page_1", "long": "thread", "long_last": "thread"}
    wanted = {name for name in args.pages.split(",") if name}
    if wanted:
        wanted |= {"trivial", *(bases.get(name, "trivial") for name in wanted)}
        if "api_thread" in wanted:
            wanted.add(API_GOAL_BASE)  # its goal is the HTML page's ratio
        pages = {name: path for name, path in pages.items() if name in wanted}
    server = start_server(env, port)
    try:
        wait_until_up(base, server)
        pid = worker_pid(server.pid)
        db = DatabaseCPU(database_url)
        results: dict[tuple[str, str], list[tuple[float, float]]] = {}
        viewers = {"member": cookie, "anonymous": None}
        for viewer_cookie in viewers.values():
            for name, path in pages.items():
                body = fetch(base + path, viewer_cookie)  # warm up; sanity checks
                if name == "page_1000" and b"page=999" not in body:
                    raise SystemExit("page 1,000 does not look like page 1,000 of the list")
                for _ in range(3):
                    fetch(base + path, viewer_cookie)
        for _ in range(max(1, args.rounds)):
            for viewer, viewer_cookie in viewers.items():
                for name, path in pages.items():
                    # The trivial view is cheap: more requests keep the 10 ms clock precise.
                    count = min(n * 10, MAX_REQUESTS) if name == "trivial" else n
                    results.setdefault((viewer, name), []).append(
                        measure(pid, db, base + path, viewer_cookie, count)
                    )
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(
        f"\n{n} sequential requests per batch ({min(n * 10, MAX_REQUESTS)} for the trivial view),"
    )
    print(f"{args.rounds} interleaved batches per page, median kept. gunicorn, 1 sync worker,")
    print(f"DEBUG off, PostgreSQL on the same machine, cache: {cache_backend()}.")
    print(f"Load average before: {load_before}; after: {os.getloadavg()}.")
    print("CPU per request, in ms:\n")
    print(f"{'viewer':<10} {'page':<10} {'worker':>8} {'postgres':>9} {'both':>8} {'wall':>8}")
    cpu: dict[tuple[str, str], tuple[float, float]] = {}
    for (viewer, name), samples in results.items():
        worker = statistics.median(s[0] for s in samples)
        database = statistics.median(s[1] for s in samples)
        wall = statistics.median(s[2] for s in samples)
        cpu[viewer, name] = (worker, worker + database)
        print(
            f"{viewer:<10} {name:<10} {worker * 1000:8.2f} {database * 1000:9.2f} "
            f"{(worker + database) * 1000:8.2f} {wall * 1000:8.2f}"
        )
    labels = {
        "thread": f"thread page ({ANSWERS} answers) / trivial view",
        "list": "thread list / trivial view",
        "page_1000": f"page 1,000 / page 1 ({BIG_THREADS:,} threads)",
        "long": f"{LONG_POSTS:,}-post thread / {ANSWERS}-answer thread",
        "long_last": f"its last page / {ANSWERS}-answer thread",
        "api_thread": "API thread detail (JSON) / trivial view",
    }

    for viewer in viewers:
        print(f"\nRatios for the {viewer} viewer (worker CPU; worker + PostgreSQL CPU):")
        for key, label in labels.items():
            if (viewer, key) not in cpu:
                continue
            base_name = bases.get(key, "trivial")
            worker = cpu[viewer, key][0] / cpu[viewer, base_name][0]
            both = cpu[viewer, key][1] / cpu[viewer, base_name][1]
            goal = GOALS.get((viewer, key), GOALS.get(key))
            if key == "api_thread" and (viewer, API_GOAL_BASE) in cpu:
                html = cpu[viewer, API_GOAL_BASE][0] / cpu[viewer, base_name][0]
                goal = round(html, 2)  # the HTML thread page's ratio, measured in this run
            verdict = "meets" if worker <= goal else "MISSES"
            print(f"  {label:<44} {worker:6.2f}; {both:6.2f}  ({verdict} the goal of <= {goal})")


if __name__ == "__main__":
    main()
