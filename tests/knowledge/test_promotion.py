"""Promote from practice: the prefilled draft, the proposal with provenance and credits, the
thread page's "now part of the repertoire" and promote buttons, and who may promote."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from knowledge.models import CurationEvent, Item, ItemContributor
from knowledge.services.curation import item_publish
from knowledge.services.promotion import item_promote, promotion_draft, promotion_source
from practice.services import endorsements
from practice.services import threads as thread_services
from tests.factories import UserFactory
from tests.practice.factories import answer, ask, discuss, member_of, moderator_of

pytestmark = pytest.mark.django_db

QUESTION = "My patient's heel dressing slips off overnight.\n\nAny **tips**?"
ANSWER = (
    "Use a **tubular bandage** over the dressing, see [the guide](https://example.org/g).\n\n"
    "Check the skin at every change."
)


@pytest.fixture
def solved(open_community):
    community = open_community
    moderator = moderator_of(community, username="mod")
    asker = member_of(community, username="asker")
    helper = member_of(community, username="helper")
    other = member_of(community, username="other")
    thread = ask(community, asker, title="Heel dressing slips", body=QUESTION, tags=["heels"])
    answer(thread, other, body="Try tape.")
    accepted = answer(thread, helper, body=ANSWER)
    endorsements.answer_accept(answer=accepted, by=asker)
    thread.refresh_from_db()
    return community, moderator, thread, accepted


def test_promotion_draft_prefills_from_question_and_accepted_answer(solved):
    _, _, thread, _ = solved
    draft = promotion_draft(source=promotion_source(thread=thread))
    assert draft.title == "Heel dressing slips"
    assert draft.summary == "Use a tubular bandage over the dressing, see the guide."
    assert draft.tag_names == ["heels"]
    assert draft.kind == Item.Kind.METHOD
    body = draft.body
    assert f"/c/{thread.community.slug}/t/{thread.pk}/" in body
    assert "## The question" in body and "asker asked:" in body
    assert "> My patient's heel dressing slips off overnight." in body
    assert "## The accepted answer" in body and "helper answered:" in body
    assert "> Check the skin at every change." in body
    assert "Try tape." not in body  # only the question and the accepted answer


def test_item_promote_proposes_with_provenance_and_credits(solved):
    community, moderator, thread, accepted = solved
    source = promotion_source(thread=thread)
    draft = promotion_draft(source=source)
    item = item_promote(
        source=source, by=moderator, kind=draft.kind, title=draft.title, summary=draft.summary,
        body=draft.body, tag_names=draft.tag_names,
    )  # fmt: skip
    assert item.state == Item.State.PROPOSED
    assert item.source_thread == thread and item.source_post == accepted
    credits = dict(ItemContributor.objects.filter(item=item).values_list("user__username", "role"))
    assert credits == {"mod": "author", "asker": "source", "helper": "source"}
    assert CurationEvent.objects.filter(item=item, action="promoted").exists()
    assert list(item.tags.names()) == ["heels"]


def test_item_promote_one_post_credits_its_author_and_the_asker(solved):
    community, moderator, thread, _ = solved
    other_post = thread.posts.get(body="Try tape.")
    source = promotion_source(thread=thread, post=other_post)
    assert [p.author.username for p in source.posts] == ["asker", "other"]
    item = item_promote(
        source=source, by=moderator, kind="method", title="Tape", summary="Tape it."
    )
    assert item.source_post == other_post
    assert set(item.credits.values_list("user__username", flat=True)) == {"mod", "asker", "other"}


def test_item_promote_refused_to_members_and_for_hidden_posts(solved):
    community, moderator, thread, accepted = solved
    member = member_of(community)
    source = promotion_source(thread=thread)
    with pytest.raises(PermissionDenied):
        item_promote(source=source, by=member, kind="method", title="T", summary="S")
    hidden = answer(thread, member, body="Hidden answer")
    thread_services.post_hide(post=hidden, by=moderator)
    hidden.refresh_from_db()
    with pytest.raises(PermissionDenied):
        item_promote(
            source=promotion_source(thread=thread, post=hidden),
            by=moderator, kind="method", title="T", summary="S",
        )  # fmt: skip
    assert not Item.objects.exists()


def test_item_promote_bad_content_is_a_validation_error(solved):
    _, moderator, thread, _ = solved
    with pytest.raises(ValidationError):
        item_promote(
            source=promotion_source(thread=thread), by=moderator, kind="method", title="",
            summary="S",
        )  # fmt: skip
    assert not Item.objects.exists()


# --- views --------------------------------------------------------------------------------------


def promote_url(thread):
    return reverse("knowledge:promote_thread", args=[thread.community.slug, thread.pk])


def test_promote_view_prefills_and_creates_once(client, solved):
    community, moderator, thread, _ = solved
    client.force_login(moderator)
    page = client.get(promote_url(thread))
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["title"] == "Heel dressing slips" and form.initial["tags"] == "heels"
    data = {**form.initial, "summary": "Hold the heel dressing with a tubular bandage."}
    response = client.post(promote_url(thread), data)
    item = Item.objects.get()
    assert response.status_code == 302 and response["Location"] == item.get_absolute_url()
    assert client.post(promote_url(thread), data).status_code == 302  # a double submit
    assert Item.objects.count() == 1
    # The page now says so, to avoid promoting the same discussion twice.
    assert item.title in client.get(promote_url(thread)).content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "nonsense", "title": "", "summary": ""},
        {"kind": "method", "title": "T" * 201, "summary": "S"},
        {"kind": "method", "title": "T", "summary": "S\x00"},
        {"kind": "method", "title": "T", "summary": "S", "body": "B" * 100_001},
    ],
)
def test_promote_view_bad_input_keeps_the_form(client, solved, data):
    community, moderator, thread, _ = solved
    client.force_login(moderator)
    response = client.post(promote_url(thread), data)
    assert response.status_code == 400
    assert not Item.objects.exists()


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_members_cannot_promote(client, solved, who):
    community, _, thread, accepted = solved
    person = member_of(community) if who == "member" else UserFactory()
    client.force_login(person)
    post_url = reverse("knowledge:promote_post", args=[community.slug, accepted.pk])
    for address in (promote_url(thread), post_url):
        assert client.get(address).status_code == 403
        assert (
            client.post(address, {"kind": "method", "title": "T", "summary": "S"}).status_code
            == 403
        )
    assert not Item.objects.exists()
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "Add to library" not in page


def test_private_thread_promotion_is_hidden_from_non_members(client, private_community):
    community = private_community
    moderator = moderator_of(community)
    thread = ask(community, member_of(community))
    client.force_login(UserFactory())
    assert client.get(promote_url(thread)).status_code == 404
    client.force_login(moderator)
    assert client.get(promote_url(thread)).status_code == 200


def test_thread_page_shows_promote_buttons_to_moderators(client, solved):
    community, moderator, thread, accepted = solved
    client.force_login(moderator)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert promote_url(thread) in html
    assert reverse("knowledge:promote_post", args=[community.slug, accepted.pk]) in html


def test_thread_page_says_now_part_of_the_repertoire(client, solved):
    community, moderator, thread, _ = solved
    source = promotion_source(thread=thread)
    item = item_promote(
        source=source, by=moderator, kind="method", title="Tubular bandage for heels",
        summary="Hold it with a tubular bandage.",
    )  # fmt: skip
    member = member_of(community)
    client.force_login(member)
    assert "Now in the library" not in client.get(thread.get_absolute_url()).content.decode()
    client.force_login(moderator)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert "Now in the library" in html and "Proposed" in html
    item_publish(item=item, by=moderator)
    client.force_login(member)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert "Now in the library" in html and item.get_absolute_url() in html
    # ... and the item says where it came from.
    item_page = client.get(item.get_absolute_url()).content.decode()
    assert "Came from this discussion" in item_page and thread.get_absolute_url() in item_page


def test_thread_page_queries_do_not_grow_with_repertoire_items(client, solved):
    community, moderator, thread, _ = solved
    source = promotion_source(thread=thread)
    client.force_login(moderator)
    counts = []
    for n in (5, 40):
        while Item.objects.count() < n:
            item = item_promote(
                source=source, by=moderator, kind="method", title=f"Item {Item.objects.count()}",
                summary="S",
            )  # fmt: skip
            item_publish(item=item, by=moderator)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(thread.get_absolute_url())
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    assert response.content.decode().count("/library/") >= 40


def test_unanswered_question_shows_members_likely_to_answer(client, open_community):
    community = open_community
    asker, expert, novice = (member_of(community, username=n) for n in ("ada", "bo", "cy"))
    for i in range(2):
        thread = ask(community, asker, title=f"Old heel question {i}", tags=["heels"])
        post = answer(thread, expert, body="This.")
        endorsements.answer_accept(answer=post, by=asker)
    answer(ask(community, asker, title="Other", tags=["heels"]), novice, body="Maybe.")
    fresh = ask(community, novice, title="New heel question", tags=["heels"])
    client.force_login(asker)
    html = client.get(fresh.get_absolute_url()).content.decode()
    assert "Members likely to answer" in html and "@bo" in html and "@cy" not in html
    own = ask(community, expert, title="Bo asks", tags=["heels"])  # never suggests the asker
    html = client.get(own.get_absolute_url()).content.decode()
    assert "Members likely to answer" not in html
    answered = ask(community, asker, title="Answered one", tags=["heels"])
    answer(answered, novice)
    assert (
        "Members likely to answer" not in client.get(answered.get_absolute_url()).content.decode()
    )


def test_likely_answerers_queries_do_not_grow(client, open_community):
    community = open_community
    asker = member_of(community)
    fresh = ask(community, asker, title="Fresh", tags=["heels", "skin"])
    client.force_login(asker)
    counts = []
    for n in (2, 12):
        for i in range(n - (2 if n == 12 else 0)):  # 2 experts, then 12 in all
            expert = member_of(community)
            thread = ask(community, asker, title=f"Q {n}-{i}", tags=["heels", "skin"])
            endorsements.answer_accept(answer=answer(thread, expert), by=asker)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(fresh.get_absolute_url())
        counts.append(len(ctx.captured_queries))
        assert response.content.decode().count("accepted answer") >= min(n, 5)
    assert counts[0] == counts[1], counts


def test_discussion_draft_and_kind(open_community):
    community = open_community
    author = member_of(community)
    thread = discuss(community, author, title="Night shifts", body="> quoted\n\nHow do you cope?")
    draft = promotion_draft(source=promotion_source(thread=thread))
    assert draft.kind == Item.Kind.CONCEPT
    assert draft.summary == "How do you cope?"
    assert "## How it started" in draft.body


@pytest.mark.parametrize(
    "body, summary",
    [
        ("Try these:\n\n1. Agree a time.\n2. Ask for one step.\n3. Observe.\n4. More.\n\nEnd.",
         "Try these: Agree a time; Ask for one step; Observe."),
        ("- one\n- two\n- three\n- four", "one; two; three."),
        ("```\ncode\n```\nText after **code**, ask @bea.", "Text after code, ask bea."),
        ("# Heading\n\n> quote\n\nPlain [link](https://example.org).", "Plain link."),
    ],
)  # fmt: skip
def test_promotion_summary_reads_the_first_paragraph(open_community, body, summary):
    community = open_community
    thread = ask(community, member_of(community), title="Q")
    endorsements.answer_accept(
        answer=answer(thread, member_of(community), body=body), by=thread.author
    )
    thread.refresh_from_db()
    assert promotion_draft(source=promotion_source(thread=thread)).summary == summary


@pytest.mark.parametrize(
    "body, summary",
    [
        # The demo's polite opener is skipped; the answer's first sentences follow.
        ("Good question, and you're right to be cautious. We float the heel on a pillow under "
         "the calf. It takes a minute.",
         "We float the heel on a pillow under the calf. It takes a minute."),
        ("Thanks for asking!\n\nHi Sam. **Float** the heel with [a pillow](https://example.org).",
         "Float the heel with a pillow."),
        ("You're not alone. Short version: don't change everything at once.",
         "Short version: don't change everything at once."),
        # Sentences up to about 240 characters, and always the first one.
        (f"{'A' * 150} one. {'B' * 70} two. {'C' * 20} three.",
         f"{'A' * 150} one. {'B' * 70} two."),
        (f"{'A' * 300} one. Two.", f"{'A' * 300} one."),
        ("Thank you!", "Q"),  # nothing but thanks: the title
    ],
)  # fmt: skip
def test_promotion_summary_takes_the_answers_first_sentences(open_community, body, summary):
    community = open_community
    thread = ask(community, member_of(community), title="Q", body="Good question to ask myself.")
    endorsements.answer_accept(
        answer=answer(thread, member_of(community), body=body), by=thread.author
    )
    thread.refresh_from_db()
    assert promotion_draft(source=promotion_source(thread=thread)).summary == summary


def test_promotion_summary_of_an_unanswered_question_is_not_the_askers_text(open_community):
    community = open_community
    thread = ask(
        community, member_of(community), title="Heel dressing slips overnight",
        body="Good question for you all, and I'm cautious. It slips off by morning.",
    )  # fmt: skip
    draft = promotion_draft(source=promotion_source(thread=thread))
    assert draft.summary == "Heel dressing slips overnight"


def test_promote_view_prefills_the_answers_summary_for_editing(client, solved):
    community, moderator, thread, _ = solved
    client.force_login(moderator)
    form = client.get(promote_url(thread)).context["form"]
    # The accepted answer's first sentence, Markdown stripped; not the asker's text.
    assert form.initial["summary"] == "Use a tubular bandage over the dressing, see the guide."
    assert form["summary"].field.disabled is False  # the moderator edits it before publishing
