"""Settings of the real processes the fault drills start: a Celery worker, a gunicorn web.

The test settings on the test database (its name comes from the test process), with the broker
and the cache exactly as production configures them from ``REDIS_URL`` (the test's own Redis),
and for the drills that need them:

- ``PRACTICA_PROCESS_FAST_RESTORE=1``: a short visibility timeout, so that a new worker takes
  back at once the message a killed worker never acknowledged (production waits an hour);
- ``PRACTICA_PROCESS_BEAT=name,...``: only these beat entries (``celery worker -B``);
- ``PRACTICA_PROCESS_PAUSE_IN_STORE=<seconds>``: a pause inside the write transaction of a
  metrics run (``tests/plugins/drill_pause.py``), where the worker-kill drill kills it.
"""

import os

from config.settings import base as production
from config.settings.test import *  # noqa: F403

DATABASES["default"]["NAME"] = os.environ["PRACTICA_PROCESS_DATABASE_NAME"]  # noqa: F405
if production.REDIS_URL:
    CELERY_BROKER_URL = production.CELERY_BROKER_URL
    CELERY_TASK_ALWAYS_EAGER = False
    CACHES = production.CACHES
if os.environ.get("PRACTICA_PROCESS_FAST_RESTORE") == "1":
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
        "visibility_timeout": 2,
        # Look for unacknowledged messages to take back every second (default: every 10th of
        # checks 10 s apart), so the new worker does not wait minutes for the killed one's.
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }
if os.environ.get("PRACTICA_PROCESS_BEAT"):
    _beat = os.environ["PRACTICA_PROCESS_BEAT"].split(",")
    CELERY_BEAT_SCHEDULE = {
        name: entry
        for name, entry in CELERY_BEAT_SCHEDULE.items()  # noqa: F405
        if name in _beat
    }
if os.environ.get("PRACTICA_PROCESS_PAUSE_IN_STORE"):
    INSTALLED_APPS = [*INSTALLED_APPS, "tests.plugins.drill_pause.DrillPauseConfig"]  # noqa: F405
