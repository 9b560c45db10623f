"""How long a visitor's write waits while the demo seeds (issue #10): a fresh SQLite file,
``seed_demo`` as ``make run`` starts it (``DEMO_SEED_PROGRESS_FILE`` set: WAL, 120-s busy
timeout), and meanwhile, in another process, every few seconds the writes a sign-in makes (a
new session row and the user's ``last_login``), each in one transaction, timed.

    nice -n 10 .venv/bin/python bench/demo_seed_writes.py                    # this checkout
    nice -n 10 .venv/bin/python bench/demo_seed_writes.py --tree /tmp/before_demo --every 2

``--tree`` runs the seed and the probe with another checkout's code (``git archive <rev> | tar
-x -C <folder>``). Prints every probe's wait (seconds) with the seed stage it fell in, then the
count, median, 90th percentile and maximum, the seed's closing line and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Run in the child with the checkout under test first on sys.path: one timed sign-in write.
PROBE = """
import json, os, sys, time
sys.path.insert(0, os.getcwd())
import django
django.setup()
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, transaction
from django.utils import timezone
every, stop = float(sys.argv[1]), sys.argv[2]
User = get_user_model()
while not os.path.exists(stop):
    started = time.monotonic()
    with transaction.atomic():  # IMMEDIATE: waits here for the seed's write lock
        session = SessionStore()
        session["probe"] = 1
        session.create()
        User.objects.filter(username="demo").update(last_login=timezone.now())
    wait = time.monotonic() - started
    connection.close()
    print(json.dumps({"t": time.time(), "wait": wait}), flush=True)
    time.sleep(max(0.0, every - wait))
"""


def _load() -> str:
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", default=str(REPO), help="checkout to run (default: this one)")
    parser.add_argument("--every", type=float, default=2.0, help="seconds between probes")
    parser.add_argument("--keep", help="keep the seeded SQLite file at this path")
    args = parser.parse_args()
    tree = Path(args.tree).resolve()
    work = Path(tempfile.mkdtemp(prefix="demo_writes_"))
    db = Path(args.keep) if args.keep else work / "db.sqlite3"
    db.unlink(missing_ok=True)
    progress_file = work / "seed.json"
    stop = work / "stop"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "DEBUG": "1",
        "DEMO_SEED_PROGRESS_FILE": str(progress_file),
        "DJANGO_SETTINGS_MODULE": "config.settings.default",
    }
    python = sys.executable
    print(f"tree {tree}, load before {_load()}", flush=True)
    subprocess.run(
        [python, "manage.py", "migrate", "--noinput"],
        cwd=tree,
        env=env,
        check=True,
        capture_output=True,
    )
    started = time.time()
    seed = subprocess.Popen(
        [python, "manage.py", "seed_demo"], cwd=tree, env=env, stdout=subprocess.PIPE, text=True
    )
    probe = subprocess.Popen(
        [python, "-c", PROBE, str(args.every), str(stop)],
        cwd=tree,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    seed_out = seed.communicate()[0]
    seed_seconds = time.time() - started
    stop.touch()
    probe_out = probe.communicate()[0]
    waits = []
    for line in probe_out.splitlines():
        row = json.loads(line)
        waits.append(row["wait"])
        print(f"  +{row['t'] - started:6.1f} s  wait {row['wait']:7.3f} s")
    closing = [line for line in seed_out.splitlines() if "Demo ready" in line or "phases" in line]
    print("\n".join(closing))
    if seed.returncode:
        print(f"seed_demo exited {seed.returncode}")
        return 1
    waits.sort()
    print(
        f"{len(waits)} probes during a {seed_seconds:.1f}-s seed: median "
        f"{statistics.median(waits):.3f} s, p90 {waits[int(0.9 * (len(waits) - 1))]:.3f} s, "
        f"max {waits[-1]:.3f} s; load after {_load()}"
    )
    print(
        json.dumps(
            {
                "max": waits[-1],
                "median": statistics.median(waits),
                "n": len(waits),
                "seed_s": seed_seconds,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
