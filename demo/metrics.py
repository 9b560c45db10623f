"""Metrics for the demo: every demo community gets monthly history and a current snapshot."""

import time
from dataclasses import dataclass
from datetime import datetime

from communities.models import Community
from demo.communities import DEMO_SLUGS
from demo.progress import Progress
from demo.timeline import writers_let_in
from metrics.conf import pipeline_settings
from metrics.services import metrics_compute_history


@dataclass
class DemoMetrics:
    communities: int = 0
    snapshots: int = 0
    seconds: float = 0.0


def metrics_demo_build(
    *,
    log=print,
    months: int | None = None,
    now: datetime | None = None,
    progress: Progress = lambda number, count, name: None,
) -> DemoMetrics:
    """Compute, for every demo community, a snapshot at the start of each of the last *months*
    months (default ``METRICS_DEMO_HISTORY_MONTHS``) and one now. Idempotent: the monthly
    moments are fixed, so a second seed replaces them. *now*: the last snapshot's moment."""
    months = pipeline_settings().demo_history_months if months is None else months
    started = time.monotonic()
    summary = DemoMetrics()
    communities = list(Community.objects.filter(slug__in=DEMO_SLUGS).order_by("name"))
    for number, community in enumerate(communities, start=1):
        progress(number, len(communities), community.name)
        began = time.monotonic()
        snapshots = metrics_compute_history(community_id=community.pk, months=months, now=now)
        latest = snapshots[-1].data
        log(
            f"  [{number}/{len(communities)}] {community.name}: {len(snapshots)} snapshots "
            f"({months} monthly + now), {latest['network']['nodes']} members, "
            f"{latest['ties']['strong']} strong and {latest['ties']['weak']} weak ties "
            f"({time.monotonic() - began:.1f} s)"
        )
        summary.communities += 1
        summary.snapshots += len(snapshots)
        writers_let_in()  # between two communities' runs, a waiting write gets in
    summary.seconds = time.monotonic() - started
    return summary
