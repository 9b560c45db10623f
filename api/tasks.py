"""Background work of the API app: webhook events and deliveries (thin: ids in, one service)."""

from celery import shared_task

from api import webhooks


@shared_task(name="api.webhook_events_detect")
def webhook_events_detect_task(*, thread_ids=(), post_ids=(), item_ids=(), user_ids=()) -> int:
    return webhooks.events_detect(
        thread_ids=thread_ids, post_ids=post_ids, item_ids=item_ids, user_ids=user_ids
    )


@shared_task(name="api.webhook_deliver")
def webhook_deliver_task(*, delivery_id: int, attempt: int = 1) -> None:
    """One attempt; after a failed one, the next is enqueued with exponential backoff (the
    service counts the attempts and says how long to wait). Not Celery's ``retry()``: each
    attempt is its own message, so an eager run (tests) runs them one after the other without
    waiting, and a redelivered message finds its attempt claimed and does nothing."""
    countdown = webhooks.delivery_attempt(delivery_id=delivery_id, attempt=attempt)
    if countdown is not None:
        webhook_deliver_task.apply_async(
            kwargs={"delivery_id": delivery_id, "attempt": attempt + 1}, countdown=countdown
        )


@shared_task(name="api.webhook_deliveries_sweep")
def webhook_deliveries_sweep_task() -> int:
    return webhooks.deliveries_sweep()
