"""Who knows what: experts per tag from accepted answers, helpful votes and repertoire work;
tags with questions but no expert; members only when the community is private; constant
queries."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities.models import Membership, Profile
from communities.services import profile_for, profile_update
from knowledge.selectors.experts import (
    ACCEPTED_POINTS,
    EDIT_POINTS,
    HELPFUL_CAP_PER_ANSWER,
    ITEM_POINTS,
    community_experts,
    forget_local_rankings,
    likely_answerers,
)
from knowledge.services.items import item_edit
from practice.models import Post
from practice.services import endorsements
from practice.services import threads as thread_services
from practice.services.endorsements import post_recount_endorsements
from tests.factories import UserFactory, make_admin, make_member
from tests.knowledge.kb_helpers import declaring_member, published_item, solve
from tests.practice.factories import answer, ask, member_of, moderator_of

pytestmark = pytest.mark.django_db


def experts_of(page, tag):
    found = next(t for t in page.tags if t.name == tag)
    return [(e.user.username, e.points) for e in found.experts]


def test_scores_add_accepted_helpful_items_and_edits(open_community):
    community = open_community
    moderator = moderator_of(community, username="mod")
    asker = member_of(community, username="asker")
    ana, ben, cam = (member_of(community, username=n) for n in ("ana", "ben", "cam"))
    solve(community, asker, ana, ["heels"])
    thread = ask(community, asker, title="Votes", tags=["heels"])
    voted = answer(thread, ben, body="Popular answer")
    voters = [member_of(community) for _ in range(HELPFUL_CAP_PER_ANSWER + 3)]
    for voter in voters:
        endorsements.vote_toggle(post=voted, voter=voter)
    item = published_item(community, cam, moderator, tags=["heels"])
    item_edit(
        item=item, by=moderator, kind=item.kind, title=item.title, summary="Edited.",
        body=item.body, tag_names=["heels"],
    )  # fmt: skip
    page = community_experts(community=community, viewer=AnonymousUser())
    # cam's item (2) and mod's edit (1) stay under the threshold of 3.
    assert experts_of(page, "heels") == [("ben", HELPFUL_CAP_PER_ANSWER), ("ana", ACCEPTED_POINTS)]
    scores = {e.user.username: e for e in next(t for t in page.tags if t.name == "heels").experts}
    assert scores["ben"].helpful == HELPFUL_CAP_PER_ANSWER
    assert "cam" not in scores  # one item (2 points) is under the threshold
    assert scores["ana"].accepted == 1
    solve(community, asker, moderator, ["heels"], title="Mod answers")
    page = community_experts(community=community, viewer=AnonymousUser())
    assert ("mod", ACCEPTED_POINTS + EDIT_POINTS) in experts_of(page, "heels")


def test_item_author_with_an_accepted_answer_is_listed(open_community):
    community = open_community
    moderator = moderator_of(community, username="mod")
    asker, cam = member_of(community, username="asker"), member_of(community, username="cam")
    published_item(community, cam, moderator, tags=["Heels"])
    solve(community, asker, cam, ["heels"])
    page = community_experts(community=community, viewer=AnonymousUser())
    assert experts_of(page, "heels") == [("cam", ACCEPTED_POINTS + ITEM_POINTS)]
    entry = page.tags[0].experts[0]
    assert (entry.accepted, entry.items) == (1, 1)


def test_own_question_hidden_answers_and_former_members_do_not_count(open_community):
    community = open_community
    moderator = moderator_of(community)
    asker = member_of(community, username="asker")
    self_answerer = member_of(community, username="selfie")
    thread = ask(community, self_answerer, title="Mine", tags=["heels"])
    endorsements.answer_accept(answer=answer(thread, self_answerer), by=self_answerer)
    _, hidden = solve(community, asker, member_of(community, username="hid"), ["heels"])
    thread_services.post_hide(post=hidden, by=moderator)
    leaver = member_of(community, username="leaver")
    solve(community, asker, leaver, ["heels"])
    Membership.objects.filter(community=community, user=leaver).update(state="left")
    page = community_experts(community=community, viewer=AnonymousUser())
    assert experts_of(page, "heels") == []
    assert [t.name for t in page.without_expert] == ["heels"]


def test_tags_without_an_expert_and_declared_expertise(open_community):
    community = open_community
    asker = member_of(community, username="asker")
    ana = member_of(community, username="ana")
    profile = profile_for(ana)
    profile.expertise.add("heels")
    solve(community, asker, ana, ["heels"])
    ask(community, asker, title="Nobody knows", tags=["sacrum"])
    ask(community, asker, title="Nobody knows 2", tags=["sacrum"])
    page = community_experts(community=community, viewer=AnonymousUser())
    assert [t.name for t in page.tags] == ["sacrum", "heels"]  # most questions first
    assert [(t.name, t.questions, t.unanswered) for t in page.without_expert] == [("sacrum", 2, 2)]
    heels = next(t for t in page.tags if t.name == "heels")
    assert heels.experts[0].declared is False  # ana shows her details to her communities only
    page = community_experts(community=community, viewer=asker)
    heels = next(t for t in page.tags if t.name == "heels")
    assert heels.experts[0].declared is True


@pytest.mark.parametrize(
    ("viewer", "sees"),
    [
        ("anon", False),
        ("outsider", False),
        ("fellow", True),
        ("self", True),
        ("staff", False),
        ("admin", True),
    ],
)
def test_declared_expertise_follows_who_sees_my_details(client, open_community, viewer, sees):
    community = open_community
    asker = member_of(community, username="asker")
    ana = declaring_member(
        community, "ana", expertise=["heels"], visible_to=Profile.Visibility.COMMUNITIES
    )
    solve(community, asker, ana, ["heels"])
    fresh = ask(community, asker, title="Fresh", tags=["heels"])
    user = {
        "anon": AnonymousUser,
        "outsider": UserFactory,
        "fellow": lambda: member_of(community),
        "self": lambda: ana,
        "staff": lambda: UserFactory(is_staff=True),
        "admin": make_admin,
    }[viewer]()

    def declared():
        page = community_experts(community=community, viewer=user)
        expert = next(t for t in page.tags if t.name == "heels").experts[0]
        answerer = likely_answerers(thread=fresh, tag_names=["heels"], viewer=user)[0]
        assert expert.user == answerer.user == ana
        return expert.declared, answerer.declared

    assert declared() == (sees, sees)
    if viewer != "anon":
        client.force_login(user)
    body = client.get(reverse("knowledge:experts", args=[community.slug])).content.decode()
    assert ("Says so too</span>" in body) is sees
    profile_update(profile=profile_for(ana), details_visible_to=Profile.Visibility.EVERYONE)
    assert declared() == (True, True)


def test_the_declared_badge_is_per_tag(client, open_community):
    """An expert on two tags who lists only one of them as expertise gets the badge in that
    tag's section only (it was per person: shown in every section once any tag matched)."""
    community = open_community
    asker = member_of(community, username="asker")
    ana = declaring_member(
        community, "ana", expertise=["heels"], visible_to=Profile.Visibility.EVERYONE
    )
    solve(community, asker, ana, ["heels"], title="1")
    solve(community, asker, ana, ["sacrum"], title="2")
    page = community_experts(community=community, viewer=AnonymousUser())
    declared = {t.name: [e.declared for e in t.experts] for t in page.tags}
    assert declared == {"heels": [True], "sacrum": [False]}
    fresh = ask(community, asker, title="Both", tags=["heels", "sacrum"])
    [answerer] = likely_answerers(thread=fresh, tag_names=["sacrum", "heels"], viewer=asker)
    assert answerer.declared is True  # the thread's tags together: she lists one of them
    url = reverse("knowledge:experts", args=[community.slug])
    assert client.get(url).content.decode().count("Says so too</span>") == 1
    for tag, badges in (("heels", 1), ("sacrum", 0)):
        body = client.get(url, {"tag": tag}).content.decode()
        assert body.count("Says so too</span>") == badges, tag


def test_likely_answerers_add_up_over_tags_and_skip_the_asker(open_community):
    community = open_community
    asker = member_of(community, username="asker")
    ana, ben = member_of(community, username="ana"), member_of(community, username="ben")
    solve(community, asker, ana, ["heels"], title="1")
    solve(community, asker, ben, ["heels"], title="2")
    solve(community, asker, ben, ["skin"], title="3")
    fresh = ask(community, ana, title="Fresh", tags=["heels", "skin"])
    ranked = likely_answerers(thread=fresh, tag_names=["heels", "skin"], viewer=ana)
    assert [e.user.username for e in ranked] == ["ben"]
    other = ask(community, asker, title="Other", tags=["heels", "skin"])
    ranked = likely_answerers(thread=other, tag_names=["heels", "skin"], viewer=asker)
    assert [(e.user.username, e.points) for e in ranked] == [("ben", 6), ("ana", 3)]


# --- the page -----------------------------------------------------------------------------------


def experts_url(community, tag=""):
    url = reverse("knowledge:experts", args=[community.slug])
    return f"{url}?tag={tag}" if tag else url


def test_experts_page_explains_the_scoring_and_lists_experts(client, open_community):
    community = open_community
    asker, ana = member_of(community, username="asker"), member_of(community, username="ana")
    solve(community, asker, ana, ["heels"])
    ask(community, asker, title="Alone", tags=["lonely"])
    response = client.get(experts_url(community))
    html = response.content.decode()
    assert response.status_code == 200
    assert "How members are ranked" in html and f"{ACCEPTED_POINTS} points" in html
    assert "/u/ana/" in html and "Questions without an expert" in html and "lonely" in html
    one = client.get(experts_url(community, "heels")).content.decode()
    assert "Who knows about “heels”" in one and "/u/ana/" in one


def test_private_experts_never_reach_non_members(client, private_community):
    community = private_community
    asker = member_of(community, username="asker")
    expert = member_of(community, username="canary-expert")
    solve(community, asker, expert, ["canary-tag"])
    for viewer in (None, UserFactory()):
        if viewer is not None:
            client.force_login(viewer)
        response = client.get(experts_url(community))
        assert response.status_code == 404
        assert b"canary" not in response.content
    client.force_login(asker)
    html = client.get(experts_url(community)).content.decode()
    assert "canary-expert" in html


def test_pending_members_of_private_community_see_nothing(client, private_community):
    pending = UserFactory()
    make_member(private_community, pending, state=Membership.State.PENDING)
    client.force_login(pending)
    assert client.get(experts_url(private_community)).status_code == 404


def test_experts_page_queries_do_not_grow(client, open_community):
    community = open_community
    asker = member_of(community)
    experts = [member_of(community) for _ in range(8)]
    counts = []
    made = 0
    for n in (5, 200):
        while made < n:  # n tagged questions over many tags, each solved by an expert
            thread = ask(community, asker, title=f"Q{made}", tags=[f"tag{made % 60}", "all"])
            post = Post.objects.create(
                thread=thread, community=community, author=experts[made % 8], is_answer=True,
                body="A", body_html="<p>A</p>", created_at=thread.created_at,
                helpful_count=made % 7,
            )  # fmt: skip
            thread.accepted_post = post
            thread.answer_count = 1
            thread.save(update_fields=["accepted_post", "answer_count"])
            post_recount_endorsements(post.pk)
            made += 1
        for address in (experts_url(community), experts_url(community, "all")):
            # The ranking read anew (no copy under the community's token), then from the copy.
            cache.clear()
            forget_local_rankings()
            for _ in ("cold", "warm"):
                with CaptureQueriesContext(connection) as ctx:
                    response = client.get(address)
                assert response.status_code == 200
                counts.append(len(ctx.captured_queries))
    assert counts[:4] == counts[4:], counts
    assert counts[1] <= counts[0] and counts[3] <= counts[2], counts


def test_members_page_links_to_experts(client, open_community):
    response = client.get(reverse("communities:members", args=[open_community.slug]))
    assert experts_url(open_community) in response.content.decode()
