"""The experts page's cached tag sections (knowledge.fragments): the same HTML as a fresh
render, rendered once for what they show, the "Says so too" badge per reader, and never stale
after a new score, a rename or a member leaving."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from communities.models import Profile
from communities.services import membership_leave, profile_for, profile_update
from knowledge import fragments
from tests.knowledge.kb_helpers import declaring_member, solve
from tests.practice.factories import member_of

pytestmark = pytest.mark.django_db


def page(client, community, user=None, tag=""):
    if user is None:
        client.logout()
    else:
        client.force_login(user)
    url = reverse("knowledge:experts", args=[community.slug])
    response = client.get(f"{url}?tag={tag}" if tag else url)
    assert response.status_code == 200
    # The masked CSRF token differs on every response.
    return re.sub(r'(csrfmiddlewaretoken" value=")\w+', r"\1", response.content.decode())


@pytest.fixture
def renders(monkeypatch):
    """Counts the tag sections rendered (cache misses)."""
    counted = []
    real = fragments.get_template

    def counting(name):
        template = real(name)

        class Counting:
            def render(self, context):
                counted.append(context["t"].name)
                return template.render(context)

        return Counting()

    monkeypatch.setattr(fragments, "get_template", counting)
    fragments.forget_local_sections()
    yield counted
    fragments.forget_local_sections()


def test_cached_sections_equal_a_fresh_render_and_are_rendered_once(
    client, open_community, renders
):
    community = open_community
    asker = member_of(community, username="asker")
    ana, ben = member_of(community, username="ana"), member_of(community, username="ben")
    solve(community, asker, ana, ["heels"], title="1")
    solve(community, asker, ben, ["skin", "heels"], title="2")
    cache.clear()
    fragments.forget_local_sections()
    cold = page(client, community, asker)
    assert sorted(renders) == ["heels", "skin"]
    warm = page(client, community, asker)
    assert warm == cold
    assert sorted(renders) == ["heels", "skin"]  # nothing rendered again
    assert page(client, community, asker, tag="heels").count('class="expert"') == 2


def test_badge_is_filled_in_for_each_reader_from_one_cached_section(
    client, open_community, renders
):
    community = open_community
    asker = member_of(community, username="asker")
    ana = declaring_member(
        community, "ana", expertise=["heels"], visible_to=Profile.Visibility.COMMUNITIES
    )
    solve(community, asker, ana, ["heels"])
    cache.clear()
    fragments.forget_local_sections()
    assert "Says so too</span>" in page(client, community, asker)
    assert "Says so too</span>" not in page(client, community)  # anonymous: details hidden
    assert "Says so too</span>" in page(client, community, ana)
    assert renders == ["heels"]


def test_a_new_score_a_rename_and_a_departure_show_at_once(client, open_community):
    community = open_community
    asker = member_of(community, username="asker")
    ana, ben = member_of(community, username="ana"), member_of(community, username="ben")
    solve(community, asker, ana, ["heels"], title="1")
    html = page(client, community)
    assert "3 pts" in html and "/u/ben/" not in html
    solve(community, asker, ana, ["heels"], title="2")
    solve(community, asker, ben, ["heels"], title="3")
    html = page(client, community)
    assert "6 pts" in html and "/u/ben/" in html
    profile_update(profile=profile_for(ana), display_name="Ana Wright")
    assert "Ana Wright</a>" in page(client, community)
    membership_leave(community=community, user=ana)
    html = page(client, community)
    assert "Ana Wright" not in html and "/u/ana/" not in html and "/u/ben/" in html


def test_a_page_read_again_comes_from_this_processs_copy(
    client, open_community, renders, monkeypatch
):
    """The second reading needs neither a render nor the shared cache; the badge is still each
    reader's own, and the copy is the same HTML as the shared cache's."""
    community = open_community
    asker = member_of(community, username="asker")
    ana = declaring_member(
        community, "ana", expertise=["heels"], visible_to=Profile.Visibility.COMMUNITIES
    )
    ben = member_of(community, username="ben")
    solve(community, asker, ana, ["heels"], title="1")
    solve(community, asker, ben, ["skin", "heels"], title="2")
    cache.clear()
    member_html, anonymous_html = page(client, community, asker), page(client, community)
    assert sorted(renders) == ["heels", "skin"]
    fragments.forget_local_sections()
    assert page(client, community) == anonymous_html  # from the shared cache
    assert sorted(renders) == ["heels", "skin"]

    def no_shared_cache(*args, **kwargs):
        raise AssertionError("read from the shared cache")

    monkeypatch.setattr(fragments.cache, "get_many", no_shared_cache)
    assert page(client, community) == anonymous_html
    assert page(client, community, asker) == member_html
    assert "Says so too</span>" in member_html and "Says so too</span>" not in anonymous_html
    assert sorted(renders) == ["heels", "skin"]
    # A new score is a new page key: read anew (the shared cache, then rendered), not the copy.
    monkeypatch.undo()
    solve(community, asker, ben, ["skin"], title="3")
    assert "6 pts" in page(client, community)
