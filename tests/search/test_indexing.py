"""The index follows the content: every write path of threads, posts, items and members."""

from io import StringIO

import pytest
from django.core.management import call_command

from communities import services as community_services
from communities.models import Membership, Profile
from practice.services import endorsements, moderation
from practice.services import threads as thread_services
from search import indexing
from search.models import TEXT_MAX_CHARS, SearchEntry
from tests.factories import CommunityFactory, ProfessionalGroupFactory, UserFactory, make_admin
from tests.practice.factories import answer, ask, discuss, member_of, moderator_of
from tests.search.helpers import entries, kinds_and_ids, make_item

pytestmark = pytest.mark.django_db
Kind = SearchEntry.Kind


def test_thread_create_indexes_thread_with_its_opening_post_and_tags(open_community):
    author = member_of(open_community)
    thread = ask(
        open_community,
        author,
        title="Sacral wound care",
        body="Any **tips** on foam?",
        tags=["wounds", "foam dressings"],
    )
    entry = SearchEntry.objects.get(kind=Kind.THREAD, object_id=thread.pk)
    assert entry.title == "Sacral wound care"
    assert entry.text == "Any tips on foam?"  # the words of the rendered HTML, no markup
    assert entry.tags == ["foam dressings", "wounds"]
    assert entry.community == open_community and entry.thread_id == thread.pk
    assert entry.is_solved is False
    # The opening post is the thread's text, not an entry of its own.
    assert not entries(kind=Kind.POST).exists()


def test_discussions_are_neither_solved_nor_unsolved(open_community):
    thread = discuss(open_community, member_of(open_community))
    assert SearchEntry.objects.get(kind=Kind.THREAD, object_id=thread.pk).is_solved is None


def test_post_create_and_edit_update_the_index(open_community):
    thread = ask(open_community, member_of(open_community))
    helper = member_of(open_community)
    post = answer(thread, helper, body="Use a *silicone* border.")
    entry = SearchEntry.objects.get(kind=Kind.POST, object_id=post.pk)
    assert entry.text == "Use a silicone border." and entry.title == thread.title
    thread_services.post_edit(post=post, by=helper, body="Use a hydrocolloid.")
    assert SearchEntry.objects.get(kind=Kind.POST, object_id=post.pk).text == "Use a hydrocolloid."


def test_editing_the_opening_post_reindexes_title_tags_and_posts(open_community):
    author = member_of(open_community)
    thread = ask(open_community, author, tags=["old"])
    post = answer(thread, member_of(open_community))
    thread_services.post_edit(
        post=thread.opening_post, by=author, body="New body", title="New title", tags=["new"]
    )
    thread_entry = SearchEntry.objects.get(kind=Kind.THREAD, object_id=thread.pk)
    post_entry = SearchEntry.objects.get(kind=Kind.POST, object_id=post.pk)
    assert (thread_entry.title, thread_entry.text, thread_entry.tags) == (
        "New title",
        "New body",
        ["new"],
    )
    assert (post_entry.title, post_entry.tags) == ("New title", ["new"])


def test_hiding_and_restoring_posts_and_threads(open_community):
    moderator = moderator_of(open_community)
    thread = ask(open_community, member_of(open_community))
    post = answer(thread, member_of(open_community))
    thread_services.post_hide(post=post, by=moderator)
    assert not entries(kind=Kind.POST, object_id=post.pk).exists()
    thread_services.post_restore(post=post, by=moderator)
    assert entries(kind=Kind.POST, object_id=post.pk).exists()
    # Hiding the opening post hides the thread: the thread and all its posts leave the index.
    thread_services.post_hide(post=thread.opening_post, by=moderator)
    assert not entries(thread=thread).exists()
    thread_services.post_restore(post=thread.opening_post, by=moderator)
    assert kinds_and_ids(entries(thread=thread)) == [("post", post.pk), ("thread", thread.pk)]


def test_moderation_content_hide_removes_the_post(open_community):
    moderator = moderator_of(open_community)
    thread = ask(open_community, member_of(open_community))
    post = answer(thread, member_of(open_community))
    moderation.content_hide(post=post, by=moderator)
    assert not entries(kind=Kind.POST, object_id=post.pk).exists()


def test_accepting_marks_thread_and_posts_solved_and_unaccepting_reverts(open_community):
    asker = member_of(open_community)
    thread = ask(open_community, asker)
    post = answer(thread, member_of(open_community))
    endorsements.answer_accept(answer=post, by=asker)
    assert set(entries(thread=thread).values_list("is_solved", flat=True)) == {True}
    endorsements.answer_unaccept(thread=thread, by=asker)
    assert set(entries(thread=thread).values_list("is_solved", flat=True)) == {False}


def test_hiding_the_accepted_answer_unsolves_the_thread_entry(open_community):
    asker, moderator = member_of(open_community), moderator_of(open_community)
    thread = ask(open_community, asker)
    post = answer(thread, member_of(open_community))
    endorsements.answer_accept(answer=post, by=asker)
    thread_services.post_hide(post=post, by=moderator)
    assert SearchEntry.objects.get(kind=Kind.THREAD, object_id=thread.pk).is_solved is False


def test_moving_a_thread_moves_its_entries(open_community, request_community):
    moderator = moderator_of(open_community)
    community_services.membership_appoint(
        community=request_community,
        user=moderator,
        role="moderator",
        by=make_admin(),
    )
    thread = ask(open_community, member_of(open_community))
    answer(thread, member_of(open_community))
    moderation.thread_move(thread=thread, to_community=request_community, by=moderator)
    assert set(entries(thread=thread).values_list("community", flat=True)) == {request_community.pk}


def test_locking_keeps_the_thread_indexed(open_community):
    moderator = moderator_of(open_community)
    thread = ask(open_community, member_of(open_community))
    moderation.thread_set_locked(thread=thread, by=moderator, locked=True)
    assert entries(kind=Kind.THREAD, object_id=thread.pk).exists()


def test_huge_bodies_are_indexed_by_their_first_part(open_community):
    thread = ask(open_community, member_of(open_community))
    post = answer(thread, member_of(open_community))
    # More than the forms allow, written around them (an import, the admin): still indexed.
    from practice.models import Post

    Post.objects.filter(pk=post.pk).update(body_html="<p>" + "word " * 60_000 + "</p>")
    indexing.post_changed(post.pk)
    entry = SearchEntry.objects.get(kind=Kind.POST, object_id=post.pk)
    assert len(entry.text) == TEXT_MAX_CHARS
    assert len(Post.objects.get(pk=post.pk).body_html) > 300_000  # the full body stays


def test_markers_and_markup_never_reach_the_index(open_community):
    thread = ask(
        open_community, member_of(open_community), body="a \ue000b\ue001 <script>x</script>"
    )
    text = SearchEntry.objects.get(kind=Kind.THREAD, object_id=thread.pk).text
    assert "\ue000" not in text and "\ue001" not in text
    assert "<script>" in text  # Markdown escaped it: it is text, shown escaped in snippets


def test_only_published_items_are_indexed(open_community):
    author = member_of(open_community)
    proposed = make_item(open_community, author, title="Checklist", state="proposed")
    assert not entries(kind=Kind.ITEM).exists()
    published = make_item(
        open_community,
        author,
        title="Wound photo guide",
        summary="How to photograph.",
        body="Use a ruler.",
        kind="artefact",
        tags=["photos"],
    )
    entry = SearchEntry.objects.get(kind=Kind.ITEM, object_id=published.pk)
    assert (entry.title, entry.item_kind, entry.tags) == (
        "Wound photo guide",
        "artefact",
        ["photos"],
    )
    assert entry.text == "How to photograph.\n\nUse a ruler."
    published.state = "archived"
    published.save()
    indexing.item_changed(published.pk)
    assert not entries(kind=Kind.ITEM).exists()
    published.delete()
    proposed.delete()
    indexing.item_changed(published.pk or 0)  # gone: harmless


def _member_entry(user, community):
    return SearchEntry.objects.get(kind=Kind.MEMBER, user=user, community=community)


def test_members_are_indexed_per_active_membership_with_public_details_only(
    open_community, request_community
):
    user = UserFactory(username="ada")
    group = ProfessionalGroupFactory(name="Nurses", slug="nurses")
    community_services.membership_join(community=open_community, user=user)
    community_services.profile_update(
        profile=user.profile,
        display_name="Ada L.",
        occupation="Tissue viability nurse",
        professional_group=group,
        expertise=["pressure ulcers"],
        details_visible_to=Profile.Visibility.COMMUNITIES,
    )
    entry = _member_entry(user, open_community)
    assert entry.title == "Ada L."
    assert "Nurses" in entry.text and "@ada" in entry.text
    # Shown to her communities only (expertise too, like occupation): not indexed.
    assert "Tissue viability" not in entry.text
    assert entry.tags == []
    community_services.profile_update(
        profile=user.profile, details_visible_to=Profile.Visibility.EVERYONE
    )
    assert "Tissue viability nurse" in _member_entry(user, open_community).text
    assert _member_entry(user, open_community).tags == ["pressure ulcers"]
    # A pending request is not a membership yet.
    community_services.membership_request(community=request_community, user=user)
    assert not entries(kind=Kind.MEMBER, community=request_community).exists()


def test_leaving_and_bans_remove_the_member_entry(open_community):
    moderator = moderator_of(open_community)
    user, other = UserFactory(), UserFactory()
    for person in (user, other):
        community_services.membership_join(community=open_community, user=person)
    assert entries(kind=Kind.MEMBER, user=user).exists()
    community_services.membership_leave(community=open_community, user=user)
    assert not entries(kind=Kind.MEMBER, user=user).exists()
    membership = Membership.objects.get(user=other, community=open_community)
    community_services.membership_ban(membership=membership, by=moderator)
    assert not entries(kind=Kind.MEMBER, user=other).exists()


def test_approval_adds_the_member(request_community):
    moderator = moderator_of(request_community)
    user = UserFactory()
    membership = community_services.membership_request(community=request_community, user=user)
    community_services.membership_approve(membership=membership, by=moderator)
    assert entries(kind=Kind.MEMBER, user=user, community=request_community).exists()


def test_rebuild_reproduces_the_incremental_index(open_community, private_community):
    asker = member_of(open_community)
    thread = ask(open_community, asker, tags=["a"])
    post = answer(thread, member_of(open_community))
    endorsements.answer_accept(answer=post, by=asker)
    hidden = answer(thread, member_of(open_community))
    thread_services.post_hide(post=hidden, by=moderator_of(open_community))
    make_item(open_community, asker, title="Item")
    community_services.membership_join(community=open_community, user=UserFactory())
    make_item(private_community, moderator_of(private_community), title="Private item")
    fields = [
        "kind",
        "object_id",
        "community",
        "thread",
        "user",
        "title",
        "text",
        "tag_names",
        "item_kind",
        "is_solved",
        "created_at",
        "updated_at",
    ]
    # Memberships made by the test factories bypass the services: index them first.
    for user_id in Membership.objects.values_list("user_id", flat=True):
        indexing.member_changed(user_id)
    before = sorted(SearchEntry.objects.values_list(*fields))
    SearchEntry.objects.all().delete()
    call_command("rebuild_search_index", stdout=StringIO())
    assert sorted(SearchEntry.objects.values_list(*fields)) == before
    assert len(before) >= 5


def test_rebuild_one_community_leaves_the_others(open_community, request_community):
    ask(open_community, member_of(open_community))
    other = ask(request_community, member_of(request_community))
    SearchEntry.objects.filter(community=open_community).update(title="stale")
    out = StringIO()
    call_command("rebuild_search_index", "--community", open_community.slug, stdout=out)
    assert "Search index rebuilt: 2 entries in 1 community" in out.getvalue()
    assert not entries(title="stale").exists()
    assert entries(kind=Kind.THREAD, object_id=other.pk).exists()


def test_rebuild_unknown_community_is_a_clear_error():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="No community with the slug 'nope'"):
        call_command("rebuild_search_index", "--community", "nope")


def test_indexing_twice_changes_nothing(open_community):
    thread = ask(open_community, member_of(open_community))
    answer(thread, member_of(open_community))
    before = kinds_and_ids()
    indexing.thread_changed(thread.pk)
    indexing.thread_changed(thread.pk)
    assert kinds_and_ids() == before
    indexing.thread_changed(10**9)  # missing: harmless
    indexing.post_changed(10**9)
    indexing.member_changed(10**9)
    assert kinds_and_ids() == before


def test_deleting_a_community_deletes_its_entries():
    community = CommunityFactory()
    ask(community, member_of(community))
    community.delete()
    assert not SearchEntry.objects.exists()
