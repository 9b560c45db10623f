"""Settings of the real Celery worker that tests/metrics/test_worker_kill.py starts and kills.

The test settings, plus: the test's own database (its name comes from the test process), the
test Redis as broker, a short visibility timeout so that a new worker takes back at once the
message a killed worker never acknowledged, and an optional pause inside the write transaction
of a metrics run (``metrics.services._checkpoint``).
"""

import os

from config.settings.test import *  # noqa: F403

DATABASES["default"]["NAME"] = os.environ["PRACTICA_WORKER_DATABASE_NAME"]  # noqa: F405
CELERY_BROKER_URL = os.environ["PRACTICA_WORKER_BROKER_URL"]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
    "visibility_timeout": 2,
    # Look for unacknowledged messages to take back every second (default: every 10th of
    # checks 10 s apart), so the new worker does not wait minutes for the killed one's.
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
METRICS_TEST_SLEEP_AT = os.environ.get("PRACTICA_WORKER_SLEEP_AT", "")
METRICS_TEST_SLEEP_SECONDS = float(os.environ.get("PRACTICA_WORKER_SLEEP_SECONDS", "0"))
