import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone

from communities.changes import change_listeners_held
from communities.models import Community
from core.email import outbox_discarding
from demo import communities as demo
from demo.knowledge import repertoire_build
from demo.metrics import metrics_demo_build
from demo.models import SeedResume
from demo.practice import activity_build
from demo.progress import ProgressWriter
from demo.timeline import writers_let_in
from knowledge.services.experts import experts_fill
from metrics.pipeline.schedule import metrics_requests_held
from search.indexing import rebuild_community as search_index_rebuild_community

SEED_MARKER = "seed"  # the SeedResume row that keeps an unfinished seed's moment


@contextlib.contextmanager
def sqlite_commits_unsynced() -> Iterator[None]:
    """On SQLite, let this connection's commits skip the wait for the disk (synchronous=OFF).

    A commit then survives a crash of the program but not of the machine: fair for demo data
    that ``seed_demo --reset`` rebuilds. Inside a caller's transaction (the tests) SQLite cannot
    change it, and nothing is changed; on PostgreSQL neither.
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        previous = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous=OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA synchronous={int(previous)}")


@contextlib.contextmanager
def stopped_cleanly() -> Iterator[None]:
    """Turn SIGTERM into SystemExit, so a stopped seed rolls back and says it stopped.

    `make run` stops its background seed this way when the server stops.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class Phases:
    """Wall and CPU seconds of each phase of the seed, for its closing lines; each phase's
    start also goes to the progress file when there is one."""

    def __init__(self, progress: ProgressWriter | None = None) -> None:
        self.rows: list[tuple[str, float, float]] = []
        self.progress = progress or ProgressWriter(None)

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        self.progress.begin(name)
        wall, cpu = time.monotonic(), time.process_time()
        try:
            yield
        finally:
            self.rows.append((name, time.monotonic() - wall, time.process_time() - cpu))

    def summary(self) -> str:
        return "Seed phases (wall / CPU s): " + ", ".join(
            f"{name} {wall:.1f} / {cpu:.1f}" for name, wall, cpu in self.rows
        )


class Command(BaseCommand):
    help = (
        "Build the demo: professional groups, about 300 people and communities of every "
        "visibility. Idempotent: running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo's people and communities first (nothing else is touched).",
        )
        parser.add_argument(
            "--no-activity",
            action="store_true",
            help="Build people and communities only: no threads, votes, follows or events.",
        )
        parser.add_argument(
            "--no-metrics",
            action="store_true",
            help="Do not compute the demo's metrics (monthly history and now, per community).",
        )
        parser.add_argument(
            "--activity-weeks",
            type=int,
            default=52,
            help="How many weeks of practice activity to write (default: a year).",
        )

    def handle(self, *args, **options):
        progress = ProgressWriter(settings.DEMO_SEED_PROGRESS_FILE)
        try:
            with stopped_cleanly():
                self.seed(progress=progress, **options)
        except (SystemExit, KeyboardInterrupt):
            progress.fail("the seed was stopped before it finished")
            raise
        except BaseException as error:
            progress.fail(f"{type(error).__name__}: {error}")
            raise
        progress.finish()

    def seed(self, *, progress: ProgressWriter, reset: bool, no_activity: bool = False, **options):
        started, started_cpu = time.monotonic(), time.process_time()
        phase = Phases(progress)
        if reset:
            with phase("reset"):
                demo.demo_reset(log=self.stdout.write)
        # One moment for every phase: the demo's history is laid out back from it, so how long
        # each phase takes (the machine, its load) changes nothing in what is written. A seed
        # that was stopped kept its moment in a marker: run again, it goes on from the same one
        # and writes what one uninterrupted run would have.
        marker, _created = SeedResume.objects.get_or_create(
            name=SEED_MARKER, defaults={"now": timezone.now()}
        )
        now = marker.now
        activity = None
        repertoire = None
        # Demo people have .test addresses: the mail the services queue for them (join
        # requests, decisions) is recorded in the outbox as sent, and nothing is enqueued:
        # neither that mail nor a metrics recompute (the metrics are computed once, below).
        # The search index is not written write by write: it is rebuilt once at the end (the
        # demo backdates rows after the services wrote them, so it would be rebuilt anyway).
        with (
            sqlite_commits_unsynced(),
            outbox_discarding(),
            metrics_requests_held(),
        ):
            with change_listeners_held():
                with phase("people"):
                    summary = demo.demo_build(log=self.stdout.write, now=now)
                if not no_activity:
                    self.stdout.write("Practice activity:")
                    with phase("activity"):
                        activity = activity_build(
                            weeks=options.get("activity_weeks", 52),
                            log=self.stdout.write,
                            now=now,
                            progress=progress.step,
                        )
                    # Each community's repertoire, from its activity.
                    self.stdout.write("Library:")
                    with phase("repertoire"):
                        repertoire = repertoire_build(
                            log=self.stdout.write, now=now, progress=progress.step
                        )
                demo.demo_visits_mark(now=now)
            self.stdout.write("Search index:")  # the whole index, rebuilt from the finished demo
            with phase("search index"):
                # One community per transaction, as rebuild does, and a pause between two, in
                # which a waiting write gets in (otherwise it could wait for all of them).
                communities = list(Community.objects.order_by("pk"))
                for number, community in enumerate(communities, start=1):
                    self.stdout.write(f"[{number}/{len(communities)}] {community.name}")
                    search_index_rebuild_community(community, log=self.stdout.write)
                    writers_let_in()
            with phase("expert scores"):  # stored per tag; the listeners were held too
                experts_fill()
            # Metrics: monthly history and a current snapshot per demo community.
            if not no_activity and not options.get("no_metrics"):
                self.stdout.write("Metrics:")
                with phase("metrics"):
                    metrics_demo_build(log=self.stdout.write, now=now, progress=progress.step)
        marker.delete()  # finished: the next run lays out from its own moment
        seconds = time.monotonic() - started
        cpu = time.process_time() - started_cpu
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready in {seconds:.1f} s ({cpu:.1f} s CPU): {summary.users_created} "
                f"people, {summary.communities_created} communities, "
                f"{summary.memberships_created} memberships and "
                f"{summary.invitations_created} invitations created."
            )
        )
        self.stdout.write(phase.summary())
        if activity is not None:
            self.stdout.write(
                f"Practice activity: {activity.communities} communities filled and "
                f"{activity.skipped_communities} already had theirs ({activity.seconds:.1f} s)."
            )
            if activity.failures:
                self.stdout.write(
                    self.style.WARNING(f"{len(activity.failures)} planned items did not apply.")
                )
        if repertoire is not None:
            self.stdout.write(
                f"Library: {repertoire.communities} communities filled and "
                f"{repertoire.skipped_communities} already had theirs ({repertoire.seconds:.1f} s)."
            )
        if summary.skipped_usernames:
            self.stdout.write(
                self.style.WARNING(
                    "These usernames belong to accounts outside the demo and were left alone: "
                    + ", ".join(summary.skipped_usernames)
                )
            )
        if demo.ADMIN_USERNAME in summary.skipped_usernames:
            self.stdout.write(
                f"The existing {demo.ADMIN_USERNAME!r} account was kept with its own password."
            )
        self.stdout.write(
            "\nLog in at /accounts/login/ with:\n"
            f"  admin (staff):  {demo.ADMIN_USERNAME} / {demo.DEMO_PASSWORD}\n"
            f"  member:         {demo.DEMO_USERNAME} / {demo.DEMO_PASSWORD}"
            "  (moderates Early-career teachers)\n"
            f"Every demo person shares the password {demo.DEMO_PASSWORD!r}."
        )
