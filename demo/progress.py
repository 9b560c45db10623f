"""The demo seed's progress, kept in a small JSON file that `make run`'s server reads.

`make run` serves as soon as the database is migrated and seeds the demo in a second process
(issue #10). The seed writes where it is to ``settings.DEMO_SEED_PROGRESS_FILE`` and every page
shows it (``demo.context_processors``); nothing is written or read when the setting is unset.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

RUNNING, FAILED, DONE = "running", "failed", "done"

# The seed's stages in order, with the words the notice uses for each.
STAGES = {
    "people": "people and communities",
    "activity": "a year of practice history",
    "repertoire": "the communities' libraries",
    "search index": "the search index",
    "expert scores": "expert scores",
    "metrics": "dashboards",
}
RETRY = "stop the server (Ctrl-C) and run make run again"

# Told each community's number, the number of communities and its name before its turn.
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class SeedProgress:
    """What the notice shows: the seed's state, its stage and how far into it."""

    state: str
    stage: str = ""
    step: int = 0
    steps: int = 0
    detail: str = ""
    error: str = ""

    @property
    def failed(self) -> bool:
        return self.state == FAILED

    @property
    def stage_number(self) -> int:
        return list(STAGES).index(self.stage) + 1 if self.stage in STAGES else 0

    @property
    def stage_count(self) -> int:
        return len(STAGES)

    @property
    def stage_label(self) -> str:
        return STAGES.get(self.stage, self.stage)

    @property
    def still_to_come(self) -> list[str]:
        names = list(STAGES)
        return [STAGES[name] for name in names[self.stage_number :]] if self.stage_number else []

    @property
    def retry(self) -> str:
        return RETRY


class ProgressWriter:
    """Write the seed's progress to *path* (nothing at all when *path* is empty)."""

    def __init__(self, path: str | os.PathLike | None) -> None:
        self.path = Path(path) if path else None
        self.stage = ""

    def begin(self, stage: str) -> None:
        self.stage = stage
        self._write(state=RUNNING, stage=stage)

    def step(self, step: int, steps: int, detail: str = "") -> None:
        self._write(state=RUNNING, stage=self.stage, step=step, steps=steps, detail=detail)

    def fail(self, error: str) -> None:
        self._write(state=FAILED, stage=self.stage, error=error)

    def finish(self) -> None:
        self._write(state=DONE)

    def _write(self, **fields) -> None:
        if self.path is None:
            return
        fields["pid"] = os.getpid()
        # A reader sees the old file or the new one, never half of one.
        partial = self.path.with_name(self.path.name + ".partial")
        partial.write_text(json.dumps(fields))
        os.replace(partial, self.path)


def progress_read(path: str | os.PathLike | None) -> SeedProgress | None:
    """Return the seed's progress from *path*, or None when it is done or there is none."""
    if not path:
        return None
    try:
        fields = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(fields, dict) or fields.get("state") not in (RUNNING, FAILED):
        return None
    progress = SeedProgress(
        state=fields["state"],
        stage=str(fields.get("stage", "")),
        step=int(fields.get("step") or 0),
        steps=int(fields.get("steps") or 0),
        detail=str(fields.get("detail", "")),
        error=str(fields.get("error", "")),
    )
    if progress.state == RUNNING and not _alive(fields.get("pid")):
        # Killed without a word (out of memory, kill -9): it will not get any further.
        return SeedProgress(
            state=FAILED, stage=progress.stage, error="the seed stopped before it finished"
        )
    return progress


def _alive(pid) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return True  # nothing to check against
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
