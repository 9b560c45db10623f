"""The per-caller rate limit: ninja's cache-backed throttle, one bucket per token, per
signed-in member or per anonymous address; a 429 in the error shape with Retry-After."""

import pytest
from django.test import Client, override_settings

from tests.api.conftest import ApiClient, token_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@override_settings(PRACTICA_API_RATE="3/m")
def test_a_token_over_its_rate_gets_429_with_retry_after(user):
    api = ApiClient(token_for(user))
    assert [api.get("/me").status_code for _ in range(3)] == [200, 200, 200]
    refused = api.get("/me")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 0 < int(refused["Retry-After"]) <= 60
    # Another token of the same member, another member and anonymous callers have their own.
    assert ApiClient(token_for(user)).get("/me").status_code == 200
    assert ApiClient(token_for(UserFactory())).get("/me").status_code == 200
    assert ApiClient().get("/communities").status_code == 200


@override_settings(PRACTICA_API_RATE="2/m")
def test_session_and_anonymous_callers_are_limited_too(user):
    client = Client()
    client.force_login(user)
    codes = [client.get("/api/v1/me").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    anonymous = [Client().get("/api/v1/communities").status_code for _ in range(3)]
    assert anonymous == [200, 200, 429]
