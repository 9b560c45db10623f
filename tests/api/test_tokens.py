"""Personal access tokens: created and shown once, stored hashed, scoped, expiring, revoked by
their member or an admin; and the session alternative with CSRF."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api import services
from api.models import AccessToken
from tests.api.conftest import ApiClient
from tests.factories import CommunityFactory, UserFactory, make_admin

pytestmark = pytest.mark.django_db


def test_token_create_stores_only_the_hash_and_a_prefix(user):
    created = services.token_create(user=user, name="chat bot", scopes=["write", "read"])
    token = AccessToken.objects.get()
    assert created.secret.startswith(f"pra_{token.prefix}_")
    assert token.token_hash == hashlib.sha256(created.secret.encode()).hexdigest()
    assert created.secret not in str(AccessToken.objects.values().get())
    assert token.scopes == "read write"


@pytest.mark.parametrize(
    ("name", "scopes", "days", "field"),
    [
        ("", ["read"], None, "name"),
        ("x" * 81, ["read"], None, "name"),
        ("ok", [], None, "scopes"),
        ("ok", ["admin"], None, "scopes"),
        ("ok", ["read"], -1, "expires_at"),
        ("ok", ["read"], 400, "expires_at"),
    ],
)
def test_token_create_refuses_bad_input(user, name, scopes, days, field):
    expires = timezone.now() + timedelta(days=days) if days is not None else None
    with pytest.raises(ValidationError) as error:
        services.token_create(user=user, name=name, scopes=scopes, expires_at=expires)
    assert field in error.value.message_dict
    assert not AccessToken.objects.exists()


def test_token_authenticates_until_revoked_and_notes_last_use_once_a_minute(user):
    created = services.token_create(user=user, name="t", scopes=["read"])
    api = ApiClient(created.secret)
    response = api.get("/me")
    assert response.status_code == 200
    assert response.json()["username"] == user.username
    assert response.json()["scopes"] == ["read"]
    first_use = AccessToken.objects.get().last_used_at
    assert first_use is not None
    api.get("/me")
    assert AccessToken.objects.get().last_used_at == first_use  # within the minute: no write
    later = timezone.now() + timedelta(minutes=2)
    assert services.token_authenticate(created.secret, at=later).last_used_at == later
    services.token_revoke(token=created.token, by=user)
    response = api.get("/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_expired_unknown_and_malformed_tokens_are_401_never_anonymous(user):
    created = services.token_create(
        user=user, name="t", scopes=["read"], expires_at=timezone.now() + timedelta(days=1)
    )
    AccessToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    for secret in (created.secret, "pra_deadbeef_nope", "nonsense", "pra_" + "x" * 200):
        response = ApiClient(secret).get("/communities")
        assert response.status_code == 401, secret
        assert response.json()["error"]["code"] == "invalid_token"


def test_token_of_a_deactivated_member_stops_working(user):
    secret = services.token_create(user=user, name="t", scopes=["read"]).secret
    user.is_active = False
    user.save()
    assert ApiClient(secret).get("/me").status_code == 401


def test_scopes_narrow_the_member(user):
    community = CommunityFactory(slug="open", visibility="open")
    read_only = ApiClient(services.token_create(user=user, name="r", scopes=["read"]).secret)
    response = read_only.post("/communities/open/join")
    assert response.status_code == 403
    assert "write" in response.json()["error"]["message"]
    assert not community.memberships.exists()
    write_only = ApiClient(services.token_create(user=user, name="w", scopes=["write"]).secret)
    assert write_only.get("/communities").status_code == 403
    assert write_only.post("/communities/open/join").status_code == 200


def test_anonymous_reads_but_may_not_write(db):
    CommunityFactory(slug="open", visibility="open")
    api = ApiClient()
    assert api.get("/communities").status_code == 200
    response = api.post("/communities/open/join")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert api.get("/me").status_code == 401


def test_session_calls_need_csrf_for_unsafe_methods(user):
    CommunityFactory(slug="open", visibility="open")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert ApiClient(client=client).get("/me").json()["scopes"] == ["moderate", "read", "write"]
    response = ApiClient(client=client).post("/communities/open/join")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    assert not user.memberships.exists()
    client.get(reverse("api:tokens"))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = ApiClient(client=client).post("/communities/open/join", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert response.json()["state"] == "active"


def test_settings_page_creates_a_token_shown_once_lists_and_revokes_it(user):
    client = Client()
    client.force_login(user)
    assert client.get(reverse("api:tokens")).status_code == 200
    response = client.post(
        reverse("api:tokens"), {"name": "reports", "scopes": ["read"], "expires_at": ""}
    )
    html = response.content.decode()
    secret = re.search(r'value="(pra_[^"]+)"', html).group(1)
    assert ApiClient(secret).get("/me").status_code == 200
    page = client.get(reverse("api:tokens")).content.decode()
    assert secret not in page and "reports" in page
    token = AccessToken.objects.get()
    assert f"pra_{token.prefix}" in page
    response = client.post(reverse("api:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    assert ApiClient(secret).get("/me").status_code == 401


def test_settings_page_shows_form_errors_and_creates_nothing(user):
    client = Client()
    client.force_login(user)
    response = client.post(reverse("api:tokens"), {"name": "", "scopes": []})
    assert response.status_code == 200
    assert b"error-message" in response.content
    assert not AccessToken.objects.exists()


def test_revoke_needs_csrf_and_another_members_token_is_404(user):
    other = UserFactory()
    token = services.token_create(user=other, name="theirs", scopes=["read"]).token
    client = Client()
    client.force_login(user)
    assert client.post(reverse("api:token_revoke", args=[token.pk])).status_code == 404
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(other)
    assert strict.post(reverse("api:token_revoke", args=[token.pk])).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None
    with pytest.raises(PermissionDenied):
        services.token_revoke(token=token, by=user)


def test_admin_lists_and_revokes_tokens_without_seeing_the_hash(user):
    created = services.token_create(user=user, name="leaked", scopes=["read"])
    admin = make_admin()
    client = Client()
    client.force_login(admin)
    changelist = reverse("admin:api_accesstoken_changelist")
    page = client.get(changelist).content.decode()
    assert "leaked" in page and created.token.token_hash not in page
    change = client.get(reverse("admin:api_accesstoken_change", args=[created.token.pk]))
    assert created.token.token_hash not in change.content.decode()
    response = client.post(changelist, {"action": "revoke", "_selected_action": [created.token.pk]})
    assert response.status_code == 302
    assert ApiClient(created.secret).get("/me").status_code == 401


def test_settings_page_puts_the_expiry_error_next_to_its_field(user):
    client = Client()
    client.force_login(user)
    response = client.post(
        reverse("api:tokens"), {"name": "old", "scopes": ["read"], "expires_at": "2001-01-01"}
    )
    assert response.context["form"].errors["expires_at"]
    assert not AccessToken.objects.exists()
