import json

import pytest
from django.core.cache import cache
from django.test import Client

from api import services as token_services
from communities.models import Membership
from practice.services import threads as thread_services
from tests.factories import CommunityFactory, UserFactory, make_member

CANARY = "CANARY-api-private"


class ApiClient:
    """A test client speaking JSON to /api/v1 as one caller (a token, or nobody)."""

    def __init__(self, token: str | None = None, client: Client | None = None):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        self.client = client or Client(**headers)

    def get(self, path, **params):
        return self.client.get(f"/api/v1{path}", params)

    def send(self, method, path, body=None, raw: str | bytes | None = None, **extra):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return getattr(self.client, method)(
            f"/api/v1{path}", data, content_type="application/json", **extra
        )

    def post(self, path, body=None, **kwargs):
        return self.send("post", path, body, **kwargs)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Each test starts with empty rate-limit buckets (a token's id is reused after a
    rollback, and the cache outlives the test)."""
    cache.clear()
    yield
    cache.clear()


def token_for(user, scopes=("read", "write")) -> str:
    return token_services.token_create(user=user, name="tests", scopes=list(scopes)).secret


@pytest.fixture
def api_as():
    """api_as(user, scopes=...) → an ApiClient with a new token; api_as(None) → anonymous."""

    def make(user, scopes=("read", "write")):
        return ApiClient(token_for(user, scopes) if user is not None else None)

    return make


@pytest.fixture
def canary(db):
    """A private community with a thread whose title and body carry the canary, its
    moderator and member, and one viewer of every other kind."""
    community = CommunityFactory(
        slug="sre", name="SRE circle", visibility="private", about=f"{CANARY} about"
    )
    other = CommunityFactory(slug="other", name="Other circle", visibility="open")
    moderator = make_member(community, role=Membership.Role.MODERATOR).user
    member = make_member(community).user
    thread = thread_services.thread_create(
        community=community,
        author=member,
        kind="question",
        title=f"{CANARY} title",
        body=f"{CANARY} body",
        tags=["secret-tag"],
    )
    answer = thread_services.post_create(thread=thread, author=moderator, body=f"{CANARY} answer")
    viewers = {
        "anon": None,
        "outsider": UserFactory(),
        "pending": make_member(community, state=Membership.State.PENDING).user,
        "banned": make_member(community, state=Membership.State.BANNED).user,
        "former": make_member(community, state=Membership.State.LEFT).user,
        "other_moderator": make_member(other, role=Membership.Role.MODERATOR).user,
        "member": member,
        "moderator": moderator,
    }
    return {
        "community": community,
        "other": other,
        "thread": thread,
        "answer": answer,
        "viewers": viewers,
    }
