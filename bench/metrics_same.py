"""Check that two checkouts compute the same metrics snapshots on a kept bench database.

Usage (a small database is enough; it must hold ``bench/metrics.py``'s community)::

    BENCH_METRICS_SCALE=0.05 BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/practica_x \\
        .venv/bin/python bench/metrics.py --keep --rounds 1 --skip-network
    git archive <commit> | tar -x -C /tmp/before
    BENCH_DATABASE_URL=... .venv/bin/python bench/metrics_same.py --before /tmp/before

Each checkout, in its own process, computes two past snapshots (a day and 200 days before the
same minute: runs for a past moment read the log up to then and leave the tie table alone)
after deleting the snapshots such runs made before, so both see the same history; the data
(without the run's timing) and the member rows are dumped as JSON and compared.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLUG = "bench-metrics"
PAST = {"day": timedelta(days=1), "past": timedelta(days=200)}


def dump(base: datetime, out: str) -> None:
    """Compute the past snapshots with the code on ``sys.path`` and write them to *out*."""
    import django

    django.setup()
    from communities.models import Community
    from metrics import services
    from metrics.models import MemberMetrics, MetricsSnapshot

    community = Community.objects.get(slug=SLUG)
    MetricsSnapshot.objects.filter(
        community=community, as_of__lte=base - min(PAST.values()) + timedelta(hours=1)
    ).delete()
    result = {}
    for label, delta in PAST.items():
        snapshot = services.metrics_compute(community_id=community.pk, as_of=base - delta)
        data = {k: v for k, v in snapshot.data.items() if k not in ("computed_at", "duration_ms")}
        rows = list(MemberMetrics.objects.filter(snapshot=snapshot).order_by("user_id").values())
        for row in rows:
            del row["id"], row["snapshot_id"]
        result[label] = {"data": data, "members": rows}
    Path(out).write_text(json.dumps(result, sort_keys=True, default=str, indent=0))


def run(root: Path, base: datetime, out: str, database_url: str) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.default",
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789abcdef",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(root),
        "REDIS_URL": "",
    }
    code = (
        "import sys; from datetime import datetime; sys.path.insert(0, sys.argv[1]);"
        "sys.path.insert(1, sys.argv[2]); import metrics_same;"
        "metrics_same.dump(datetime.fromisoformat(sys.argv[3]), sys.argv[4])"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(root), str(ROOT / "bench"), base.isoformat(), out],
        env=env,
        check=True,
        # Celery's Django fix-up puts the working directory first on sys.path: run in the checkout.
        cwd=root,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", required=True, help="A checkout of the code to compare with.")
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", "")
    if "127.0.0.1" not in database_url and "localhost" not in database_url:
        raise SystemExit("Set BENCH_DATABASE_URL to a kept bench database on 127.0.0.1.")
    base = datetime.now(UTC).replace(second=0, microsecond=0)
    with tempfile.TemporaryDirectory() as folder:
        before, after = f"{folder}/before.json", f"{folder}/after.json"
        run(Path(args.before).resolve(), base, before, database_url)
        run(ROOT, base, after, database_url)
        old, new = json.loads(Path(before).read_text()), json.loads(Path(after).read_text())
    members = sum(len(old[label]["members"]) for label in PAST)
    if old != new:
        for label in PAST:
            for part in ("data", "members"):
                if old[label][part] != new[label][part]:
                    print(f"DIFFERENT: {label} {part}")
        raise SystemExit(1)
    print(f"Same: {len(PAST)} snapshots, their data and {members} member rows.")


if __name__ == "__main__":
    main()
