"""``seed_demo`` killed (SIGKILL: no rollback, no last word) in the middle of a community's
history, as ``make run`` runs it (its own SQLite file, WAL), and run again in a new process,
ends as an uninterrupted seed does: ``demo.fingerprint`` equal, model by model.

Real processes and real commits: what the chunks and their resume markers are for.
"""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.demo_fingerprint import fingerprint
from demo.fingerprint import fingerprint_differences

REPO = Path(__file__).resolve().parents[2]
MOMENT = "2026-11-30T12:00Z"
ARGS = ["--activity-weeks", "8", "--no-metrics"]  # a history long enough to stop in, quickly


pytestmark = pytest.mark.sqlite


def _env(db: Path) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings.default",
        # As make run seeds: WAL (so this test reads while the seed writes), 120-s timeout.
        "DEMO_SEED_PROGRESS_FILE": str(db.with_suffix(".json")),
    }


def _seed(db: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "bench/demo_seed_at.py", MOMENT, *ARGS],
        cwd=REPO,
        env=_env(db),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finished(process: subprocess.Popen) -> None:
    _out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err


def _history_markers(db: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as connection:
        return connection.execute(
            "SELECT name, steps_done FROM demo_seedresume WHERE name LIKE 'activity:%'"
        ).fetchall()


def test_seed_killed_mid_history_then_run_again_equals_one_seed(tmp_path):
    whole, killed = tmp_path / "whole.sqlite3", tmp_path / "killed.sqlite3"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=REPO,
        env=_env(whole),
        check=True,
        capture_output=True,
    )
    shutil.copy(whole, killed)
    _finished(_seed(whole))

    seed = _seed(killed)
    deadline = time.monotonic() + 300
    markers = []
    while not markers and seed.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
        try:
            markers = [(name, done) for name, done in _history_markers(killed) if done > 0]
        except sqlite3.OperationalError:  # not migrated in WAL yet, or busy a moment
            markers = []
    assert markers, "the seed ended before a chunk of history was committed"
    seed.send_signal(signal.SIGKILL)
    seed.wait()
    assert _history_markers(killed), "killed in the middle: the community's marker stays"

    _finished(_seed(killed))

    assert not _history_markers(killed)
    assert (
        fingerprint_differences(
            fingerprint(f"sqlite:///{whole}"), fingerprint(f"sqlite:///{killed}")
        )
        == []
    )
