"""Test data for evidence, promotion, health and experts, made through the real services."""

from communities.services import profile_for, profile_update
from knowledge.services.curation import item_publish
from knowledge.services.items import item_propose
from practice.services import endorsements
from tests.practice.factories import answer, ask, member_of


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


def solve(community, asker, expert, tags, title="Q"):
    """A question by *asker* with *tags*, answered by *expert*, the answer accepted."""
    thread = ask(community, asker, title=title, tags=tags)
    post = answer(thread, expert, body="Do this.")
    endorsements.answer_accept(answer=post, by=asker)
    return thread, post


def declaring_member(community, username, *, expertise, visible_to):
    """A member of *community* who lists *expertise* on a profile shown to *visible_to*."""
    member = member_of(community, username=username)
    profile_update(profile=profile_for(member), expertise=expertise, details_visible_to=visible_to)
    return member
