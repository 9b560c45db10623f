"""Work that runs once the current transaction commits and can never fail the request.

The write is committed by then: whatever goes wrong afterwards (a broker down, a connection
killed, a file that will not delete) is logged, and the member gets the normal answer. Every
``on_commit`` registration in the project goes through ``on_commit_safely``.
"""

import contextlib
import logging
from collections.abc import Callable

from django.db import connections, transaction

logger = logging.getLogger(__name__)


def on_commit_safely(
    fn: Callable[[], object], *, name: str, using: str | None = None
) -> Callable[[], None]:
    """Run *fn* once the current transaction commits, logging what it raises; return the hook.

    Django's own ``robust=True`` is not enough: it names the failed hook by ``__qualname__``,
    which a callable object lacks, and then fails itself inside the request.
    """

    def run() -> None:
        try:
            fn()
        except Exception:
            with contextlib.suppress(Exception):  # a broken log handler must not fail it either
                logger.exception("After-commit work failed (%s); the committed write stands", name)
            _close_dead_connections()

    run.__wrapped__ = fn  # lets a caller recognise its hook among the connection's
    transaction.on_commit(run, using=using, robust=True)
    return run


def _close_dead_connections() -> None:
    """Close connections the failed work found dead, so the rest of the request reconnects.

    Django checks a connection's health only when a request starts; without this, the page
    render or the session save after a commit would fail on the same dead connection.
    """
    for connection in connections.all(initialized_only=True):
        with contextlib.suppress(Exception):
            if (
                connection.errors_occurred
                and not connection.in_atomic_block
                and not connection.is_usable()
            ):
                connection.close()
