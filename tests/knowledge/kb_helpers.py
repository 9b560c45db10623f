"""Test data for evidence, promotion, health and experts, made through the real services."""

from knowledge.services.curation import item_publish
from knowledge.services.items import item_propose


def proposed_item(community, author, *, title="Heel offloading", kind="method", tags=(), **kw):
    return item_propose(
        community=community,
        by=author,
        kind=kind,
        title=title,
        summary=kw.pop("summary", "Keep the heel off the mattress."),
        body=kw.pop("body", "Use a pillow under the calf."),
        tag_names=tuple(tags),
        **kw,
    )


def published_item(community, author, moderator, **kw):
    """An item proposed by *author* (or promoted by a moderator) and published."""
    item = proposed_item(community, author, **kw)
    return item_publish(item=item, by=moderator)
