"""How long snapshots are kept: every one recently, then one a day, then one a month."""

from datetime import datetime, timedelta

from django.utils import timezone

from metrics.conf import pipeline_settings
from metrics.models import MetricsSnapshot


def snapshots_prune(*, community_id: int, now: datetime | None = None) -> int:
    """Apply the retention rule; return how many snapshots went.

    Keep every snapshot of the last ``METRICS_KEEP_ALL_DAYS`` days, then the last one of each UTC
    day up to ``METRICS_KEEP_DAILY_DAYS`` days, then the last one of each calendar month. The
    latest snapshot is always kept.
    """
    pipeline = pipeline_settings()
    now = now or timezone.now()
    keep_all_after = now - timedelta(days=pipeline.keep_all_days)
    daily_after = now - timedelta(days=pipeline.keep_daily_days)
    rows = list(
        MetricsSnapshot.objects.filter(community_id=community_id, as_of__lt=keep_all_after)
        .order_by("-as_of")
        .values_list("pk", "as_of")
    )
    seen: set = set()
    doomed = []
    for pk, as_of in rows:
        bucket = as_of.date() if as_of >= daily_after else (as_of.year, as_of.month)
        if bucket in seen:
            doomed.append(pk)
        else:
            seen.add(bucket)
    if doomed:
        MetricsSnapshot.objects.filter(pk__in=doomed).delete()
    return len(doomed)
