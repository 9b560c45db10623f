"""Long threads come in pages: a link to a post lands on its page, the accepted answer leads
page 1, every page costs the same number of queries, old addresses keep working."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from practice.models import Post
from practice.selectors.threads import POSTS_PER_PAGE, post_page_url
from practice.services import endorsements, follows
from practice.services import threads as thread_services
from practice.services.threads import thread_recount
from tests.practice.factories import answer, ask, discuss, member_of, moderator_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]


def thread_url(thread):
    return reverse("practice:thread", args=[thread.community.slug, thread.pk])


def post_url(post):
    return reverse("practice:post", args=[post.community.slug, post.pk])


def bulk_posts(thread, authors, n: int, *, answers: bool = True) -> list[Post]:
    """*n* answers (or replies), one second apart in the last hour, bulk-inserted, counters
    recounted."""
    now = timezone.now() - timedelta(hours=1)
    posts = Post.objects.bulk_create(
        [
            Post(
                thread=thread,
                community=thread.community,
                author=authors[i % len(authors)],
                is_answer=answers and thread.is_question,
                body=f"Post number {i}",
                body_html=f"<p>Post number {i}</p>",
                created_at=now + timedelta(seconds=i + 1),
            )
            for i in range(n)
        ]
    )
    thread.refresh_from_db()
    thread_recount(thread)
    thread.save()
    return posts


def post_ids_on(html: str) -> list[int]:
    return [int(pid) for pid in re.findall(r'<article id="post-(\d+)"', html)]


@pytest.fixture
def long_question(open_community):
    community = open_community
    asker = member_of(community, username="asker")
    authors = [member_of(community) for _ in range(4)]
    thread = ask(community, asker)
    posts = bulk_posts(thread, authors, 2 * POSTS_PER_PAGE + 5)
    # Votes order the answers: the last one gets two, so it leads (after the accepted one).
    voters = [member_of(community) for _ in range(2)]
    for voter in voters:
        endorsements.vote_toggle(post=posts[-1], voter=voter)
    accepted = posts[40]
    endorsements.answer_accept(answer=accepted, by=asker)
    thread.refresh_from_db()
    return {"thread": thread, "posts": posts, "accepted": accepted, "asker": asker}


def test_thread_page_shows_pages_of_answers_with_the_question_on_each(client, long_question):
    thread, posts, accepted = (
        long_question["thread"],
        long_question["posts"],
        long_question["accepted"],
    )
    opening = thread.opening_post
    pages = [client.get(thread_url(thread), {"page": n}).content.decode() for n in (1, 2, 3)]
    ids = [post_ids_on(html) for html in pages]
    for page_ids in ids:
        assert page_ids[0] == opening.pk  # the question heads every page
    answers = [page_ids[1:] for page_ids in ids]
    assert [len(a) for a in answers] == [POSTS_PER_PAGE, POSTS_PER_PAGE, 5]
    # Each answer exactly once, in the page order: accepted first, then by helpfulness, by time.
    shown = answers[0] + answers[1] + answers[2]
    expected = [accepted.pk, posts[-1].pk] + [
        p.pk for p in posts if p.pk not in (accepted.pk, posts[-1].pk)
    ]
    assert shown == expected
    assert "✓ Accepted answer" in pages[0] and "✓ Accepted answer" not in pages[1]
    assert "Page 1 of 3" in pages[0] and "Page 3 of 3" in pages[2]
    assert 'href="?page=2" rel="next"' in pages[0]
    assert f'href="{thread_url(thread)}" rel="prev"' in pages[1]  # page 1 has one address
    # The page without ?page= is page 1; junk and out-of-range pages are real pages.
    assert post_ids_on(client.get(thread_url(thread)).content.decode()) == ids[0]
    for junk, number in (("abc", 0), ("0", 0), ("-3", 0), ("99", 2), ("9" * 30, 2)):
        response = client.get(thread_url(thread), {"page": junk})
        assert response.status_code == 200
        assert post_ids_on(response.content.decode()) == ids[number], junk


def test_thread_page_the_accepted_answer_link_reaches_page_one(client, long_question):
    thread, accepted = long_question["thread"], long_question["accepted"]
    html = client.get(thread_url(thread), {"page": 2}).content.decode()
    assert f'href="{post_url(accepted)}#post-{accepted.pk}">Go to the accepted answer' in html
    html = client.get(thread_url(thread)).content.decode()
    assert f'href="#post-{accepted.pk}">Go to the accepted answer' in html


def test_post_address_redirects_to_the_page_with_the_post(client, long_question):
    thread, posts, accepted = (
        long_question["thread"],
        long_question["posts"],
        long_question["accepted"],
    )
    page_of = {}
    for number in (1, 2, 3):
        html = client.get(thread_url(thread), {"page": number}).content.decode()
        for pid in post_ids_on(html)[1:]:
            page_of[pid] = number
    for post in (accepted, posts[0], posts[10], posts[35], posts[-2], thread.opening_post):
        response = client.get(post_url(post))
        number = page_of.get(post.pk, 1)
        query = f"?page={number}" if number > 1 else ""
        assert response.status_code == 302
        assert response["Location"] == f"{thread_url(thread)}{query}#post-{post.pk}"
        assert post_page_url(user=long_question["asker"], post=post) == response["Location"]
    # Short threads keep the plain address.
    assert page_of[accepted.pk] == 1


def test_post_address_is_a_404_for_a_hidden_post_except_for_moderators(client, long_question):
    thread, post = long_question["thread"], long_question["posts"][50]
    moderator = moderator_of(thread.community)
    thread_services.post_hide(post=post, by=moderator, reason="")
    assert client.get(post_url(post)).status_code == 404
    client.force_login(moderator)
    response = client.get(post_url(post))
    assert response.status_code == 302 and response["Location"].endswith(f"#post-{post.pk}")


def test_post_address_of_a_private_community_is_a_404_for_outsiders(client, private_community):
    member = member_of(private_community)
    thread = ask(private_community, member)
    reply = answer(thread, member_of(private_community))
    assert client.get(post_url(reply)).status_code == 404
    client.force_login(member_of(private_community))
    assert client.get(post_url(reply)).status_code == 302


def test_discussion_pages_are_by_time_and_a_reply_lands_on_the_last_page(client, open_community):
    community = open_community
    author = member_of(community, username="author")
    thread = discuss(community, author)
    posts = bulk_posts(thread, [member_of(community)], POSTS_PER_PAGE + 3, answers=False)
    html = client.get(thread_url(thread), {"page": 2}).content.decode()
    assert post_ids_on(html)[1:] == [p.pk for p in posts[POSTS_PER_PAGE:]]
    # A new reply goes to the last page, and the reply's redirect lands there.
    client.force_login(author)
    page = client.get(thread_url(thread)).content.decode()
    key = re.search(r'name="submission_key" value="([0-9a-f]{32})"', page).group(1)
    response = client.post(
        reverse("practice:post_reply", args=[community.slug, thread.pk]),
        {"body": "Late to this, but here is what we do.", "submission_key": key},
    )
    reply = Post.objects.get(body="Late to this, but here is what we do.")
    assert response["Location"] == f"{thread_url(thread)}?page=2#post-{reply.pk}"
    assert f'id="post-{reply.pk}"' in client.get(response["Location"]).content.decode()


def test_thread_page_quoting_a_post_on_another_page(client, open_community):
    community = open_community
    thread = discuss(community, member_of(community))
    posts = bulk_posts(thread, [member_of(community, username="early")], POSTS_PER_PAGE + 3)
    reader = member_of(community)
    quoted = posts[POSTS_PER_PAGE + 1]  # on page 2
    client.force_login(reader)
    html = client.get(thread_url(thread), {"page": 2}).content.decode()
    assert f'href="?page=2&amp;reply_to={quoted.pk}#reply">Quote and reply' in html
    html = client.get(thread_url(thread), {"page": 2, "reply_to": quoted.pk}).content.decode()
    assert "&gt; Post number" in html  # the quoted text in the form
    assert f'name="reply_to" value="{quoted.pk}"' in html
    # The quote, on page 2, names a post on page 1 through the post's address.
    first = posts[0]
    reply = answer(thread, reader, body="Quoting the first one.", reply_to=first)
    location = client.get(post_url(reply))["Location"]
    html = client.get(location).content.decode()
    assert f'href="{post_url(first)}#post-{first.pk}">early</a>' in html


@pytest.mark.parametrize("viewer_kind", ["anonymous", "member", "moderator"])
def test_thread_page_queries_are_the_same_on_every_page(
    client, open_community, viewer_kind, django_assert_max_num_queries
):
    community = open_community
    authors = [member_of(community) for _ in range(3)]
    thread = ask(community, authors[0], tags=["a"])
    bulk_posts(thread, authors, 3 * POSTS_PER_PAGE)
    if viewer_kind == "member":
        client.force_login(member_of(community))
    elif viewer_kind == "moderator":
        client.force_login(moderator_of(community))
    url = thread_url(thread)
    client.get(url)  # warm the session and content-type caches
    counts = []
    for number in (1, 2, 3):
        with django_assert_max_num_queries(14) as captured:
            assert client.get(url, {"page": number}).status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1] == counts[2], counts


# Every link to a post (notifications, search hits, the moderation pages, quotes) is the post's
# own address; an old thread#post-N link on a long thread is sent there by the page's script.


def landing(client, url):
    response = client.get(url, follow=True)
    assert response.status_code == 200
    return response.redirect_chain[-1][0], response.content.decode()


def test_a_posts_address_is_its_own_and_lands_on_its_page(client, long_question):
    later = long_question["posts"][POSTS_PER_PAGE + 3]
    assert later.get_absolute_url() == post_url(later)
    final, html = landing(client, later.get_absolute_url())
    assert "?page=" in final and final.endswith(f"#post-{later.pk}")
    assert f'id="post-{later.pk}"' in html


def test_a_reply_notice_links_to_the_page_with_the_reply(client, long_question):
    thread, asker = long_question["thread"], long_question["asker"]
    follows.thread_follow(user=asker, thread=thread)
    late = answer(thread, member_of(thread.community), body="One more way: a silicone foam.")
    notice = Notification.objects.filter(recipient=asker).latest("created_at", "pk")
    assert notice.url == post_url(late)
    client.force_login(asker)
    final, html = landing(client, notice.url)
    assert final == f"{thread_url(thread)}?page=3#post-{late.pk}"
    assert f'id="post-{late.pk}"' in html


def test_page_one_of_a_long_thread_offers_the_post_addresses_to_its_script(client, long_question):
    thread = long_question["thread"]
    base = reverse("practice:post", args=[thread.community.slug, 0]).removesuffix("0/")
    assert f'data-post-base="{base}"' in client.get(thread_url(thread)).content.decode()
    # Later pages were reached by a page number already: nothing to correct there.
    page_two = client.get(thread_url(thread), {"page": 2}).content.decode()
    assert "data-post-base" not in page_two


def test_a_short_thread_has_nothing_for_the_script(client, open_community):
    asker = member_of(open_community)
    thread = ask(open_community, asker)
    answer(thread, member_of(open_community))
    assert "data-post-base" not in client.get(thread_url(thread)).content.decode()
