"""Compute a community's metrics now, by hand (the same run the background task makes)."""

import json
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from communities.models import Community
from metrics import services


class Command(BaseCommand):
    help = (
        "Compute the metrics of one community (or of every community) and store a snapshot. "
        "With --json, print the snapshot's data: exactly what the dashboard shows."
    )

    def add_arguments(self, parser):
        parser.add_argument("community", nargs="?", help="Community slug (default: all).")
        parser.add_argument(
            "--json",
            dest="as_json",
            action="store_true",
            help="Print the snapshot data as JSON on stdout (several communities: by slug).",
        )
        parser.add_argument(
            "--full",
            action="store_true",
            help="Rebuild the tie table from the whole interaction log.",
        )
        parser.add_argument(
            "--as-of",
            dest="as_of",
            help="Compute as of this ISO 8601 moment (a past period: from the log up to then).",
        )
        parser.add_argument(
            "--history",
            type=int,
            default=0,
            metavar="MONTHS",
            help="First compute a snapshot at the start of each of the last MONTHS months.",
        )

    def handle(self, *args, community=None, as_json=False, full=False, as_of=None, history=0, **_):
        moment = None
        if as_of:
            moment = parse_datetime(as_of)
            if moment is None or moment.tzinfo is None:
                raise CommandError("--as-of takes an ISO 8601 moment with a time zone (…Z).")
        if community:
            try:
                communities = [Community.objects.get(slug=community)]
            except Community.DoesNotExist:
                raise CommandError(f"No community with the slug {community!r}.") from None
        else:
            communities = list(Community.objects.order_by("name"))
        # Progress goes to stderr when stdout carries the JSON.
        say = self.stderr.write if as_json else self.stdout.write
        output = []
        for c in communities:
            started = time.monotonic()
            if history:
                snapshots = services.metrics_compute_history(
                    community_id=c.pk,
                    months=history,
                    now=moment,
                    log=lambda at, seconds, c=c: say(
                        f"  {c.slug}: as of {at:%Y-%m-%d %H:%M} ({seconds:.2f} s)"
                    ),
                )
                snapshot = snapshots[-1]
            else:
                snapshot = services.metrics_compute(community_id=c.pk, as_of=moment, full=full)
            # As stored: without a broker, the network refresh a run may queue has already
            # written into it (metrics.pipeline.network_refresh).
            snapshot.refresh_from_db(fields=["data"])
            network = snapshot.data.get("network", {})
            say(
                f"{c.slug}: as of {snapshot.as_of:%Y-%m-%d %H:%M} UTC, "
                f"{network.get('nodes', 0)} members, {network.get('edges', 0)} ties "
                f"({time.monotonic() - started:.2f} s)"
            )
            output.append(snapshot.data)
        if as_json:
            if community:
                payload = output[0]
            else:
                payload = {c.slug: data for c, data in zip(communities, output, strict=True)}
            self.stdout.write(json.dumps(payload, indent=2, sort_keys=True))
