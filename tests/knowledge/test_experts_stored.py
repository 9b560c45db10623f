"""Stored expert scores: after any history of answers, accepts, votes, hides, restores, moves,
retags, items, departures and deletes, the page read from the stored scores equals the one
worked out by aggregates over the rows (the page as it was); the fill command rebuilds them; the
page's queries stay few."""

import contextlib

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from communities.models import Membership
from knowledge.models import ExpertSource, Item, TagExpertScore, TagUse
from knowledge.selectors.experts import (
    community_experts,
    community_experts_aggregate,
    forget_local_rankings,
    likely_answerers,
    likely_answerers_aggregate,
    stored_scores_differences,
)
from knowledge.services.curation import item_archive
from knowledge.services.experts import experts_fill
from knowledge.services.items import item_edit
from practice.models import Post, Thread
from practice.services import endorsements, moderation
from practice.services import threads as thread_services
from tests.factories import CommunityFactory, make_admin
from tests.knowledge.kb_helpers import published_item
from tests.practice.factories import answer, ask, member_of

pytestmark = pytest.mark.django_db

# "Heels" and "heels" are one tag key; items have their own tag table, so "Skin" there too.
THREAD_TAGS = ["heels", "Heels", "skin", "sacrum"]
ITEM_TAGS = ["heels", "Skin", "wounds"]


def _normal(page):
    def tag(t):
        experts = [
            (e.user_id, e.accepted, e.helpful, e.items, e.edits, e.declared) for e in t.experts
        ]
        return (t.name.casefold(), t.questions, t.unanswered, t.expert_count, experts)

    return (
        [tag(t) for t in page.tags],
        [tag(t) for t in page.without_expert],
        page.tag_count,
        page.selected and page.selected.name.casefold(),
    )


def assert_same_as_rows(community, viewer):
    assert stored_scores_differences(community=community) == []
    # No row left at zero: the listeners leave the rows a fill from scratch would make.
    assert not TagExpertScore.objects.filter(accepted=0, helpful=0, items=0, edits=0).exists()
    assert not TagUse.objects.filter(questions=0, unanswered=0, uses=0).exists()
    page = community_experts(community=community, viewer=viewer)
    assert _normal(page) == _normal(community_experts_aggregate(community=community, viewer=viewer))
    for key in ["", "HEELS", "skin", "missing", *(t.name for t in page.tags)]:
        stored = community_experts(community=community, viewer=viewer, tag=key)
        rows = community_experts_aggregate(community=community, viewer=viewer, tag=key)
        assert _normal(stored) == _normal(rows), key
    for thread in Thread.objects.filter(community=community):
        tag_names = list(thread.tags.names()) + ["HEELS"]
        stored = likely_answerers(thread=thread, tag_names=tag_names, viewer=viewer)
        rows = likely_answerers_aggregate(thread=thread, tag_names=tag_names, viewer=viewer)
        assert [_answerer(e) for e in stored] == [_answerer(e) for e in rows], thread.pk


def _answerer(e):
    return (e.user_id, e.accepted, e.helpful, e.items, e.edits, e.declared)


operation = st.one_of(
    st.tuples(st.just("ask"), st.integers(0, 5), st.sets(st.sampled_from(THREAD_TAGS))),
    st.tuples(st.just("answer"), st.integers(0, 50), st.integers(0, 5)),
    st.tuples(st.just("accept"), st.integers(0, 50), st.integers(0, 50)),
    st.tuples(st.just("unaccept"), st.integers(0, 50)),
    st.tuples(st.just("vote"), st.integers(0, 50), st.integers(0, 5)),
    st.tuples(st.just("hide"), st.integers(0, 50)),
    st.tuples(st.just("restore"), st.integers(0, 50)),
    st.tuples(st.just("move"), st.integers(0, 50)),
    st.tuples(st.just("retag"), st.integers(0, 50), st.sets(st.sampled_from(THREAD_TAGS))),
    st.tuples(st.just("item"), st.integers(0, 5), st.sets(st.sampled_from(ITEM_TAGS))),
    st.tuples(st.just("edit_item"), st.integers(0, 50), st.sets(st.sampled_from(ITEM_TAGS))),
    st.tuples(st.just("archive"), st.integers(0, 50)),
    st.tuples(st.just("leave"), st.integers(0, 5)),
    st.tuples(st.just("delete"), st.integers(0, 50)),
)


def _pick(rows, i):
    return rows[i % len(rows)] if rows else None


def _run(op, *, communities, members, admin):
    name, *args = op
    home = communities[0]
    threads = list(Thread.objects.filter(community__in=communities).order_by("pk"))
    posts = list(Post.objects.filter(community__in=communities).order_by("pk"))
    items = list(Item.objects.filter(community__in=communities).order_by("pk"))
    if name == "ask":
        ask(home, members[args[0]], title="Q", tags=sorted(args[1]))
    elif name == "answer" and (thread := _pick(threads, args[0])):
        answer(thread, members[args[1]])
    elif name == "accept" and (thread := _pick(threads, args[0])):
        answers = [p for p in posts if p.thread_id == thread.pk and p.is_answer]
        if answers:
            endorsements.answer_accept(answer=_pick(answers, args[1]), by=admin)
    elif name == "unaccept" and (thread := _pick(threads, args[0])):
        endorsements.answer_unaccept(thread=thread, by=admin)
    elif name == "vote" and (post := _pick(posts, args[0])):
        endorsements.vote_toggle(post=post, voter=members[args[1]])
    elif name == "hide" and (post := _pick(posts, args[0])):
        thread_services.post_hide(post=post, by=admin)
    elif name == "restore" and (post := _pick(posts, args[0])):
        thread_services.post_restore(post=post, by=admin)
    elif name == "move" and (thread := _pick(threads, args[0])):
        to = communities[1] if thread.community_id == home.pk else home
        moderation.thread_move(thread=thread, to_community=to, by=admin)
    elif name == "retag" and (thread := _pick(threads, args[0])):
        opening = Post.objects.get(thread=thread, is_opening=True)
        thread_services.post_edit(post=opening, by=admin, body="Edited.", tags=sorted(args[1]))
    elif name == "item":
        published_item(home, members[args[0]], admin, tags=sorted(args[1]))
    elif name == "edit_item" and (item := _pick(items, args[0])):
        item_edit(
            item=item, by=admin, kind=item.kind, title=item.title, summary="Changed.",
            body=item.body, tag_names=sorted(args[1]),
        )  # fmt: skip
    elif name == "archive" and (item := _pick(items, args[0])):
        item_archive(item=item, by=admin, comment="Old.")
    elif name == "leave":
        Membership.objects.filter(community=home, user=members[args[0]]).update(state="left")
    elif name == "delete" and (thread := _pick(threads, args[0])):
        thread.delete()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=st.lists(operation, min_size=1, max_size=18))
def test_stored_page_equals_the_aggregates_after_any_history(history):
    communities = [CommunityFactory(visibility="open"), CommunityFactory(visibility="open")]
    members = [member_of(communities[0]) for _ in range(6)]
    for member in members[:3]:
        Membership.objects.get_or_create(
            community=communities[1], user=member, defaults={"state": Membership.State.ACTIVE}
        )
    admin = make_admin()
    for op in history:
        with contextlib.suppress(ValidationError, PermissionDenied):
            _run(op, communities=communities, members=members, admin=admin)
    for community in communities:
        for viewer in (AnonymousUser(), members[0], admin):
            assert_same_as_rows(community, viewer)


def _history(community):
    members = [member_of(community, username=f"m{i}") for i in range(4)]
    admin = make_admin()
    for i in range(6):
        thread = ask(community, members[0], title=f"Q{i}", tags=["heels", f"t{i % 2}"])
        post = answer(thread, members[1 + i % 3])
        endorsements.answer_accept(answer=post, by=members[0])
        endorsements.vote_toggle(post=post, voter=members[0])
    published_item(community, members[2], admin, tags=["heels"])
    return members, admin


def test_fill_rebuilds_what_the_listeners_keep_and_check_finds_drift(open_community):
    _history(open_community)
    kept = sorted(
        TagExpertScore.objects.values_list("tag_key", "user_id", "points", "accepted", "helpful")
    )
    assert kept and ExpertSource.objects.exists() and TagUse.objects.exists()
    call_command("experts_fill", "--check")
    TagExpertScore.objects.all().delete()
    with pytest.raises(CommandError):
        call_command("experts_fill", "--check")
    assert stored_scores_differences(community=open_community)
    call_command("experts_fill")
    call_command("experts_fill", "--check")
    filled = sorted(
        TagExpertScore.objects.values_list("tag_key", "user_id", "points", "accepted", "helpful")
    )
    assert filled == kept
    assert experts_fill() == (6, 1)


def test_deleting_a_thread_or_a_community_removes_their_scores(open_community):
    members, _ = _history(open_community)
    Thread.objects.filter(community=open_community).first().delete()
    assert stored_scores_differences(community=open_community) == []
    open_community.delete()
    assert not TagExpertScore.objects.exists() and not TagUse.objects.exists()
    assert not ExpertSource.objects.exists()


def test_private_page_and_declared_expertise_unchanged(client, private_community):
    members, _ = _history(private_community)
    url = reverse("knowledge:experts", args=[private_community.slug])
    assert client.get(url).status_code == 404
    client.force_login(members[0])
    response = client.get(url)
    assert response.status_code == 200 and "/u/m1/" in response.content.decode()


@pytest.mark.parametrize("tag", ["", "heels"])
def test_experts_page_queries_stay_few(client, open_community, django_assert_max_num_queries, tag):
    members, _ = _history(open_community)
    client.force_login(members[0])
    url = reverse("knowledge:experts", args=[open_community.slug])
    url = f"{url}?tag={tag}" if tag else url
    client.get(url)  # warm caches (content types, the session)
    small = []
    for _ in ("cold", "warm"):  # the ranking read anew, then from the copy under its token
        if not small:
            cache.clear()
            forget_local_rankings()
        with django_assert_max_num_queries(13) as captured:
            response = client.get(url)
        assert response.status_code == 200 and "/u/m1/" in response.content.decode()
        small.append(len(captured))
    for i in range(30):  # many more questions, tags and experts: no more queries
        thread = ask(open_community, members[0], title=f"More {i}", tags=[f"x{i}", "heels"])
        endorsements.answer_accept(answer=answer(thread, members[1 + i % 3]), by=members[0])
    for most in small:  # the new scores changed the token: the first request ranks anew
        with django_assert_max_num_queries(most):
            assert client.get(url).status_code == 200


def test_likely_answerers_count_every_name_of_a_tag_key(open_community):
    # Tags are stored lower-cased, but a tag's key is its casefold (as on the experts page): the
    # names "straße" and "strasse" ("STRASSE" typed) are one key. A thread tagged either gets
    # the scores under both, from the stored scores and in the aggregates alike (these once
    # matched the names exactly, so they missed the other name and disagreed with the page).
    community = open_community
    admin = make_admin()
    asker, ana, cam = (member_of(community, username=name) for name in ("asker", "ana", "cam"))
    solved = ask(community, asker, title="Solved", tags=["Straße"])
    endorsements.answer_accept(answer=answer(solved, ana), by=asker)
    published_item(community, cam, admin, tags=["STRASSE"])
    published_item(community, cam, admin, tags=["Skin"])
    thread = ask(community, asker, title="Open", tags=["strasse", "skin"])
    tag_names = list(thread.tags.names())
    assert sorted(tag_names) == ["skin", "strasse"] and list(solved.tags.names()) == ["straße"]
    expected = [(cam.pk, 0, 0, 2, 0, False), (ana.pk, 1, 0, 0, 0, False)]
    for read in (likely_answerers, likely_answerers_aggregate):
        for names in (tag_names, ["STRASSE", "Skin"], ["straße", "skin"]):
            found = read(thread=thread, tag_names=names, viewer=AnonymousUser())
            assert [_answerer(e) for e in found] == expected, (read.__name__, names)
    # The page too counts the two names as one tag: ana's accepted answer under "straße".
    page = community_experts(community=community, viewer=AnonymousUser(), tag="STRASSE")
    assert [(e.user_id, e.accepted) for e in page.selected.experts] == [(ana.pk, 1)]
