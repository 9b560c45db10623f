"""Compare two seeded demo databases: per model, row counts and a hash of their contents
(``demo.fingerprint``: primary keys, dates and times, salted hashes and tokens left out; the
metrics snapshots behind the dashboards hashed without their timestamps and timings).

    .venv/bin/python bench/demo_fingerprint.py sqlite:////tmp/before.sqlite3 sqlite:////tmp/after.sqlite3

Each database is read by a child process of its own (Django is configured once per process);
prints the models that differ, or that the two are equivalent, and exits 1 if they differ.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def fingerprint(url: str) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1"}
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.default")
    code = (
        "import django, json; django.setup(); "
        "from demo.fingerprint import database_fingerprint; "
        "print(json.dumps(database_fingerprint()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    sys.path.insert(0, str(REPO))
    from demo.fingerprint import fingerprint_differences  # noqa: PLC0415 (no Django setup here)

    before, after = (fingerprint(url) for url in sys.argv[1:])
    rows = sum(v["rows"] for v in before.values()), sum(v["rows"] for v in after.values())
    print(f"models with rows: {len(before)} / {len(after)}; rows: {rows[0]:,} / {rows[1]:,}")
    differences = fingerprint_differences(before, after)
    for line in differences:
        print("  " + line)
    print("equivalent" if not differences else f"{len(differences)} models differ")
    return 0 if not differences else 1


if __name__ == "__main__":
    sys.exit(main())
