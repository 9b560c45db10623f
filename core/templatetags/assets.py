"""``{% asset 'css/practica.css' %}``: ``{% static %}``'s output, worked out once per process.

Every page's header links seven static files; ``{% static %}`` asks the storage for each URL on
every request (quoting, joining, the manifest's lookup in production), about 30 µs apiece, a
tenth of a cheap page's CPU (bench/thread_pages.py). The storage's answer for a path does not
change while the process runs (its manifest is read once), only when the settings it depends on
change (tests): then the kept URLs are forgotten.
"""

from functools import lru_cache

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.utils.html import conditional_escape

register = template.Library()

_SETTINGS = {"STATIC_URL", "STATIC_ROOT", "STORAGES", "STATICFILES_DIRS", "FORCE_SCRIPT_NAME"}


@lru_cache(maxsize=256)
def asset_url(path: str) -> str:
    """The escaped URL ``{% static path %}`` writes."""
    return conditional_escape(static(path))


@receiver(setting_changed)
def _forget_urls(*, setting, **kwargs) -> None:
    if setting in _SETTINGS:
        asset_url.cache_clear()


class AssetNode(template.Node):
    def __init__(self, path: str):
        self.path = path

    def render(self, context) -> str:
        return asset_url(self.path)


@register.tag
def asset(parser, token) -> AssetNode:
    bits = token.split_contents()
    if len(bits) != 2 or len(bits[1]) < 3 or bits[1][0] not in "'\"" or bits[1][-1] != bits[1][0]:
        raise template.TemplateSyntaxError("{% asset %} takes one quoted path")
    return AssetNode(bits[1][1:-1])
