"""The library and item pages: browsing, empty states, bad input, and query counts that stay
the same for 5 and 200 rows."""

import pytest
from django.urls import reverse

from knowledge.models import Item
from tests.factories import CommunityFactory
from tests.knowledge.ka_helpers import (
    bulk_items,
    bulk_members,
    count_queries,
    fill_item,
    propose,
    publish,
)
from tests.practice.factories import ask, member_of, moderator_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def community():
    return CommunityFactory(slug="wound-care")


def library(slug="wound-care", query=""):
    return reverse("knowledge:library", args=[slug]) + query


def test_library_lists_published_items_only(client, community):
    member, moderator = member_of(community), moderator_of(community)
    shown = publish(community, member, moderator, title="In the library")
    propose(community, member, title="Only a proposal")
    response = client.get(library())
    assert response.status_code == 200
    assert shown.title in response.content.decode()
    assert "Only a proposal" not in response.content.decode()
    assert response.context["page"].paginator.count == 1


def test_library_filters_by_kind_tag_featured_and_sorts(client, community):
    member, moderator = member_of(community), moderator_of(community)
    tool = publish(community, member, moderator, kind="tool", title="A tool", tag_names=["x"])
    story = publish(community, member, moderator, kind="story", title="A story", tag_names=["y"])
    from knowledge.services.curation import item_feature

    item_feature(item=story, by=moderator)
    Item.objects.filter(pk=tool.pk).update(used_count=5)

    def titles(query):
        return [i.title for i in client.get(library(query=query)).context["page"].object_list]

    assert titles("?kind=tool") == ["A tool"]
    assert titles("?tag=y") == ["A story"]
    assert titles("?featured=on") == ["A story"]
    assert titles("?sort=used") == ["A tool", "A story"]
    assert titles("?sort=title") == ["A story", "A tool"]
    # Junk filters are ignored, not errors.
    assert sorted(titles("?kind=poem&sort=nonsense&page=x")) == ["A story", "A tool"]
    page = client.get(library()).content.decode()
    assert "Featured" in page and "Browse by kind" in page and "Browse by tag" in page


def test_library_state_filter_is_for_curators(client, community):
    member, moderator = member_of(community), moderator_of(community)
    propose(community, member, title="Waiting")
    client.force_login(member)
    assert client.get(library(query="?state=proposed")).context["page"].paginator.count == 0
    client.force_login(moderator)
    response = client.get(library(query="?state=proposed"))
    assert [i.title for i in response.context["page"].object_list] == ["Waiting"]
    assert "Waiting for moderators" in response.content.decode()


def test_library_empty_states_say_what_to_do(client, community):
    text = client.get(library()).content.decode()
    assert "The library is empty so far" in text and "Log in" in text
    member = member_of(community)
    client.force_login(member)
    text = client.get(library()).content.decode()
    assert "Propose the first item" in text
    text = client.get(library(query="?kind=tool")).content.decode()
    assert "No item matches these filters" in text and "Show the whole library" in text


def test_library_of_a_private_community_is_hidden(client, private_community, community):
    member = member_of(community)
    client.force_login(member)
    assert client.get(library("sre")).status_code == 404
    client.logout()
    assert client.get(library("sre")).status_code == 404
    assert client.get(library("no-such-community")).status_code == 404


def test_community_header_has_the_library_tab(client, community):
    text = client.get(reverse("practice:thread_list", args=["wound-care"])).content.decode()
    assert f'href="{library()}"' in text
    assert 'aria-current="page">Library' in client.get(library()).content.decode()


def test_my_proposals_shows_states_and_the_moderators_comment(client, community):
    member, moderator = member_of(community), moderator_of(community)
    item = propose(community, member, title="Sent back")
    from knowledge.services.curation import item_request_changes

    item_request_changes(item=item, by=moderator, comment="Add a source, please.")
    propose(community, member_of(community), title="Someone else's")
    client.force_login(member)
    text = client.get(reverse("knowledge:my_proposals", args=["wound-care"])).content.decode()
    assert "Sent back" in text and "Changes requested" in text
    assert "Add a source, please." in text
    assert "Someone else&#x27;s" not in text and "Someone else's" not in text


def test_my_proposals_needs_login(client, community):
    response = client.get(reverse("knowledge:my_proposals", args=["wound-care"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- query counts ------------------------------------------------------------------------------


@pytest.mark.parametrize("viewer_kind", ["anonymous", "member", "moderator"])
def test_library_queries_do_not_grow_with_items(client, viewer_kind):
    counts = []
    for n in (5, 200):
        community = CommunityFactory(slug=f"lib-{n}")
        member, moderator = member_of(community), moderator_of(community)
        bulk_items(community, member, n)
        if viewer_kind != "anonymous":
            client.force_login(member if viewer_kind == "member" else moderator)
        counts.append(
            (
                count_queries(client, library(f"lib-{n}")),
                count_queries(client, library(f"lib-{n}", "?tag=a&sort=used")),
                count_queries(client, library(f"lib-{n}", "?featured=on&kind=story")),
            )
        )
    assert counts[0] == counts[1], counts


def test_library_query_bound(client, django_assert_max_num_queries):
    community = CommunityFactory(slug="bound")
    moderator = moderator_of(community)
    bulk_items(community, moderator, 200)
    client.force_login(moderator)
    with django_assert_max_num_queries(16):
        assert client.get(library("bound")).status_code == 200


@pytest.mark.parametrize("viewer_kind", ["anonymous", "member", "moderator"])
def test_item_page_queries_do_not_grow(client, viewer_kind):
    counts = []
    for n in (5, 200):
        community = CommunityFactory(slug=f"item-{n}")
        member, moderator = member_of(community), moderator_of(community)
        users = bulk_members(community, n, prefix=f"m{n}-")
        thread = ask(community, member)
        item = publish(community, member, moderator, source_thread=thread)
        fill_item(item, users, n)
        if viewer_kind != "anonymous":
            client.force_login(member if viewer_kind == "member" else moderator)
        url = item.get_absolute_url()
        counts.append(count_queries(client, url))
    assert counts[0] == counts[1], counts


def test_my_proposals_queries_do_not_grow(client):
    counts = []
    for n in (5, 200):
        community = CommunityFactory(slug=f"mine-{n}")
        member = member_of(community)
        bulk_items(community, member, n, state="changes_requested")
        client.force_login(member)
        counts.append(
            count_queries(client, reverse("knowledge:my_proposals", args=[community.slug]))
        )
    assert counts[0] == counts[1], counts


def test_history_page_queries_do_not_grow_with_revisions(client):
    counts = []
    for n in (5, 200):
        community = CommunityFactory(slug=f"hist-{n}")
        member, moderator = member_of(community), moderator_of(community)
        users = bulk_members(community, 10, prefix=f"h{n}-")
        item = publish(community, member, moderator)
        fill_item(item, users, 10)
        from knowledge.models import ItemRevision

        extra = n - 10 if n > 10 else 0
        if extra:
            base = ItemRevision.objects.filter(item=item).count()
            ItemRevision.objects.bulk_create(
                [
                    ItemRevision(
                        item=item, number=base + i + 1, kind=item.kind, title=item.title,
                        summary=item.summary, body=f"b {i}", editor=users[i % 10],
                        created_at=item.created_at,
                    )
                    for i in range(extra)
                ]
            )  # fmt: skip
        client.force_login(moderator)
        counts.append(
            count_queries(client, reverse("knowledge:item_history", args=[community.slug, item.pk]))
        )
    assert counts[0] == counts[1], counts
