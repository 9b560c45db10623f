"""The metrics pipeline, one step per module.

A run (``metrics.services.metrics_compute``) goes through them in order:

- ``plan``: mark the run started and decide what it covers (current or past, incremental or full);
- ``run``: read the community (``metrics.collect``) and compute every figure with the pure
  functions of ``metrics.compute``, outside any transaction; ``history`` reads the earlier
  snapshots a run builds on, ``activity`` the activity per member and day (kept between current
  runs, read again only where database triggers marked a change);
- ``store``: write the result in ONE transaction (snapshot, member rows, network edges, tie table,
  watermark, state);
- ``retention``: prune old snapshots after a current run;
- ``schedule``: requests, debounce, the stale-request sweep, enqueueing after commit.

``times`` holds the calendar arithmetic they share and ``stopwatch`` the per-phase timings.
"""
