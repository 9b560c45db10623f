"""The thread pages end to end through the test client: ask, answer, quote, edit, hide, vote,
accept, "worked for me", follow, preview, activity; and bad input on every form."""

import re
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest
from django.urls import reverse

from communities.models import Membership
from practice.models import AdoptionReport, Follow, Post, PostRevision, Thread, Vote
from practice.models.threads import BODY_MAX_LENGTH
from practice.services import moderation
from practice.services import threads as thread_services
from tests.factories import make_member
from tests.practice.factories import answer, ask, discuss, member_of, moderator_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def community(open_community):
    return open_community


def submission_key(html: str) -> str:
    return re.search(r'name="submission_key" value="([0-9a-f]{32})"', html).group(1)


def thread_url(thread):
    return reverse("practice:thread", args=[thread.community.slug, thread.pk])


def post_action(name, post):
    return reverse(f"practice:{name}", args=[post.community.slug, post.pk])


# --- asking --------------------------------------------------------------------------------


def test_thread_new_creates_question_with_tags_and_redirects(client, community):
    asker = member_of(community, username="asker")
    client.force_login(asker)
    url = reverse("practice:thread_new", args=[community.slug])
    page = client.get(url)
    assert page.status_code == 200
    key = submission_key(page.content.decode())
    response = client.post(
        url,
        {
            "kind": "question",
            "title": "How do you dress a sacral wound?",
            "body": "We use **foam**. Any better ideas?",
            "tags": "Pressure ulcers, dressings, ",
            "submission_key": key,
        },
    )
    thread = Thread.objects.get()
    assert response.status_code == 302
    assert response["Location"] == thread_url(thread)
    assert sorted(thread.tags.names()) == ["dressings", "pressure ulcers"]
    assert thread.opening_post.body_html == "<p>We use <strong>foam</strong>. Any better ideas?</p>"
    page = client.get(thread_url(thread))
    assert "How do you dress a sacral wound?" in page.content.decode()
    assert "✓ Following" in page.content.decode()


def test_thread_new_same_form_submitted_twice_makes_one_thread(client, community):
    client.force_login(member_of(community))
    url = reverse("practice:thread_new", args=[community.slug])
    key = submission_key(client.get(url).content.decode())
    data = {
        "kind": "story",
        "title": "A night shift",
        "body": "It went well.",
        "submission_key": key,
    }
    first = client.post(url, data)
    second = client.post(url, data)
    assert Thread.objects.count() == 1
    assert first["Location"] == second["Location"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write something first."),
        ("   \n  ", "Write something first."),
        ("x" * 100_000, f"the limit is {BODY_MAX_LENGTH:,}"),
    ],
)
def test_thread_new_bad_body_is_a_form_error_keeping_the_text(client, community, body, message):
    client.force_login(member_of(community))
    url = reverse("practice:thread_new", args=[community.slug])
    response = client.post(
        url, {"kind": "question", "title": "Kept title", "body": body, "submission_key": "k1"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    assert 'value="Kept title"' in html
    assert Thread.objects.count() == 0


def test_thread_new_missing_kind_and_title_show_errors_next_to_fields(client, community):
    client.force_login(member_of(community))
    response = client.post(reverse("practice:thread_new", args=[community.slug]), {"body": "b"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Choose a question, a discussion or a story." in html
    assert "Give your thread a title." in html


def test_thread_new_too_many_tags_is_a_form_error(client, community):
    client.force_login(member_of(community))
    response = client.post(
        reverse("practice:thread_new", args=[community.slug]),
        {"kind": "discussion", "title": "T", "body": "B", "tags": "a,b,c,d,e,f"},
    )
    assert response.status_code == 400
    assert "Use at most five tags." in response.content.decode()


def test_thread_new_rate_limit_is_a_clear_message_not_an_error_page(client, community, settings):
    settings.PRACTICA_NEW_MEMBER_THREADS_PER_HOUR = 1
    newcomer = make_member(community).user  # joined just now: a new member
    client.force_login(newcomer)
    url = reverse("practice:thread_new", args=[community.slug])
    client.post(url, {"kind": "discussion", "title": "One", "body": "First"})
    response = client.post(url, {"kind": "discussion", "title": "Two", "body": "Typed text"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "New members can start 1 thread" in html
    assert "Typed text" in html
    assert Thread.objects.count() == 1


XSS_TITLE = '<script>alert("t")</script><img src=x onerror=alert(1)>'
XSS_BODY = (
    "<script>alert(1)</script>\n\n<svg onload=alert(2)>\n\n[a](javascript:alert(3)) "
    "[b](JaVaScRiPt:alert(4)) [c](data:text/html;base64,PHNjcmlwdD4=) "
    "[d](&#106;avascript:alert(5)) <img src=x onerror=alert(6)>"
)


class _ActiveContent(HTMLParser):
    """Collect what a browser would run: script elements, on* attributes, script URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        if tag in ("svg", "iframe", "object", "embed", "math"):
            self.found.append(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}")
            if name in ("href", "src", "action", "formaction") and value:
                scheme = value.strip().split(":", 1)[0].lower() if ":" in value else ""
                if scheme in ("javascript", "data", "vbscript"):
                    self.found.append(f"{tag} {name}={value}")


def active_content(
    html: str,
    own_scripts=(
        "/static/js/practica.js",
        "/static/js/shortcuts.js",
        "/static/js/drafts.js",
        "/static/js/sticky-reply.js",
    ),
) -> list[str]:
    parser = _ActiveContent()
    parser.feed(html)
    scripts = re.findall(r"<script\b[^>]*>", html, re.IGNORECASE)
    allowed = [s for s in scripts if any(f'src="{own}"' in s for own in own_scripts)]
    return parser.found + [s for s in scripts if s not in allowed]


def test_xss_in_title_body_and_tags_is_rendered_harmless(client, community):
    author = member_of(community)
    client.force_login(author)
    client.post(
        reverse("practice:thread_new", args=[community.slug]),
        {
            "kind": "question",
            "title": XSS_TITLE,
            "body": XSS_BODY,
            "tags": '<b onmouseover=alert(7)>x</b>, "><script>alert(8)</script>',
        },
    )
    thread = Thread.objects.get()
    answer(thread, member_of(community), body=XSS_BODY)
    edit_url = post_action("post_edit", thread.opening_post)
    pages = [
        client.get(thread_url(thread)),
        client.get(reverse("practice:thread_list", args=[community.slug])),
        client.get(reverse("practice:member_activity", args=[author.username])),
        client.get(post_action("post_history", thread.opening_post)),
        client.get(edit_url),
    ]
    client.post(edit_url, {"title": XSS_TITLE + "!", "body": XSS_BODY + "!", "tags": ""})
    pages.append(client.get(post_action("post_history", thread.opening_post)))
    for page in pages:
        assert page.status_code == 200
        assert active_content(page.content.decode()) == []
    # The feed is XML whose entries carry HTML: both layers must be inert.
    feed = client.get(reverse("practice:feed", args=[community.slug]))
    root = ElementTree.fromstring(feed.content)
    for element in root.iter():
        assert not element.tag.endswith("script")
        if element.tag.endswith("content") or element.tag.endswith("summary"):
            assert active_content(element.text or "") == []


# --- answering and replying ----------------------------------------------------------------


def test_answer_and_quoted_reply_through_the_thread_page(client, community):
    asker, helper = member_of(community), member_of(community, username="helper")
    thread = ask(community, asker)
    client.force_login(helper)
    page = client.get(thread_url(thread))
    response = client.post(
        reverse("practice:post_reply", args=[community.slug, thread.pk]),
        {
            "body": "Foam, changed every three days.",
            "submission_key": submission_key(page.content.decode()),
        },
    )
    the_answer = Post.objects.get(is_opening=False)
    assert response["Location"] == f"{thread_url(thread)}#post-{the_answer.pk}"
    assert the_answer.is_answer
    # The asker quotes the answer: the form is prefilled and the reply records whom it answers.
    client.force_login(asker)
    page = client.get(f"{thread_url(thread)}?reply_to={the_answer.pk}")
    html = page.content.decode()
    assert "&gt; Foam, changed every three days." in html
    assert f'name="reply_to" value="{the_answer.pk}"' in html
    client.post(
        reverse("practice:post_reply", args=[community.slug, thread.pk]),
        {"body": "> Foam\n\nThanks!", "reply_to": the_answer.pk, "submission_key": "q1"},
    )
    reply = Post.objects.get(reply_to=the_answer)
    assert reply.author == asker and not reply.is_answer
    html = client.get(thread_url(thread)).content.decode()
    assert "In reply to" in html
    thread.refresh_from_db()
    assert (thread.answer_count, thread.reply_count) == (1, 2)


def test_reply_submitted_twice_makes_one_post(client, community):
    thread = ask(community, member_of(community))
    client.force_login(member_of(community))
    url = reverse("practice:post_reply", args=[community.slug, thread.pk])
    data = {"body": "Same text", "submission_key": "0123abcd"}
    client.post(url, data)
    client.post(url, data)
    assert Post.objects.filter(is_opening=False).count() == 1


@pytest.mark.parametrize("body", ["", "x" * 100_000])
def test_reply_bad_body_is_a_form_error(client, community, body):
    thread = ask(community, member_of(community))
    client.force_login(member_of(community))
    response = client.post(
        reverse("practice:post_reply", args=[community.slug, thread.pk]), {"body": body}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Write something first." in html or f"the limit is {BODY_MAX_LENGTH:,}" in html
    assert Post.objects.filter(is_opening=False).count() == 0


def test_reply_quoting_a_post_of_another_thread_is_refused(client, community):
    author = member_of(community)
    thread, other = ask(community, author), discuss(community, author)
    client.force_login(member_of(community))
    response = client.post(
        reverse("practice:post_reply", args=[community.slug, thread.pk]),
        {"body": "hi", "reply_to": other.opening_post.pk},
    )
    assert response.status_code == 400
    assert Post.objects.filter(is_opening=False).count() == 0


def test_answering_a_locked_thread_is_refused_with_a_message(client, community):
    asker, mod = member_of(community), moderator_of(community)
    thread = ask(community, asker)
    moderation.thread_set_locked(thread=thread, by=mod, locked=True)
    client.force_login(member_of(community))
    html = client.get(thread_url(thread)).content.decode()
    assert "This thread is locked" in html
    assert 'action="/c/wound-care/t/' not in html.split("reply-box")[1]
    response = client.post(
        reverse("practice:post_reply", args=[community.slug, thread.pk]),
        {"body": "Let me in", "submission_key": "late"},
    )
    assert response.status_code == 403
    assert "This thread is locked: it takes no new posts." in response.content.decode()
    assert Post.objects.filter(is_opening=False).count() == 0
    # A moderator still may.
    client.force_login(mod)
    client.post(reverse("practice:post_reply", args=[community.slug, thread.pk]), {"body": "Mod"})
    assert Post.objects.filter(is_opening=False).count() == 1


# --- editing and history -------------------------------------------------------------------


def test_edit_creates_revisions_and_history_shows_a_readable_diff(client, community):
    author = member_of(community, username="writer")
    thread = ask(community, author, title="Old title", body="line one\nline two", tags=["a"])
    post = thread.opening_post
    client.force_login(author)
    url = post_action("post_edit", post)
    page = client.get(url)
    assert 'value="Old title"' in page.content.decode()
    response = client.post(
        url, {"title": "New title", "body": "line one\nline 2 <script>x</script>", "tags": "b"}
    )
    assert response.status_code == 302
    client.post(
        url,
        {"title": "New title", "body": "line one\nline 2 <script>x</script>\nthree", "tags": "b"},
    )
    assert PostRevision.objects.filter(post=post).count() == 2
    thread.refresh_from_db()
    assert thread.title == "New title" and list(thread.tags.names()) == ["b"]
    html = client.get(thread_url(thread)).content.decode()
    assert "edited — see history" in html
    client.logout()  # readers who can read the post see its history
    history = client.get(post_action("post_history", post))
    html = history.content.decode()
    assert history.status_code == 200
    assert "3 versions" in html
    assert "diff-line diff-del" in html and "diff-line diff-add" in html
    assert "line 2 &lt;script&gt;x&lt;/script&gt;" in html
    assert "<script>x" not in html
    assert "<del>Old title</del>" in html


def test_edit_with_empty_body_keeps_post_and_shows_error(client, community):
    author = member_of(community)
    post = answer(ask(community, member_of(community)), author)
    client.force_login(author)
    response = client.post(post_action("post_edit", post), {"body": ""})
    assert response.status_code == 400
    assert "Write something first." in response.content.decode()
    post.refresh_from_db()
    assert post.body == "Use a foam dressing." and not post.revisions.exists()


def test_edit_by_another_member_is_forbidden(client, community):
    post = answer(ask(community, member_of(community)), member_of(community))
    client.force_login(member_of(community))
    assert client.get(post_action("post_edit", post)).status_code == 403
    assert client.post(post_action("post_edit", post), {"body": "mine now"}).status_code == 403


# --- hiding and restoring ------------------------------------------------------------------


def test_author_hides_own_answer_after_confirming_and_moderator_restores(client, community):
    thread = ask(community, member_of(community))
    author, mod = member_of(community), moderator_of(community)
    post = answer(thread, author, body="Regrettable advice")
    client.force_login(author)
    confirm = client.get(post_action("post_hide", post))
    assert confirm.status_code == 200 and "Hide this post?" in confirm.content.decode()
    client.post(post_action("post_hide", post))
    post.refresh_from_db()
    assert post.is_hidden
    assert "Regrettable advice" not in client.get(thread_url(thread)).content.decode()
    # The moderator sees it greyed, with a restore button.
    client.force_login(mod)
    html = client.get(thread_url(thread)).content.decode()
    assert "post-hidden" in html and "Regrettable advice" in html and "Restore" in html
    client.post(post_action("post_restore", post), {"reason": "Fine after all"})
    post.refresh_from_db()
    assert not post.is_hidden


def test_hiding_the_opening_post_hides_the_thread_and_sends_the_author_to_the_list(
    client, community
):
    author = member_of(community)
    thread = ask(community, author)
    client.force_login(author)
    response = client.post(post_action("post_hide", thread.opening_post))
    assert response["Location"] == reverse("practice:thread_list", args=[community.slug])
    assert client.get(thread_url(thread)).status_code == 404


def test_restore_by_a_member_is_forbidden(client, community):
    post = answer(ask(community, member_of(community)), member_of(community))
    client.force_login(member_of(community))
    assert client.post(post_action("post_restore", post)).status_code == 403


# --- votes, accept, worked for me, follow --------------------------------------------------


def test_vote_toggle_through_the_button(client, community):
    post = answer(ask(community, member_of(community)), member_of(community))
    voter = member_of(community)
    client.force_login(voter)
    html = client.get(thread_url(post.thread)).content.decode()
    assert 'aria-pressed="false" title="Mark as helpful"' in html
    client.post(post_action("post_vote", post), {"helpful": "1"})
    client.post(post_action("post_vote", post), {"helpful": "1"})  # a double click: one vote
    post.refresh_from_db()
    assert post.helpful_count == 1 and Vote.objects.count() == 1
    html = client.get(thread_url(post.thread)).content.decode()
    assert 'aria-pressed="true"' in html
    client.post(post_action("post_vote", post), {"helpful": "0"})
    post.refresh_from_db()
    assert post.helpful_count == 0
    client.post(post_action("post_vote", post))  # no value: toggles
    assert Vote.objects.count() == 1


def test_vote_on_own_post_is_forbidden_and_not_offered(client, community):
    author = member_of(community)
    post = answer(ask(community, member_of(community)), author)
    client.force_login(author)
    html = client.get(thread_url(post.thread)).content.decode()
    own = html.split(f'id="post-{post.pk}"')[1].split("</article>")[0]
    assert "Mark as helpful" not in own and "vote-static" in own
    assert client.post(post_action("post_vote", post), {"helpful": "1"}).status_code == 403
    assert not Vote.objects.exists()


def test_vote_on_hidden_post_is_404_for_members_and_403_for_moderators(client, community):
    mod = moderator_of(community)
    post = answer(ask(community, member_of(community)), member_of(community))
    moderation.content_hide(post=post, by=mod)
    client.force_login(member_of(community))
    assert client.post(post_action("post_vote", post), {"helpful": "1"}).status_code == 404
    client.force_login(mod)
    assert client.post(post_action("post_vote", post), {"helpful": "1"}).status_code == 403
    assert not Vote.objects.exists()


def test_accept_and_unaccept_by_the_asker(client, community):
    asker = member_of(community)
    thread = ask(community, asker)
    first, second = answer(thread, member_of(community)), answer(thread, member_of(community))
    client.force_login(asker)
    assert "Accept this answer" in client.get(thread_url(thread)).content.decode()
    client.post(post_action("post_accept", second))
    thread.refresh_from_db()
    assert thread.accepted_post == second and thread.status == Thread.Status.SOLVED
    html = client.get(thread_url(thread)).content.decode()
    # The accepted answer comes first, before the earlier answer.
    assert html.index(f'id="post-{second.pk}"') < html.index(f'id="post-{first.pk}"')
    assert "✓ Accepted answer" in html and "✓ Solved" in html
    client.post(post_action("post_accept", first))  # changing it
    thread.refresh_from_db()
    assert thread.accepted_post == first
    client.post(reverse("practice:thread_unaccept", args=[community.slug, thread.pk]))
    thread.refresh_from_db()
    assert thread.accepted_post is None and thread.status == Thread.Status.OPEN


def test_accept_by_another_member_is_forbidden(client, community):
    thread = ask(community, member_of(community))
    post = answer(thread, member_of(community))
    client.force_login(member_of(community))
    assert "Accept this answer" not in client.get(thread_url(thread)).content.decode()
    assert client.post(post_action("post_accept", post)).status_code == 403
    url = reverse("practice:thread_unaccept", args=[community.slug, thread.pk])
    assert client.post(url).status_code == 403


def test_accepting_a_reply_in_a_discussion_is_refused_with_a_message(client, community):
    mod = moderator_of(community)
    thread = discuss(community, member_of(community))
    post = answer(thread, member_of(community))
    client.force_login(mod)
    response = client.post(post_action("post_accept", post), follow=True)
    assert response.status_code in (200, 403)
    assert Thread.objects.get().accepted_post is None


def test_answers_are_ordered_by_helpfulness_after_the_accepted_one(client, community):
    thread = ask(community, member_of(community))
    low, high = (
        answer(thread, member_of(community), "low"),
        answer(thread, member_of(community), "high"),
    )
    from practice.services import endorsements

    endorsements.vote_set(post=high, voter=member_of(community), helpful=True)
    html = client.get(thread_url(thread)).content.decode()
    assert html.index(f'id="post-{high.pk}"') < html.index(f'id="post-{low.pk}"')


def test_discussion_replies_are_chronological(client, community):
    thread = discuss(community, member_of(community))
    first, second = (
        answer(thread, member_of(community), "1st"),
        answer(thread, member_of(community), "2nd"),
    )
    from practice.services import endorsements

    endorsements.vote_set(post=second, voter=member_of(community), helpful=True)
    html = client.get(thread_url(thread)).content.decode()
    assert html.index(f'id="post-{first.pk}"') < html.index(f'id="post-{second.pk}"')


def test_worked_for_me_and_didnt_work_with_note(client, community):
    post = answer(ask(community, member_of(community)), member_of(community))
    client.force_login(member_of(community))
    client.post(post_action("post_adoption", post), {"worked": "yes"})
    other = member_of(community)
    client.force_login(other)
    client.post(post_action("post_adoption", post), {"worked": "no", "note": "Skin too fragile"})
    post.refresh_from_db()
    assert (post.worked_count, post.did_not_work_count) == (1, 1)
    html = client.get(thread_url(post.thread)).content.decode()
    assert "Worked for 1" in html and "Didn't work for 1" in html
    assert "You said this didn't work for you: “Skin too fragile”" in html
    client.post(post_action("post_adoption", post), {"withdraw": "1"})
    post.refresh_from_db()
    assert post.did_not_work_count == 0
    assert AdoptionReport.objects.count() == 1


def test_worked_for_me_bad_input_is_a_message_not_an_error(client, community):
    post = answer(ask(community, member_of(community)), member_of(community))
    client.force_login(member_of(community))
    response = client.post(post_action("post_adoption", post), {"worked": "maybe"}, follow=True)
    assert response.status_code == 200
    assert "Say whether it worked." in response.content.decode()
    response = client.post(
        post_action("post_adoption", post), {"worked": "yes", "note": "n" * 600}, follow=True
    )
    assert response.status_code == 200
    assert not AdoptionReport.objects.exists()


def test_worked_for_me_on_own_post_or_opening_post_is_forbidden(client, community):
    author = member_of(community)
    thread = ask(community, member_of(community))
    post = answer(thread, author)
    client.force_login(author)
    assert client.post(post_action("post_adoption", post), {"worked": "yes"}).status_code == 403
    client.force_login(member_of(community))
    url = post_action("post_adoption", thread.opening_post)
    assert client.post(url, {"worked": "yes"}).status_code == 403


def test_follow_and_unfollow_a_thread(client, community):
    thread = ask(community, member_of(community))
    reader = member_of(community)
    client.force_login(reader)
    url = reverse("practice:thread_follow", args=[community.slug, thread.pk])
    client.post(url, {"follow": "1"})
    assert Follow.objects.filter(user=reader, thread=thread).exists()
    client.post(url, {"follow": "0"})
    assert not Follow.objects.filter(user=reader, thread=thread).exists()


# --- lists ---------------------------------------------------------------------------------


def test_thread_list_filters_and_sorts(client, community):
    me, other = member_of(community), member_of(community)
    q_open = ask(community, me, title="Open question", tags=["foam"])
    q_solved = ask(community, other, title="Solved question")
    story = discuss(community, other, title="A story", kind="story")
    from practice.services import endorsements

    endorsements.answer_accept(answer=answer(q_solved, me), by=other)
    endorsements.vote_set(post=answer(story, me), voter=other, helpful=True)
    client.force_login(me)
    url = reverse("practice:thread_list", args=[community.slug])

    def titles(**params):
        html = client.get(url, params).content.decode()
        return re.findall(r'class="thread-title"><a href="[^"]+">([^<]+)</a>', html)

    assert set(titles()) == {"Open question", "Solved question", "A story"}
    assert titles(kind="story") == ["A story"]
    assert titles(tag="foam") == ["Open question"]
    assert titles(unanswered="on") == ["Open question"]
    assert titles(solved="on") == ["Solved question"]
    assert titles(mine="on") == ["Open question"]
    assert set(titles(following="on")) == {"Open question", "Solved question", "A story"}
    assert titles(sort="helpful")[0] == "A story"
    assert titles(sort="newest") == ["A story", "Solved question", "Open question"]
    unanswered = client.get(reverse("practice:unanswered", args=[community.slug]))
    assert "Open question" in unanswered.content.decode()
    assert "Solved question" not in unanswered.content.decode()
    assert q_open.pk  # used


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "nonsense"},
        {"sort": "<script>"},
        {"page": "abc"},
        {"page": "-1"},
        {"page": "99999999999999999999"},
        {"tag": "x" * 500},
        {"mine": "on", "following": "on"},
    ],
)
def test_thread_list_odd_query_strings_never_fail(client, community, params):
    ask(community, member_of(community))
    response = client.get(reverse("practice:thread_list", args=[community.slug]), params)
    assert response.status_code == 200


def test_thread_list_empty_state_says_what_to_do(client, community):
    client.force_login(member_of(community))
    html = client.get(reverse("practice:thread_list", args=[community.slug])).content.decode()
    assert "Nobody has started a thread yet." in html and "Ask the first question" in html
    html = client.get(reverse("practice:unanswered", args=[community.slug])).content.decode()
    assert "Every question here has at least one answer." in html


def test_community_header_and_home_link_to_threads(client, community):
    html = client.get(community.get_absolute_url()).content.decode()
    assert reverse("practice:thread_list", args=[community.slug]) in html
    assert reverse("practice:unanswered", args=[community.slug]) in html


# --- preview and activity ------------------------------------------------------------------


def test_preview_returns_sanitized_html(client, community):
    client.force_login(member_of(community))
    response = client.post(
        reverse("practice:preview"), {"body": "**hi** <script>x</script> [a](javascript:x)"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>hi</strong>" in html and "<script>" not in html and "javascript:" not in html


def test_preview_refuses_too_long_and_anonymous(client, community):
    assert client.post(reverse("practice:preview"), {"body": "x"}).status_code == 302
    client.force_login(member_of(community))
    response = client.post(reverse("practice:preview"), {"body": "x" * 100_000})
    assert response.status_code == 400
    assert client.get(reverse("practice:preview")).status_code == 405


def test_member_activity_lists_what_the_viewer_may_read(client, community, private_community):
    person = member_of(community, username="busy")
    make_member(private_community, person)
    ask(community, person, title="Public question")
    ask(private_community, person, title="CANARY private question")
    answer(discuss(community, member_of(community)), person, body="A public reply")
    url = reverse("practice:member_activity", args=["busy"])
    html = client.get(url).content.decode()
    assert "Public question" in html and "A public reply" in html
    assert "CANARY" not in html
    insider = make_member(private_community).user
    client.force_login(insider)
    assert "CANARY private question" in client.get(url).content.decode()
    assert "A public reply" not in client.get(url, {"show": "threads"}).content.decode()
    assert client.get(url, {"show": "junk", "page": "x"}).status_code == 200
    assert client.get(reverse("practice:member_activity", args=["nobody"])).status_code == 404


def test_profile_links_to_activity(client, community):
    person = member_of(community, username="linked")
    html = client.get(reverse("communities:profile", args=["linked"])).content.decode()
    assert reverse("practice:member_activity", args=[person.username]) in html


def test_banned_member_cannot_post_vote_or_start(client, community):
    thread = ask(community, member_of(community))
    post = answer(thread, member_of(community))
    banned = member_of(community)
    Membership.objects.filter(user=banned).update(state=Membership.State.BANNED)
    client.force_login(banned)
    assert client.get(reverse("practice:thread_new", args=[community.slug])).status_code == 403
    url = reverse("practice:post_reply", args=[community.slug, thread.pk])
    assert client.post(url, {"body": "hi"}).status_code == 403
    assert client.post(post_action("post_vote", post), {"helpful": "1"}).status_code == 403
    assert Post.objects.count() == 2 and not Vote.objects.exists()


@pytest.mark.parametrize("field", ["title", "body", "tags"])
def test_nul_characters_in_thread_form_are_refused_without_a_500(client, community, field):
    client.force_login(member_of(community))
    data = {"kind": "question", "title": "T", "body": "B", "tags": "t"}
    data[field] += "\x00"
    response = client.post(reverse("practice:thread_new", args=[community.slug]), data)
    assert response.status_code == 400
    assert Thread.objects.count() == 0


def test_nul_characters_in_reply_and_preview_are_refused(client, community):
    thread = ask(community, member_of(community))
    client.force_login(member_of(community))
    url = reverse("practice:post_reply", args=[community.slug, thread.pk])
    assert client.post(url, {"body": "a\x00b"}).status_code == 400
    assert client.post(reverse("practice:preview"), {"body": "a\x00b"}).status_code == 400
    assert Post.objects.filter(is_opening=False).count() == 0


# --- form hints ----------------------------------------------------------------------------


def test_field_hints_are_the_targets_of_aria_describedby(client, community):
    """Every aria-describedby on forms with help texts names an element of the page."""
    moderator = moderator_of(community, username="hints")
    client.force_login(moderator)
    thread = ask(community, moderator)
    pages = [
        reverse("practice:thread_new", args=[community.slug]),
        post_action("post_edit", thread.opening_post),
        reverse("practice:event_create", args=[community.slug]),
    ]
    checked = 0
    for url in pages:
        html = client.get(url).content.decode()
        ids = set(re.findall(r'\bid="([^"]+)"', html))
        for described in re.findall(r'aria-describedby="([^"]+)"', html):
            for target in described.split():
                assert target in ids, (url, target)
                checked += 1
    assert checked >= 3


# --- moderation links ----------------------------------------------------------------------


def test_thread_page_moderation_links_only_for_the_right_viewers(client, community):
    asker = member_of(community, username="asker")
    thread = ask(community, asker)
    reply = answer(thread, member_of(community, username="answerer"))
    slug = community.slug
    flag_thread = reverse("practice:flag_thread", args=[slug, thread.pk])
    flag_post = reverse("practice:flag_post", args=[slug, reply.pk])
    lock = reverse("practice:thread_lock", args=[slug, thread.pk])
    unlock = reverse("practice:thread_unlock", args=[slug, thread.pk])
    move = reverse("practice:thread_move", args=[slug, thread.pk])
    outsider = make_member(community, state=Membership.State.LEFT).user
    viewers = {
        "anonymous": None,
        "outsider": outsider,
        "member": member_of(community, username="reader"),
        "moderator": moderator_of(community, username="mod"),
    }
    pages = {}
    for name, viewer in viewers.items():
        client.logout()
        if viewer is not None:
            client.force_login(viewer)
        pages[name] = client.get(thread_url(thread)).content.decode()
    for name in ("anonymous", "outsider"):
        html = pages[name]
        assert flag_thread not in html and flag_post not in html, name
        assert lock not in html and move not in html and "Moderator tools" not in html, name
    member = pages["member"]
    assert f'href="{flag_thread}"' in member and f'href="{flag_post}"' in member
    assert lock not in member and unlock not in member and move not in member
    assert "Moderator tools" not in member
    moderator = pages["moderator"]
    assert f'href="{flag_post}"' in moderator
    assert 'aria-label="Moderator tools"' in moderator
    assert f'href="{lock}"' in moderator and f'href="{move}"' in moderator
    assert unlock not in moderator

    moderation.thread_set_locked(thread=thread, by=viewers["moderator"], locked=True, reason="")
    html = client.get(thread_url(thread)).content.decode()
    assert f'href="{unlock}"' in html and f'href="{lock}"' not in html
    assert client.get(lock).status_code == 200  # the links lead to the confirmation forms
    assert client.get(move).status_code == 200
    assert client.get(flag_post).status_code == 200


def test_thread_page_post_addresses_match_the_urlconf(client, community):
    """The page builds per-post addresses from one prefix; they must be the real ones."""
    asker = member_of(community, username="asker")
    thread = ask(community, asker)
    reply = answer(thread, member_of(community, username="answerer"))
    moderator = moderator_of(community, username="mod")
    thread_services.post_edit(post=reply, by=reply.author, body=reply.body + " (edited)")
    client.force_login(moderator)
    html = client.get(thread_url(thread)).content.decode()
    for name in ("post_edit", "post_hide", "post_history", "flag_post"):
        assert f'href="{post_action(name, reply)}"' in html, name
    assert f'formaction="{post_action("post_vote", reply)}"' in html
    assert f'href="{reverse("communities:profile", args=["answerer"])}"' in html
    client.force_login(asker)
    html = client.get(thread_url(thread)).content.decode()
    assert f'formaction="{post_action("post_accept", reply)}"' in html
    # Log out, follow, reply; the answer's buttons (vote, accept) share one form; "worked for me".
    assert html.count('name="csrfmiddlewaretoken"') == 5


def test_thread_list_row_addresses_match_the_urlconf(client, community):
    thread = ask(community, member_of(community, username="asker"))
    html = client.get(reverse("practice:thread_list", args=[community.slug])).content.decode()
    assert f'href="{thread_url(thread)}"' in html
    assert f'href="{reverse("communities:profile", args=["asker"])}"' in html
