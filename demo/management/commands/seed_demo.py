import time

from django.core.management.base import BaseCommand

from core.email import outbox_discarding
from demo import communities as demo
from demo.knowledge import repertoire_build
from demo.metrics import metrics_demo_build
from demo.practice import activity_build
from metrics.pipeline.schedule import metrics_requests_held
from search.indexing import rebuild as search_index_rebuild


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

    def handle(self, *args, reset: bool, no_activity: bool = False, **options):
        started = time.monotonic()
        if reset:
            demo.demo_reset(log=self.stdout.write)
        activity = None
        repertoire = None
        # Demo people have .test addresses: the mail the services queue for them (join
        # requests, decisions) is recorded in the outbox as sent, and nothing is enqueued:
        # neither that mail nor a metrics recompute (the metrics are computed once, below).
        with outbox_discarding(), metrics_requests_held():
            summary = demo.demo_build(log=self.stdout.write)
            if not no_activity:
                self.stdout.write("Practice activity:")
                activity = activity_build(
                    weeks=options.get("activity_weeks", 52), log=self.stdout.write
                )
                self.stdout.write("Repertoire:")  # each community's repertoire, from its activity
                repertoire = repertoire_build(log=self.stdout.write)
            self.stdout.write("Search index:")  # the whole index, rebuilt from the finished demo
            search_index_rebuild(log=self.stdout.write)
        # Metrics: monthly history and a current snapshot per demo community.
        if not no_activity and not options.get("no_metrics"):
            self.stdout.write("Metrics:")
            metrics_demo_build(log=self.stdout.write)
        seconds = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready in {seconds:.1f} s: {summary.users_created} people, "
                f"{summary.communities_created} communities, {summary.memberships_created} "
                f"memberships and {summary.invitations_created} invitations created."
            )
        )
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
                f"Repertoire: {repertoire.communities} communities filled and "
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
