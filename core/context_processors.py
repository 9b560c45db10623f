from functools import cached_property, lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

# The addresses the site header (templates/base.html) links to on every page, by URL name.
_HEADER_URL_NAMES = {
    "directory": "communities:directory",
    "search": "search:search",
    "notifications": "notifications:notifications",
    "admin": "admin:index",
    "login": "account_login",
    "signup": "account_signup",
    "logout": "account_logout",
    "privacy": "accounts:privacy",
}


@lru_cache(maxsize=64)
def _header_urls(script_prefix: str, urlconf) -> dict[str, str]:
    # reverse() reads the script prefix and the URLconf of the current thread: both are in the
    # key, so a change of either reverses anew.
    return {key: reverse(name) for key, name in _HEADER_URL_NAMES.items()}


@lru_cache(maxsize=4096)
def _profile_url(username: str, script_prefix: str, urlconf) -> str:
    return reverse("communities:profile", args=[username])


class HeaderUrls:
    """The header's fixed addresses, reversed once per process (per script prefix and URLconf)
    rather than about ten times per request; the signed-in member's profile link per username."""

    def __init__(self, user):
        self._user = user

    @cached_property
    def _fixed(self) -> dict[str, str]:
        return _header_urls(get_script_prefix(), get_urlconf())

    def __getitem__(self, key: str) -> str:
        if key == "profile":
            return _profile_url(self._user.get_username(), get_script_prefix(), get_urlconf())
        return self._fixed[key]


def site(request):
    return {
        "SITE_NAME": "Practica",
        "DEBUG": settings.DEBUG,
        "header_urls": HeaderUrls(getattr(request, "user", None)),
    }
