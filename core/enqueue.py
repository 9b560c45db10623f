"""The one way the project enqueues a task: once the current transaction commits, and a broker
that is down or silent is logged, never raised (the periodic catch-ups do the work later).

A task may be named by its Celery name, looked up when the transaction commits: ``core.email``
enqueues ``core.send_email`` so, while ``core.tasks`` calls into ``core.email``, the two do not
import each other (``core.apps`` imports the tasks at start-up so the name is registered).
"""

import logging

from celery import Task
from celery import current_app as app

from core.after_commit import on_commit_safely

# The log keeps the name it had when this lived in core.tasks: log filters and alerts use it.
logger = logging.getLogger("core.tasks")


def _task(task: Task | str) -> Task:
    return app.tasks[task] if isinstance(task, str) else task


def _name(task: Task | str) -> str:
    return task if isinstance(task, str) else task.name


def _delay_logging_failures(task: Task | str, kwargs: dict, countdown: int | None = None) -> bool:
    try:
        _task(task).apply_async(kwargs=kwargs, countdown=countdown)
    except Exception:
        # The broker is down or silent. What the user did is committed; the periodic
        # catch-up (or the next enqueue) will do the work, so log and carry on.
        logger.exception(
            "Could not enqueue %s(%s); it will be caught up later", _name(task), kwargs
        )
        return False
    return True


def enqueue_on_commit(task: Task | str, *, countdown: int | None = None, **kwargs) -> None:
    """Enqueue *task* (or the task of that name) with keyword *kwargs* once the current
    transaction commits, to run *countdown* seconds later (None: at once)."""
    on_commit_safely(
        lambda: _delay_logging_failures(task, kwargs, countdown), name=f"enqueue {_name(task)}"
    )


def enqueue_each_on_commit(task: Task | str, kwargs_list: list[dict]) -> None:
    """Enqueue *task* once per entry of *kwargs_list* once the current transaction commits.

    The first failure leaves the rest to the periodic catch-up: with the broker down or silent,
    every further try would wait out its own timeout inside the request.
    """

    def enqueue_each() -> None:
        for done, kwargs in enumerate(kwargs_list):
            if not _delay_logging_failures(task, kwargs):
                left = len(kwargs_list) - done - 1
                logger.warning("Left %s more %s to the catch-up", left, _name(task))
                return

    if kwargs_list:
        on_commit_safely(enqueue_each, name=f"enqueue {len(kwargs_list)} x {_name(task)}")
