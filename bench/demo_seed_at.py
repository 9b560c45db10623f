"""Seed the demo with the clock stopped at one moment, so that two seeds (two commits, or two
ways of writing) can be compared row for row with ``demo_fingerprint.py``.

    DATABASE_URL=sqlite:////tmp/a.sqlite3 .venv/bin/python bench/demo_seed_at.py 2026-12-01T12:00Z

The database must be migrated. Every ``timezone.now()`` answers the given moment, so the demo's
history, its monthly metrics snapshots and their "now" are laid out from the same moment in
both seeds (two seeds started minutes apart differ in the metrics: ties decay with age). Run
from another checkout (``cd /tmp/old && PYTHONPATH=. python /work/main/bench/demo_seed_at.py``)
to seed with that checkout's code. Extra arguments go to ``seed_demo``.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    moment = datetime.fromisoformat(sys.argv[1])
    if moment.tzinfo is None:
        print("give the moment with its offset, e.g. 2026-12-01T12:00Z")
        return 2
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.default")
    os.environ.setdefault("DEBUG", "1")
    from django.utils import timezone  # noqa: PLC0415 (patched before Django sets up)

    timezone.now = lambda: moment
    import django  # noqa: PLC0415
    from django.core.management import call_command  # noqa: PLC0415

    django.setup()
    call_command("seed_demo", *sys.argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
