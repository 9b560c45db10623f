"""Check, on a kept bench database, that a snapshot whose network measures were refreshed by their
own task (``metrics.pipeline.network_refresh``) equals the one a run computing them itself stores.

    nice -n 10 .venv/bin/python bench/metrics_refresh_same.py   # after bench/metrics.py --keep

Logs ``BENCH_METRICS_NEW`` (default 10,000) new interactions, runs the community as of this
minute with the refresh in the background (the enqueued task caught and then run here), keeps
its data and member rows, runs the same moment again with ``METRICS_NETWORK_REFRESH_IN_BACKGROUND``
off (betweenness, brokers and the drawing computed in the run, replacing the snapshot), and
compares. Exit status 1 on any difference. The interactions stay (bench/metrics.py drops them).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

# bench/metrics.py under another name: "metrics" is the project's app.
_spec = importlib.util.spec_from_file_location(
    "bench_metrics", Path(__file__).with_name("metrics.py")
)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def stored(snapshot_id: int):
    from metrics.models import MemberMetrics, MetricsSnapshot

    snapshot = MetricsSnapshot.objects.get(pk=snapshot_id)
    data = {k: v for k, v in snapshot.data.items() if k not in ("computed_at", "duration_ms")}
    rows = list(MemberMetrics.objects.filter(snapshot=snapshot).order_by("user_id").values())
    for row in rows:
        row.pop("id")
    return data, rows, snapshot.betweenness_exact


def main() -> None:
    database_url = os.environ.get("BENCH_DATABASE_URL") or bench.DEFAULT_DATABASE_URL
    bench.setup_django(database_url)
    from django.conf import settings
    from django.utils import timezone

    from communities.models import Community
    from metrics import services
    from metrics.pipeline.times import as_of_minute

    community = Community.objects.get(slug=bench.SLUG)
    count = int(os.environ.get("BENCH_METRICS_NEW") or bench.NEW_INTERACTIONS)
    bench.add_interactions(community.pk, count, datetime.now(UTC), seed=bench.SEED + 999)
    as_of = as_of_minute(timezone.now())
    with mock.patch.object(services, "enqueue_on_commit") as enqueue:
        started = time.perf_counter()
        snapshot = services.metrics_compute(community_id=community.pk, as_of=as_of)
        run_seconds = time.perf_counter() - started
    carried = snapshot.data["network"].get("carried_forward") or {}
    print(f"run {run_seconds:.2f} s; carried forward: {carried or 'no'}")
    if not enqueue.called:
        raise SystemExit(
            "The run queued no refresh (edges within the tolerance?): nothing to check."
        )
    started = time.perf_counter()
    services.metrics_network_refresh(community_id=community.pk)
    print(f"refresh {time.perf_counter() - started:.2f} s")
    refreshed = stored(snapshot.pk)

    settings.METRICS_NETWORK_REFRESH_IN_BACKGROUND = False
    started = time.perf_counter()
    inline = services.metrics_compute(community_id=community.pk, as_of=as_of)
    print(f"the same moment computed in the run: {time.perf_counter() - started:.2f} s")
    again = stored(inline.pk)
    data_same = refreshed[0] == again[0]
    rows_same = refreshed[1] == again[1]
    differing = [a["user_id"] for a, b in zip(refreshed[1], again[1], strict=False) if a != b]
    print(
        f"snapshot {inline.pk} (was {snapshot.pk}): data same {data_same}, "
        f"{len(again[1]):,} member rows same {rows_same} ({len(differing)} differ), "
        f"betweenness_exact same {refreshed[2] == again[2]}"
    )
    if not (data_same and rows_same and refreshed[2] == again[2]):
        for key in refreshed[0]:
            if refreshed[0][key] != again[0].get(key):
                print(f"  data[{key!r}] differs")
        sys.exit(1)


if __name__ == "__main__":
    main()
