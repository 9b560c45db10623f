"""Worker-side pieces of the Celery application, loaded by the worker only (``worker_consumer``).

Celery 5.7.0's worker exits when Redis drops while it holds an unacknowledged message (a task in
its countdown, or a running ``acks_late`` task; the 30 s debounce of metrics requests makes that
the usual case). On a connection error the consumer first ``collect()``s the connection, which
detaches its transport, then ``close()``s it: closing the Redis channel restores the
unacknowledged messages through that transport, finds no client (``'NoneType' object has no
attribute 'hostname'`` in ``kombu.transport.redis.Channel._connparams``), and the AttributeError
escapes Celery's ``ignore_errors`` (connection errors only) and ends the worker. Celery 5.6 did
not close after collecting; no released 5.7 fixes it yet (5.7.0 is the latest).
"""

import logging

from celery.worker.consumer import Consumer as CeleryConsumer

logger = logging.getLogger(__name__)


class Consumer(CeleryConsumer):
    """Celery's consumer, which survives the loss of Redis while it holds unacknowledged tasks."""

    def on_connection_error_after_connected(self, exc):
        connection = self.connection
        if connection is not None:
            connection.close = _closing_quietly(connection.close)
        super().on_connection_error_after_connected(exc)


def _closing_quietly(close):
    def close_lost_connection():
        try:
            close()
        except AttributeError:
            # The restore could not have reached Redis anyway: the messages stay in Redis's
            # unacked set (the visibility timeout delivers them again if Redis kept its data),
            # and a lost metrics request is enqueued again by the sweep. Reconnect as after any
            # other connection error.
            logger.warning("Closing the lost broker connection failed; reconnecting", exc_info=True)

    return close_lost_connection
