import logging
import time

from django.core.management.base import BaseCommand
from django.test.utils import override_settings

from communities import demo


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
        # Demo people have .test addresses; the mail the services queue for them (join
        # requests, decisions) is sent in-process to a backend that discards it, never to
        # a broker or an SMTP server.
        from config.celery import app

        eager = app.conf.task_always_eager
        app.conf.task_always_eager = True
        trace_logger = logging.getLogger("celery.app.trace")  # one line per discarded mail
        trace_level = trace_logger.level
        trace_logger.setLevel(logging.WARNING)
        activity = None
        repertoire = None  # knowledge (KB)
        try:
            with override_settings(
                EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
                METRICS_REQUEST_ON_INTERACTION=False,  # metrics (MB): computed once, below
            ):
                summary = demo.demo_build(log=self.stdout.write)
                if not no_activity:
                    from practice.demo import activity_build

                    self.stdout.write("Practice activity:")
                    activity = activity_build(
                        weeks=options.get("activity_weeks", 52), log=self.stdout.write
                    )
                    # --- knowledge (KB): each community's repertoire, from its activity ---
                    from knowledge.demo import repertoire_build

                    self.stdout.write("Repertoire:")
                    repertoire = repertoire_build(log=self.stdout.write)
                    # --- end knowledge ---
                # --- search (KC): the whole index, rebuilt from the finished demo ---
                from search.indexing import rebuild as search_index_rebuild

                self.stdout.write("Search index:")
                search_index_rebuild(log=self.stdout.write)
                # --- end search ---
        finally:
            app.conf.task_always_eager = eager
            trace_logger.setLevel(trace_level)
        # --- metrics (MB): monthly history and a current snapshot per demo community ---
        if not no_activity and not options.get("no_metrics"):
            from metrics.demo import metrics_demo_build

            self.stdout.write("Metrics:")
            metrics_demo_build(log=self.stdout.write)
        # --- end metrics ---
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
        # --- knowledge (KB) ---
        if repertoire is not None:
            self.stdout.write(
                f"Repertoire: {repertoire.communities} communities filled and "
                f"{repertoire.skipped_communities} already had theirs ({repertoire.seconds:.1f} s)."
            )
        # --- end knowledge ---
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
