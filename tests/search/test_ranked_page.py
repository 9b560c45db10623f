"""A search's page comes from one ranking statement (on PostgreSQL) and must show exactly what the
queryset path shows: the same entries in the same order, the same count, the same hits and
snippets, for every page, filter and reader; and the reader's communities are read anew by
each request."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.urls import reverse

from communities import services as community_services
from communities.models import Community
from practice.services import endorsements
from search import selectors
from search.backends import SNIPPET_SOURCE_CHARS
from tests.factories import UserFactory, make_admin, make_member
from tests.practice.factories import answer, ask, member_of
from tests.search.helpers import make_item

pytestmark = pytest.mark.django_db
PAGE = 25

QUERIES = [
    "dressing",
    "foam dressing",
    '"foam dressing"',
    "dressing -silicone",
    "silicone or alginate",
    "tourniquets",
    "sub-optimal",
    "heel",
    "zqxnothing",
]
FILTERS = [
    {},
    {"kind": "post"},
    {"kind": "thread", "solved": True},
    {"kind": "thread", "solved": False},
    {"kind": "item", "item_kind": "tool"},
    {"tag": "foam"},
    {"tag": "fo%"},
    {"tag": "Foam"},
]


@pytest.fixture
def corpus(open_community, request_community, private_community):
    """Threads, answers (some long, with the first hit far in), items and members in an open, a
    request and a private community."""
    filler = " ".join(["granulation tissue observed"] * 60)  # about 1,700 characters
    for community in (open_community, request_community, private_community):
        asker = member_of(community)
        for i in range(8):
            thread = ask(
                community,
                asker,
                title=f"Foam dressing question {i}" if i % 3 else f"Heel offloading {i}",
                body="Which foam dressing? " + ("silicone border" if i % 2 else "alginate"),
                tags=["foam"] if i % 2 else ["heels", "Foam"],
            )
            reply = answer(thread, member_of(community), body=f"A sub-optimal dressing {i}.")
            if i % 3 == 1:
                endorsements.answer_accept(answer=reply, by=asker)
            if i % 4 == 0:
                answer(thread, asker, body=f"{filler} then a tourniquet and a foam dressing.")
            if i % 4 == 1:  # short, but its first hit (inside a word) is past the lead
                medium = " ".join(["granulation"] * 30)
                answer(thread, asker, body=f"{medium} undressed, then a foam dressing.")
            if i % 5 == 0:
                answer(thread, asker, body=f"Undressed {filler} and later dressings, {i}.")
        make_item(community, asker, title="Dressing selection chart", tags=["foam"])
        make_item(community, asker, title="Heel dressing story", kind="story")
        expert = member_of(community)
        community_services.profile_update(
            profile=expert.profile, expertise=["foam dressing"], details_visible_to="everyone"
        )
    return {"private": private_community}


def _readers(corpus):
    return [
        AnonymousUser,
        UserFactory,
        lambda: member_of(corpus["private"]),
        make_admin,
    ]


def _compare(user_factory, q, filters):
    """The page path (ranked pages) against the queryset path, page by page."""
    outcome = selectors.search(user=user_factory(), q=q, filters=selectors.SearchFilters(**filters))
    if outcome.entries is None:
        return 0
    expected = list(outcome.entries)
    assert outcome.total == len(expected)
    pages = outcome.paginatable()
    assert pages.count() == len(expected)
    shown = [
        entry for start in range(0, len(expected), PAGE) for entry in pages[start : start + PAGE]
    ]
    assert [e.pk for e in shown] == [e.pk for e in expected]
    assert [(e.kind, e.object_id) for e in shown] == [(e.kind, e.object_id) for e in expected]
    # Hits (addresses, titles, tags, badges, dates) and snippets are the same.
    assert selectors.hits(shown, outcome) == selectors.hits(expected, outcome)
    return len(expected)


def test_pages_show_what_the_queryset_path_shows(corpus):
    for filters in FILTERS:
        found = 0
        for user_factory in _readers(corpus):
            for q in QUERIES:
                found += _compare(user_factory, q, filters)
        # "fo%" is a whole tag, its "%" a character: nothing has it.
        assert (found > 0) is (filters != {"tag": "fo%"}), filters


def test_pages_and_the_cap_match_with_a_small_ranking_limit(corpus, monkeypatch):
    monkeypatch.setattr(selectors, "MAX_RANKED", 7)
    for user_factory in _readers(corpus):
        outcome = selectors.search(
            user=user_factory(), q="dressing", filters=selectors.SearchFilters()
        )
        assert outcome.capped and outcome.total == 7
        assert _compare(user_factory, "dressing", {}) == 7
        assert _compare(user_factory, "foam dressing", {"kind": "post"}) <= 7


@pytest.mark.postgres  # the snippet source is PostgreSQL's (SQLite reads the whole text)
def test_a_long_text_shows_its_first_hit(corpus):
    outcome = selectors.search(
        user=AnonymousUser(), q="tourniquet", filters=selectors.SearchFilters()
    )
    page = outcome.paginatable()[0:PAGE]
    assert page and all(len(e.snippet_source) <= SNIPPET_SOURCE_CHARS for e in page)
    assert all("<mark>tourniquet</mark>" in hit.snippet for hit in selectors.hits(page, outcome))


def test_the_page_asked_for_is_the_page_paginator_shows(corpus, monkeypatch):
    monkeypatch.setattr(selectors, "MAX_RANKED", 30)
    numbers = ["1", "2", "3", "0", "-1", "abc", "1.5", "99999", "9" * 40, None]
    for number in numbers:
        outcome = selectors.search(
            user=AnonymousUser(), q="dressing", filters=selectors.SearchFilters(), page=number
        )
        expected = Paginator(list(outcome.entries), PAGE).get_page(number)
        page = Paginator(outcome.paginatable(), PAGE).get_page(number)
        assert page.number == expected.number, number
        assert [e.pk for e in page.object_list] == [e.pk for e in expected.object_list]
    assert outcome.total == 30 and expected.number == 1  # None: the first of two pages


def test_a_page_beyond_the_matches_costs_no_second_query(
    client, open_community, django_assert_max_num_queries
):
    ask(open_community, member_of(open_community), title="Gauze once", body="x")
    for number in ["2", "0", "-3", "7"]:
        with django_assert_max_num_queries(3):  # communities, ranking (+ its query on SQLite)
            response = client.get("/search/", {"q": "gauze", "page": number})
        assert response.context["page"].number == 1
        assert "Gauze once" in response.content.decode()


# --- the reader's communities: read once per request, anew by the next one --------------------


def _titles(client, q):
    response = client.get(reverse("search:search"), {"q": q})
    assert response.status_code == 200
    return [hit.title for _, _, hits in response.context["groups"] for hit in hits]


def test_leaving_joining_and_visibility_count_from_the_next_request(client, open_community):
    thread = ask(open_community, member_of(open_community), title="Zqxscope thread", body="x")
    Community.objects.filter(pk=open_community.pk).update(visibility="private")
    outsider = UserFactory()
    client.force_login(outsider)
    assert _titles(client, "zqxscope") == []
    make_member(open_community, outsider)  # (invited: a private community has no "join")
    assert _titles(client, "zqxscope") == [thread.title]  # a member: the next request finds it
    community_services.membership_leave(community=open_community, user=outsider)
    assert _titles(client, "zqxscope") == []  # leaving: the next request does not
    client.logout()
    assert _titles(client, "zqxscope") == []
    Community.objects.filter(pk=open_community.pk).update(visibility="open")
    assert _titles(client, "zqxscope") == [thread.title]  # made open: found by anyone
    Community.objects.filter(pk=open_community.pk).update(visibility="private")
    assert _titles(client, "zqxscope") == []  # made private again: gone at once


# A statement that reads the communities table itself (as the ORM or a plain statement writes
# it), not one that joins it.
_READS_COMMUNITIES = re.compile(r'SELECT [^()]*? FROM "?communities_community"?( |$)')


def test_the_form_and_the_search_share_one_read_of_the_communities(client, open_community):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ask(open_community, member_of(open_community), title="Gauze shared", body="x")
    with CaptureQueriesContext(connection) as ctx:
        client.get("/search/", {"q": "gauze"})
    reads = [q for q in ctx.captured_queries if _READS_COMMUNITIES.match(q["sql"])]
    assert len(reads) == 1


def test_outsiders_never_get_private_entries_from_the_ranked_pages(corpus, private_community):
    seen = set()
    for user_factory in (AnonymousUser, UserFactory):
        for q in QUERIES:
            outcome = selectors.search(user=user_factory(), q=q, filters=selectors.SearchFilters())
            if outcome.entries is None:
                continue
            pages = outcome.paginatable()
            seen |= {entry.community.slug for entry in pages[0 : pages.count()]}
    assert seen == {"wound-care", "physics"}  # the open and the request community only


def test_any_slice_of_the_ranked_entries_is_the_same_slice_of_the_queryset(corpus):
    outcome = selectors.search(user=make_admin(), q="dressing", filters=selectors.SearchFilters())
    expected = [e.pk for e in outcome.entries]
    pages = outcome.paginatable()
    assert len(expected) > 30
    for start, stop in [(0, 3), (2, 5), (24, 27), (0, 1000), (30, 31), (5, 2), (999, 1005)]:
        assert [e.pk for e in pages[start:stop]] == expected[start:stop], (start, stop)
    assert pages[7].pk == expected[7]


def test_a_reader_with_no_readable_community_finds_nothing(client, private_community):
    ask(private_community, member_of(private_community), title="Zqxalone secret", body="x")
    response = client.get(reverse("search:search"), {"q": "zqxalone"})
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0
    assert "Zqxalone" not in response.content.decode()


def test_result_addresses_follow_the_script_prefix(corpus):
    """Result addresses are kept for the process per URLconf and script prefix, so a site
    served under a prefix gets its own."""
    from django.urls import get_script_prefix, set_script_prefix

    outcome = selectors.search(
        user=AnonymousUser(), q="dressing", filters=selectors.SearchFilters()
    )
    page = list(outcome.paginatable()[0:PAGE])
    plain = selectors.hits(page, outcome)
    assert {hit.kind for hit in plain} >= {"thread", "post", "item", "member"}
    old = get_script_prefix()
    set_script_prefix("/practica/")
    try:
        prefixed = selectors.hits(page, outcome)
    finally:
        set_script_prefix(old)
    assert [hit.url for hit in prefixed] == [f"/practica{hit.url}" for hit in plain]
    assert [h.community_url for h in prefixed] == [f"/practica{h.community_url}" for h in plain]
    assert selectors.hits(page, outcome) == plain
