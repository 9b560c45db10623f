import pytest
from django.core.cache import cache

from practice.fragments import forget_local_fragments
from tests.practice.factories import answer, ask, member_of, moderator_of


@pytest.fixture
def empty_cache():
    """No cached page fragment from another test: the shared cache and this process's copies."""
    cache.clear()
    forget_local_fragments()
    yield
    cache.clear()
    forget_local_fragments()


@pytest.fixture
def scene(open_community):
    """A question with one answer, its asker, the helper who answered, a reader and a moderator."""
    community = open_community
    asker = member_of(community, username="asker")
    thread = ask(community, asker, body="What dressing for a sacral wound?")
    helper = member_of(community, username="helper")
    reply = answer(thread, helper, body="Silicone foam, changed every three days.")
    return {
        "community": community,
        "thread": thread,
        "asker": asker,
        "helper": helper,
        "reply": reply,
        "reader": member_of(community, username="reader"),
        "moderator": moderator_of(community, username="mod"),
    }
