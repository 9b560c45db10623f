"""Security basics: CSRF, CSP, login throttling, safe redirects, production settings."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory, make_admin

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # allauth's rate limits count in the cache; each test starts with none used.
    cache.clear()
    yield
    cache.clear()


def verified_user(**kwargs):
    user = UserFactory(**kwargs)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def directive(policy: str, name: str) -> list[str]:
    for part in policy.split(";"):
        tokens = part.split()
        if tokens and tokens[0] == name:
            return tokens[1:]
    raise AssertionError(f"{name} missing from {policy!r}")


@pytest.fixture
def pages(open_community):
    """URLs of pages that render forms or user content, for header and markup checks."""
    return [
        reverse("account_login"),
        reverse("account_signup"),
        reverse("account_reset_password"),
        reverse("communities:directory"),
        open_community.get_absolute_url(),
    ]


# --- CSRF --------------------------------------------------------------------------------------


def test_csrf_login_post_without_token_is_refused():
    verified_user(username="grace")
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("account_login"), {"login": "grace", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_csrf_join_post_without_token_is_refused(open_community):
    user = verified_user()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(reverse("communities:join", args=[open_community.slug]))
    assert response.status_code == 403
    assert not open_community.memberships.filter(user=user).exists()


def test_csrf_login_post_with_token_is_accepted():
    verified_user(username="grace")
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("account_login"))
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("account_login"),
        {"login": "grace", "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


# --- Content-Security-Policy and inline script ---------------------------------------------------


def test_csp_header_forbids_inline_script(client, pages):
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        script_src = directive(policy, "script-src")
        assert script_src == ["'self'"], (url, script_src)
        assert "'unsafe-inline'" not in script_src
        assert "'unsafe-eval'" not in script_src
        assert directive(policy, "object-src") == ["'none'"]
        assert directive(policy, "frame-ancestors") == ["'none'"]


def test_pages_have_no_inline_script_or_event_handlers(client, pages):
    user = verified_user()
    signed_in = Client()
    signed_in.force_login(user)
    checked = [(client, url) for url in pages] + [
        (signed_in, reverse("account_email")),
        (signed_in, reverse("account_change_password")),
        (signed_in, reverse("account_logout")),
    ]
    for who, url in checked:
        html = who.get(url).content.decode()
        for attrs, body in SCRIPT_TAG.findall(html):
            assert "src=" in attrs, f"inline <script> on {url}: {attrs!r}"
            assert not body.strip(), f"inline script body on {url}"
        assert not INLINE_HANDLER.search(html), f"inline event handler on {url}"


# --- login throttling --------------------------------------------------------------------------


def test_login_throttle_locks_account_after_failed_attempts(client):
    verified_user(username="grace")
    url = reverse("account_login")
    for _ in range(5):  # ACCOUNT_RATE_LIMITS["login_failed"]: 5 per 5 minutes per login
        response = client.post(url, {"login": "grace", "password": "wrong"})
        assert response.status_code == 200
    # Now even the right password is refused for a while.
    response = client.post(url, {"login": "grace", "password": PASSWORD})
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_throttle_answers_429_after_many_posts_from_one_ip(client):
    url = reverse("account_login")
    statuses = [
        client.post(url, {"login": f"nobody{i}", "password": "wrong"}).status_code
        for i in range(31)  # ACCOUNT_RATE_LIMITS["login"]: 30 per minute per IP
    ]
    assert statuses[-1] == 429
    assert 429 not in statuses[:10]
    response = client.post(url, {"login": "nobody", "password": "wrong"})
    assert response.status_code == 429
    assert 'class="site-header"' in response.content.decode()  # our page, not a bare one


def test_admin_login_redirects_to_throttled_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert parse_qs(urlsplit(response.url).query)["next"] == ["/admin/"]


def test_admin_login_post_does_not_log_in(client):
    admin = make_admin()
    response = client.post(
        "/admin/login/", {"username": admin.username, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


# --- next= redirects ---------------------------------------------------------------------------


OFFSITE = ["https://evil.example/", "//evil.example/", "/\\evil.example/", "http:evil.example"]


@pytest.mark.parametrize("next_url", OFFSITE)
def test_login_next_offsite_is_ignored(client, next_url):
    verified_user(username="grace")
    response = client.post(
        reverse("account_login"), {"login": "grace", "password": PASSWORD, "next": next_url}
    )
    assert response.status_code == 302
    assert response.url == reverse("communities:directory")


def test_login_next_on_site_is_followed(client, open_community):
    verified_user(username="grace")
    target = open_community.get_absolute_url()
    response = client.post(
        reverse("account_login"), {"login": "grace", "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response.url == target


@pytest.mark.parametrize("next_url", OFFSITE)
def test_logout_next_offsite_is_ignored(client, next_url):
    client.force_login(verified_user())
    response = client.post(reverse("account_logout"), {"next": next_url})
    assert response.status_code == 302
    assert "evil.example" not in response.url


# --- production settings -----------------------------------------------------------------------


def production_env(**extra) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="practica.example",
        DJANGO_SETTINGS_MODULE="config.settings.default",
    )
    env.update(extra)
    return env


def test_production_settings_tighten_cookies_and_hsts():
    probe = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS,"
        " s.SECURE_SSL_REDIRECT)"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {probe}"],
        cwd=BASE_DIR,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    debug, session_secure, csrf_secure, hsts, ssl_redirect = result.stdout.split()
    assert debug == "False"
    assert session_secure == "True"
    assert csrf_secure == "True"
    assert int(hsts) > 0
    assert ssl_redirect == "True"


def test_production_settings_pass_check_deploy_without_warnings(collected_static_root):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=production_env(STATIC_ROOT=str(collected_static_root)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output
    assert "System check identified no issues" in output


def test_production_settings_refuse_to_start_without_secret_key():
    env = production_env()
    del env["SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
