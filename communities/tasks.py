"""Background tasks of the communities app: thin, named, idempotent; each calls one service."""

from celery import shared_task

from communities.interactions import interactions_prune


@shared_task(name="communities.prune_interactions")
def prune_interactions_task() -> int:
    return interactions_prune()
