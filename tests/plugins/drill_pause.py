"""A pause inside the write transaction of a metrics run, where the worker-kill drill kills it.

Installed as an app only in the drill's worker (``process_settings``, when
``PRACTICA_PROCESS_PAUSE_IN_STORE`` gives the seconds): once Django is set up it wraps
``metrics.pipeline.store.write_ties``, which a current run calls with the snapshot, its member
rows and network edges written but not committed. Production code knows nothing of it.
"""

import logging
import os
import time

from django.apps import AppConfig

logger = logging.getLogger(__name__)


class DrillPauseConfig(AppConfig):
    name = "tests.plugins.drill_pause"
    label = "drill_pause"

    def ready(self):
        # Here, not at the top: this module is imported while the app registry is filling, before
        # the metrics models can be.
        from metrics.pipeline import store

        seconds = float(os.environ["PRACTICA_PROCESS_PAUSE_IN_STORE"])
        write_ties = store.write_ties

        def paused(plan, result):
            logger.warning("drill: pausing %.0f s inside the metrics write transaction", seconds)
            time.sleep(seconds)
            write_ties(plan, result)

        store.write_ties = paused
