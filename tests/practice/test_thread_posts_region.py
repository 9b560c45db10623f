"""An anonymous reader's whole post list, cached as one entry (practice.fragments.posts_html): the
same HTML as the per-post path, written once and read whole, and never stale or for anyone else."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince

from communities import services as community_services
from communities.models import Community
from practice import fragments
from practice.selectors.threads import POSTS_PER_PAGE
from practice.services import endorsements
from practice.services import threads as thread_services
from tests.practice.factories import answer, discuss, member_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]


def thread_url(thread, page=None):
    url = reverse("practice:thread", args=[thread.community.slug, thread.pk])
    return f"{url}?page={page}" if page else url


def page_as(client, thread, user=None, page=None) -> str:
    client.logout()
    if user is not None:
        client.force_login(user)
    response = client.get(thread_url(thread, page))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def counted_renders(monkeypatch):
    """How many post lists practice.fragments wrote (render_posts calls) since the last clear."""
    calls = []
    real = fragments.render_posts

    def counting(items, **options):
        calls.append(len(items))
        return real(items, **options)

    monkeypatch.setattr(fragments, "render_posts", counting)
    return calls


@pytest.fixture
def frozen_now(monkeypatch):
    """The pages' "how long ago" texts at a fixed time, so two renders can be compared."""
    now = timezone.now() + timedelta(minutes=5)
    monkeypatch.setattr(fragments.timezone, "now", lambda: now)
    return now


@pytest.fixture
def per_post_path(monkeypatch):
    """Switch the whole-list path off (anonymous readers then take the per-post path)."""

    def switch(off: bool) -> None:
        monkeypatch.setattr(
            fragments, "_whole_list_cached", (lambda page, tools: False) if off else _original
        )

    _original = fragments._whole_list_cached
    return switch


@pytest.fixture
def long_thread(scene):
    """The scene's question with answers and replies over two pages: accepted, voted, edited,
    reported, replies to posts on the same page and on the other page."""
    thread, helper, reader = scene["thread"], scene["helper"], scene["reader"]
    posts = [scene["reply"]]
    for number in range(POSTS_PER_PAGE + 4):
        author = helper if number % 2 else reader
        reply_to = posts[number // 3] if number % 5 == 4 else None
        posts.append(
            answer(thread, author, body=f"Answer <b>{number}</b> & more", reply_to=reply_to)
        )
    endorsements.vote_toggle(post=posts[3], voter=scene["asker"])
    endorsements.adoption_report(post=posts[5], member=scene["asker"], worked=True)
    endorsements.adoption_report(post=posts[5], member=scene["moderator"], worked=False)
    thread_services.post_edit(post=posts[2], by=posts[2].author, body="Edited: *alginate*.")
    endorsements.answer_accept(answer=posts[7], by=scene["asker"])
    community_services.profile_update(
        profile=community_services.profile_for(helper), display_name="Helen <Helper>"
    )
    thread.refresh_from_db()
    return thread


def test_whole_list_equals_the_per_post_path(client, scene, long_thread, frozen_now, per_post_path):
    discussion = discuss(scene["community"], scene["asker"])
    answer(discussion, scene["reader"], body="Sleep first.")
    pages = [(long_thread, None), (long_thread, 2), (long_thread, 99), (discussion, None)]
    per_post_path(True)
    expected = [page_as(client, thread, page=page) for thread, page in pages]
    per_post_path(False)
    for _ in range(2):  # written to the cache, then read from it
        assert [page_as(client, thread, page=page) for thread, page in pages] == expected
    fragments.forget_local_fragments()  # from the shared cache
    assert [page_as(client, thread, page=page) for thread, page in pages] == expected
    assert "Helen &lt;Helper&gt;" in expected[0] and "Answer &lt;b&gt;0" in expected[0]
    assert "Page 2 of 2" in expected[1] and "Page 2 of 2" in expected[2]


def test_whole_list_is_written_once_then_read_whole(client, scene, counted_renders):
    thread = scene["thread"]
    html = page_as(client, thread)
    assert counted_renders == [1, 1]  # the opening post, the answers
    counted_renders.clear()
    assert page_as(client, thread) == html
    assert counted_renders == []
    fragments.forget_local_fragments()
    assert page_as(client, thread) == html  # from the shared cache
    assert counted_renders == []
    # Readers with an account never get it: their controls are written per post.
    reader_html = page_as(client, thread, scene["reader"])
    assert counted_renders == [1, 1]
    assert reader_html != html


def test_whole_list_ages_are_filled_in_per_request(client, scene, monkeypatch):
    thread, reply = scene["thread"], scene["reply"]
    first = page_as(client, thread)
    later = timezone.now() + timedelta(hours=3, minutes=1)
    monkeypatch.setattr(fragments.timezone, "now", lambda: later)
    html = page_as(client, thread)
    assert f"{timesince(reply.created_at, later)} ago" in html
    assert f"{timesince(reply.created_at, later)} ago" not in first
    assert html.count("3\xa0hours") == 2  # the question and the answer


def test_whole_list_never_stale_after_any_change(client, scene):
    """Each change a visitor can see shows on their next request, with the list cached."""
    community, thread, reply = scene["community"], scene["thread"], scene["reply"]
    helper, reader, asker, moderator = (
        scene["helper"],
        scene["reader"],
        scene["asker"],
        scene["moderator"],
    )
    html = page_as(client, thread)
    assert "Silicone foam" in html and '<span class="vote-count">0</span>' in html

    thread_services.post_edit(post=reply, by=helper, body="Hydrocolloid, not foam.")
    html = page_as(client, thread)
    assert "Hydrocolloid, not foam." in html and "Silicone foam" not in html

    endorsements.vote_toggle(post=reply, voter=reader)
    assert '<span class="vote-count">1</span>' in page_as(client, thread)

    endorsements.adoption_report(post=reply, member=reader, worked=True)
    assert "Worked for 1" in page_as(client, thread)

    endorsements.answer_accept(answer=reply, by=asker)
    html = page_as(client, thread)
    assert "✓ Accepted answer" in html and "post-accepted" in html
    thread.refresh_from_db()
    endorsements.answer_unaccept(thread=thread, by=asker)
    assert "✓ Accepted answer" not in page_as(client, thread)

    community_services.profile_update(
        profile=community_services.profile_for(helper), display_name="Helen Helper"
    )
    assert "Helen Helper" in page_as(client, thread)

    later = answer(thread, reader, body="A later answer.", reply_to=reply)
    html = page_as(client, thread)
    assert f'id="post-{later.pk}"' in html and "A later answer." in html

    thread_services.post_hide(post=reply, by=moderator, reason="Off topic")
    html = page_as(client, thread)
    assert "Hydrocolloid" not in html and f'id="post-{reply.pk}"' not in html
    thread_services.post_restore(post=reply, by=moderator)
    assert "Hydrocolloid" in page_as(client, thread)

    thread.refresh_from_db()
    thread_services.post_hide(post=thread.opening_post, by=moderator, reason="Spam")
    client.logout()
    assert client.get(thread_url(thread)).status_code == 404

    thread.refresh_from_db()
    thread_services.post_restore(post=thread.opening_post, by=moderator)
    assert "Hydrocolloid" in page_as(client, thread)
    community.visibility = Community.Visibility.PRIVATE
    community_services.community_save(community=community)
    client.logout()
    assert client.get(thread_url(thread)).status_code == 404


def test_whole_list_is_not_served_to_readers_with_an_account(client, scene):
    """Cached for visitors first, each reader still gets their own controls, and a visitor
    after them gets none."""
    thread, reply = scene["thread"], scene["reply"]
    vote = reverse("practice:post_vote", args=[reply.community.slug, reply.pk])
    edit = reverse("practice:post_edit", args=[reply.community.slug, reply.pk])
    anonymous = page_as(client, thread)
    assert vote not in anonymous and "csrfmiddlewaretoken" not in anonymous
    assert vote in page_as(client, thread, scene["reader"])
    assert edit in page_as(client, thread, scene["helper"])
    assert edit in page_as(client, thread, scene["moderator"])
    assert page_as(client, thread) == anonymous
    assert member_of(scene["community"])  # a new member changes nothing a visitor sees
    assert page_as(client, thread) == anonymous
