from django.template import Context, Template
from django.urls import set_script_prefix

from communities.tabs import community_tabs
from tests.factories import CommunityFactory


def test_apps_above_fill_the_header_tabs_in_order():
    assert [(tab.name, tab.label, tab.moderators_only) for tab in community_tabs()] == [
        ("home", "About", False),
        ("threads", "Threads", False),
        ("library", "Library", False),
        ("members", "Members", False),
        ("experts", "Experts", False),
        ("events", "Events", False),
        ("dashboard", "Dashboard", False),
        ("moderation", "Moderation", True),
        ("moderate", "Requests & invitations", True),
    ]


def test_moderation_tab_is_current_on_the_log_too(db):
    community = CommunityFactory(slug="wound")
    template = Template(
        "{% load community_nav %}{% community_header_tabs community as tabs %}"
        "{% for tab in tabs.moderators %}{{ tab.label }}={{ tab.current }};{% endfor %}"
    )
    shown = template.render(
        Context({"community": community, "can_moderate": True, "active_tab": "moderation_log"})
    )
    assert shown == "Moderation=True;Requests &amp; invitations=False;"
    hidden = Context({"community": community, "can_moderate": False, "active_tab": "home"})
    assert template.render(hidden) == ""


def test_community_link_names_a_url_of_an_app_above():
    template = Template('{% load community_nav %}{% community_link "knowledge.experts" "wound" %}')
    assert template.render(Context()) == "/c/wound/experts/"
    missing = Template('{% load community_nav %}[{% community_link "nobody.nothing" %}]')
    assert missing.render(Context()) == "[]"


def test_tab_urls_follow_the_script_prefix(db):
    community = CommunityFactory(slug="wound")
    template = Template(
        "{% load community_nav %}{% community_header_tabs community as tabs %}"
        "{% for tab in tabs.everyone %}{{ tab.url }};{% endfor %}"
    )
    plain = template.render(Context({"community": community}))
    assert "/c/wound/members/;" in plain
    set_script_prefix("/sub/")
    try:
        prefixed = template.render(Context({"community": community}))
    finally:
        set_script_prefix("/")
    assert prefixed == plain.replace("/c/", "/sub/c/")
    assert template.render(Context({"community": community})) == plain
