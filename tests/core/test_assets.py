"""``{% asset %}`` writes what ``{% static %}`` writes, and follows a change of the settings."""

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.test import override_settings

from core.templatetags.assets import asset_url

PATHS = ["css/practica.css", "img/favicon.svg", "js/a file&more.js"]


def _render(source: str) -> str:
    return Template(source).render(Context())


@pytest.mark.parametrize("path", PATHS)
def test_asset_writes_what_static_writes(path):
    assert _render(f"{{% load assets %}}{{% asset '{path}' %}}") == _render(
        f"{{% load static %}}{{% static '{path}' %}}"
    )


def test_asset_follows_a_changed_static_url():
    before = _render("{% load assets %}{% asset 'css/practica.css' %}")
    with override_settings(STATIC_URL="/elsewhere/"):
        assert _render("{% load assets %}{% asset 'css/practica.css' %}") == (
            "/elsewhere/css/practica.css"
        )
    assert _render("{% load assets %}{% asset 'css/practica.css' %}") == before


def test_asset_is_worked_out_once():
    asset_url.cache_clear()
    for _ in range(3):
        _render("{% load assets %}{% asset 'css/practica.css' %}")
    info = asset_url.cache_info()
    assert (info.misses, info.hits) == (1, 2)


@pytest.mark.parametrize(
    "tag", ["{% asset %}", "{% asset css/practica.css %}", "{% asset 'a' 'b' %}"]
)
def test_asset_takes_one_quoted_path(tag):
    with pytest.raises(TemplateSyntaxError):
        Template("{% load assets %}" + tag)
