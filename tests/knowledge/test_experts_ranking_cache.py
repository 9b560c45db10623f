"""The experts' ranking kept under the community's ranking token: every change of its inputs
shows on the next request, whichever way it is written."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities.models import Community, Membership, Profile
from communities.services import (
    community_save,
    membership_ban,
    membership_leave,
    profile_for,
    profile_update,
)
from knowledge.fragments import forget_local_sections
from knowledge.models import TagExpertScore
from knowledge.selectors.experts import (
    community_experts,
    community_experts_aggregate,
    forget_local_rankings,
    ranking_token,
)
from practice.services import endorsements
from practice.services import threads as thread_services
from tests.factories import make_admin
from tests.knowledge.test_experts_stored import _normal
from tests.practice.factories import answer, ask, member_of

pytestmark = pytest.mark.django_db


def _history(community):
    members = [member_of(community, username=f"m{i}") for i in range(4)]
    posts = []
    for i in range(6):
        thread = ask(community, members[0], title=f"Q{i}", tags=["heels", f"t{i % 2}"])
        post = answer(thread, members[1 + i % 3])
        endorsements.answer_accept(answer=post, by=members[0])
        endorsements.vote_toggle(post=post, voter=members[0])
        posts.append(post)
    return members, posts


def _url(community, tag=""):
    url = reverse("knowledge:experts", args=[community.slug])
    return f"{url}?tag={tag}" if tag else url


def _forget():
    cache.clear()
    forget_local_rankings()
    forget_local_sections()


def _ranking_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return sum("experts FROM" in q["sql"] or "AS experts" in q["sql"] for q in ctx.captured_queries)


def _assert_fresh(client, community, urls=None):
    """Each page as served now (from the kept ranking where still valid) is byte for byte the
    page rendered with nothing kept, and the selector equals the aggregates over the rows."""
    urls = urls or [_url(community), _url(community, "heels"), _url(community, "t0")]
    served = [client.get(url).content for url in urls]
    _forget()
    assert served == [client.get(url).content for url in urls]
    viewer = AnonymousUser()
    for tag in ("", "heels", "t1"):
        kept = community_experts(community=community, viewer=viewer, tag=tag)
        rows = community_experts_aggregate(community=community, viewer=viewer, tag=tag)
        assert _normal(kept) == _normal(rows), tag
    return served


def _warm(client, community):
    for url in (_url(community), _url(community, "heels"), _url(community, "t0")):
        client.get(url)
    assert _ranking_queries(client, _url(community)) == 0  # kept: no ranking query


def test_ranking_read_again_is_kept_until_a_score_changes(client, open_community):
    members, posts = _history(open_community)
    _forget()
    assert _ranking_queries(client, _url(open_community)) == 1
    assert _ranking_queries(client, _url(open_community)) == 0
    token = ranking_token(open_community.pk)
    thread = ask(open_community, members[0], title="New", tags=["heels"])
    endorsements.answer_accept(answer=answer(thread, members[3]), by=members[0])
    assert ranking_token(open_community.pk) != token
    assert _ranking_queries(client, _url(open_community)) == 1
    _assert_fresh(client, open_community)


def test_new_score_shows_on_next_request(client, open_community):
    members, _ = _history(open_community)
    newcomer = member_of(open_community, username="newcomer")
    _warm(client, open_community)
    assert b"/u/newcomer/" not in client.get(_url(open_community)).content
    thread = ask(open_community, members[0], title="New", tags=["heels"])
    endorsements.answer_accept(answer=answer(thread, newcomer), by=members[0])
    assert b"/u/newcomer/" in client.get(_url(open_community, "heels")).content
    _assert_fresh(client, open_community)


def test_retracted_vote_and_hidden_post_lower_a_score_on_next_request(client, open_community):
    members, posts = _history(open_community)
    admin = make_admin()
    _warm(client, open_community)
    before = client.get(_url(open_community, "heels")).content
    endorsements.vote_toggle(post=posts[0], voter=members[0])  # retracted
    after_vote = _assert_fresh(client, open_community)[1]
    assert after_vote != before
    _warm(client, open_community)
    thread_services.post_hide(post=posts[1], by=admin)
    after_hide = _assert_fresh(client, open_community)[1]
    assert after_hide != after_vote


@pytest.mark.parametrize("how", ["leave", "ban", "queryset_update", "deactivate", "delete"])
def test_member_leaving_or_removed_shows_on_next_request(client, open_community, how):
    members, _ = _history(open_community)
    gone = members[1]
    _warm(client, open_community)
    assert b"/u/m1/" in client.get(_url(open_community)).content
    if how == "leave":
        membership_leave(community=open_community, user=gone)
    elif how == "ban":
        membership = Membership.objects.get(community=open_community, user=gone)
        membership_ban(membership=membership, by=make_admin(), reason="Spam.")
    elif how == "queryset_update":  # a bulk write no service sees: the trigger still does
        Membership.objects.filter(community=open_community, user=gone).update(state="left")
    elif how == "deactivate":
        gone.is_active = False
        gone.save(update_fields=["is_active"])
    else:
        Membership.objects.filter(community=open_community, user=gone).delete()
    served = _assert_fresh(client, open_community)
    assert all(b"/u/m1/" not in page for page in served)


def test_display_name_and_naming_choice_show_on_next_request(client, open_community):
    members, _ = _history(open_community)
    _warm(client, open_community)
    profile_update(profile=profile_for(members[1]), display_name="Renamed Expert")
    served = _assert_fresh(client, open_community)
    assert b"Renamed Expert" in served[0]
    _warm(client, open_community)
    profile_update(
        profile=profile_for(members[2]),
        dashboard_naming=Profile.Naming.UNNAMED,
        details_visible_to=Profile.Visibility.EVERYONE,
        expertise=["heels"],
    )
    served = _assert_fresh(client, open_community)
    assert b"/u/m2/" in served[0]


def test_visibility_change_shows_on_next_request(client, open_community):
    _history(open_community)
    _warm(client, open_community)
    open_community.visibility = Community.Visibility.PRIVATE
    community_save(community=open_community)
    assert client.get(_url(open_community)).status_code == 404
    assert client.get(_url(open_community, "heels")).status_code == 404


def test_ranking_read_inside_a_rolled_back_write_is_never_served(client, open_community):
    members, _ = _history(open_community)
    _warm(client, open_community)
    with pytest.raises(RuntimeError), transaction.atomic():
        TagExpertScore.objects.filter(community=open_community, user=members[1]).delete()
        assert b"/u/m1/" not in client.get(_url(open_community)).content  # kept under a token
        raise RuntimeError("rolled back")
    served = _assert_fresh(client, open_community)
    assert b"/u/m1/" in served[0]


def test_a_members_visit_keeps_the_ranking(client, open_community):
    """A visit writes the membership's last_seen_at: not an input of the ranking, so the kept
    ranking stays (and no version row is written, or locked, at every visit); a change of the
    membership's state still replaces the token."""
    from communities.models import Membership
    from communities.services import membership_seen

    members, _ = _history(open_community)
    _forget()
    _warm(client, open_community)
    token = ranking_token(open_community.pk)
    membership = Membership.objects.get(community=open_community, user=members[1])
    membership_seen(membership=membership)
    membership.request_message = "hello"
    membership.save()  # a save writes every column, the unchanged state included
    assert ranking_token(open_community.pk) == token
    assert _ranking_queries(client, _url(open_community)) == 0
    Membership.objects.filter(pk=membership.pk).update(state=Membership.State.LEFT)
    assert ranking_token(open_community.pk) != token
    _assert_fresh(client, open_community)


def test_a_tag_with_a_space_makes_a_cache_key_without_one(client, open_community):
    """The selected tag's ranking is kept under its digest, not its name: a name with a space
    made Django warn, on every such request, of a key memcached would refuse."""
    import warnings

    from django.core.cache.backends.base import CacheKeyWarning

    asker = member_of(open_community, username="asker")
    for i in range(7):  # more experts than the page shows per tag: the one-tag ranking is read
        thread = ask(open_community, asker, title=f"Wound {i}", tags=["wound care"])
        post = answer(thread, member_of(open_community, username=f"nurse{i}"))
        endorsements.answer_accept(answer=post, by=asker)
    _forget()
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        response = client.get(_url(open_community, "wound care"))
    assert response.status_code == 200
    assert b"/u/nurse6/" in response.content


def test_warm_page_reads_the_people_shown_and_their_expertise_in_one_query(client, open_community):
    """A warm anonymous page: the community, the tag counts with the token, and the people shown
    with the expertise they declare (was two queries); who may see a declared tag is asked only
    when someone shown declares one, and the badge still shows."""
    members, _ = _history(open_community)
    _warm(client, open_community)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(_url(open_community))
    assert response.status_code == 200 and b"/u/m1/" in response.content
    assert len(ctx.captured_queries) == 3
    badges = response.content.count(b"Says so too")  # the page's explanation names it too
    profile_update(
        profile=profile_for(members[1]),
        details_visible_to=Profile.Visibility.EVERYONE,
        expertise=["heels"],
    )
    client.get(_url(open_community))
    with CaptureQueriesContext(connection) as ctx:
        served = client.get(_url(open_community)).content
    assert len(ctx.captured_queries) == 4
    _forget()
    assert served == client.get(_url(open_community)).content
    assert served.count(b"Says so too") > badges
