import time

from django.core.management.base import BaseCommand, CommandError

from communities.models import Community
from knowledge.selectors.experts import stored_scores_differences
from knowledge.services.experts import experts_fill


class Command(BaseCommand):
    help = (
        "Rebuild the stored expert scores (per community, tag and member) and tag counts from the "
        "threads, posts and published items, in one transaction: after a bulk job that held the "
        "change listeners, or to repair. With --check, only compare them with the aggregates over "
        "the rows and fail on any difference."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Compare only; exit 1 on a difference."
        )

    def handle(self, *args, check=False, **options):
        started = time.monotonic()
        if check:
            differences = []
            for community in Community.objects.order_by("pk"):
                differences += stored_scores_differences(community=community)
            for line in differences[:50]:
                self.stdout.write(line)
            if differences:
                raise CommandError(f"{len(differences):,} differences.")
            self.stdout.write(self.style.SUCCESS("Stored expert scores match the rows."))
            return
        threads, items = experts_fill(log=self.stdout.write if options["verbosity"] > 1 else None)
        self.stdout.write(
            self.style.SUCCESS(
                f"Expert scores filled from {threads:,} threads and {items:,} items "
                f"({time.monotonic() - started:.1f} s)."
            )
        )
