"""The site header's links are reversed once per process: same addresses as {% url %}, and a
script prefix (the app mounted under a path) still shows in them."""

from django.template import Context, Template
from django.test import RequestFactory
from django.urls import set_script_prefix

from core.context_processors import site
from tests.factories import UserFactory

NAMES = {
    "directory": "'communities:directory'",
    "search": "'search:search'",
    "notifications": "'notifications:notifications'",
    "admin": "'admin:index'",
    "login": "'account_login'",
    "signup": "'account_signup'",
    "logout": "'account_logout'",
    "profile": "'communities:profile' user.username",
}


def _render_both(user):
    request = RequestFactory().get("/")
    request.user = user
    context = {**site(request), "user": user}
    for key, url_tag in NAMES.items():
        cached = Template("{{ header_urls." + key + " }}").render(Context(context))
        reversed_now = Template("{% url " + url_tag + " %}").render(Context(context))
        assert cached == reversed_now, key
        yield key, cached


def test_header_urls_equal_url_tags(db):
    user = UserFactory(username="ada")
    urls = dict(_render_both(user))
    assert "ada" in urls["profile"]
    other = dict(_render_both(UserFactory(username="bob")))
    assert "bob" in other["profile"] and "ada" not in other["profile"]


def test_header_urls_carry_the_script_prefix(db):
    user = UserFactory(username="ada")
    plain = dict(_render_both(user))
    set_script_prefix("/sub/")
    try:
        prefixed = dict(_render_both(user))
    finally:
        set_script_prefix("/")
    assert all(prefixed[key] == "/sub" + plain[key] for key in plain)
