"""Background imports started from the admin: one thin task per run.

``acks_late``: a worker killed mid-import leaves the message to be delivered again; the run is
then found ``running`` and left alone (an admin sees it stalled on the run's page); a database
error retries, and the import resumes where it stopped (one thread per transaction).
"""

from celery import shared_task
from django.db import OperationalError

from importers.runs import import_run_execute


@shared_task(
    name="importers.run_import",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def import_run_task(*, run_id: int) -> None:
    import_run_execute(run_id=run_id)
