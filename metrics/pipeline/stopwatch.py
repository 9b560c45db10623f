"""Seconds spent in each phase of the last run in this process (bench/metrics.py prints them)."""

import time

last_run_phases: dict[str, float] = {}


class Stopwatch:
    """Record, in ``last_run_phases``, the time since the previous lap under each lap's name."""

    def __init__(self):
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        last_run_phases[name] = last_run_phases.get(name, 0.0) + now - self.last
        self.last = now
