"""Drafts: saved per member and place, restored on the page, discarded, dropped on posting."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from practice.models import Draft
from practice.models.drafts import NEW_THREAD
from practice.models.threads import BODY_MAX_LENGTH, TITLE_MAX_LENGTH
from practice.selectors.drafts import reader_draft
from practice.services import drafts
from tests.factories import UserFactory
from tests.practice.factories import ask, member_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(open_community):
    return member_of(open_community)


@pytest.fixture
def thread(open_community, member):
    return ask(open_community, member_of(open_community))


# --- services ------------------------------------------------------------------------------


def test_save_upserts_one_draft_per_place(open_community, member, thread):
    drafts.draft_save(user=member, community=open_community, thread=thread, body="first")
    drafts.draft_save(user=member, community=open_community, thread=thread, body="second")
    drafts.draft_save(
        user=member, community=open_community, title="T", tags="a, b", body="question"
    )
    assert Draft.objects.count() == 2
    reply = reader_draft(user=member, community=open_community, thread=thread)
    assert reply.body == "second" and reply.place == str(thread.pk) and reply.title == ""
    new = reader_draft(user=member, community=open_community)
    assert (new.place, new.title, new.tags, new.body) == (NEW_THREAD, "T", "a, b", "question")


def test_discard_and_empty_save_drop_the_draft(open_community, member, thread):
    drafts.draft_save(user=member, community=open_community, thread=thread, body="text")
    drafts.draft_discard(user=member, community=open_community, thread=thread)
    assert not Draft.objects.exists()
    drafts.draft_save(user=member, community=open_community, body="text")
    assert drafts.draft_save(user=member, community=open_community, body="  ") is None
    assert not Draft.objects.exists()


def test_limits_are_the_forms(open_community, member):
    with pytest.raises(ValidationError):
        drafts.draft_save(user=member, community=open_community, body="x" * (BODY_MAX_LENGTH + 1))
    with pytest.raises(ValidationError):
        drafts.draft_save(
            user=member, community=open_community, title="x" * (TITLE_MAX_LENGTH + 1), body="b"
        )
    drafts.draft_save(user=member, community=open_community, body="x" * BODY_MAX_LENGTH)
    assert Draft.objects.get().body == "x" * BODY_MAX_LENGTH


def test_refused_to_those_who_may_not_post(open_community, private_community, thread):
    outsider = UserFactory()
    with pytest.raises(PermissionDenied):
        drafts.draft_save(user=outsider, community=open_community, body="hi")
    with pytest.raises(PermissionDenied):
        drafts.draft_save(user=outsider, community=open_community, thread=thread, body="hi")
    thread.is_locked = True
    thread.save(update_fields=["is_locked"])
    with pytest.raises(PermissionDenied):
        drafts.draft_save(
            user=member_of(open_community), community=open_community, thread=thread, body="hi"
        )
    # A thread of another community is not a place of this one.
    other = member_of(private_community)
    with pytest.raises(PermissionDenied):
        drafts.draft_save(user=other, community=private_community, thread=thread, body="hi")
    assert not Draft.objects.exists()


# --- views ---------------------------------------------------------------------------------


def _save(client, community, place, **data):
    return client.post(
        reverse("practice:draft_save", args=[community.slug]), {"place": place, **data}
    )


def test_save_view_returns_204_and_400(client, open_community, member, thread):
    client.force_login(member)
    assert _save(client, open_community, thread.pk, body="my answer").status_code == 204
    assert Draft.objects.get().body == "my answer"
    response = _save(client, open_community, thread.pk, body="x" * (BODY_MAX_LENGTH + 1))
    assert response.status_code == 400 and "limit" in response.json()["error"]
    assert _save(client, open_community, "nowhere", body="x").status_code == 400
    assert Draft.objects.get().body == "my answer"


def test_save_view_requires_csrf(open_community, member, thread):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert _save(client, open_community, thread.pk, body="x").status_code == 403
    assert not Draft.objects.exists()


def test_private_thread_is_404_to_outsiders(client, private_community):
    insider = member_of(private_community)
    secret = ask(private_community, insider)
    client.force_login(member_of(private_community))
    assert _save(client, private_community, secret.pk, body="ok").status_code == 204
    client.force_login(UserFactory())
    assert _save(client, private_community, secret.pk, body="x").status_code == 404
    assert _save(client, private_community, NEW_THREAD, body="x").status_code == 404
    discard = reverse("practice:draft_discard", args=[private_community.slug])
    assert client.post(discard, {"place": secret.pk}).status_code == 404
    assert Draft.objects.count() == 1


def test_outsider_of_open_community_is_refused(client, open_community, thread):
    client.force_login(UserFactory())
    assert _save(client, open_community, thread.pk, body="x").status_code == 403


def test_thread_page_prefills_the_owners_draft_only(client, open_community, member, thread):
    drafts.draft_save(user=member, community=open_community, thread=thread, body="CANARY-draft")
    url = thread.get_absolute_url()
    client.force_login(member)
    page = client.get(url).content.decode()
    assert "CANARY-draft</textarea>" in page
    assert "Draft saved" in page and "Discard draft" in page and "js/drafts.js" in page
    client.force_login(member_of(open_community))
    page = client.get(url).content.decode()
    assert "CANARY-draft" not in page and "Draft saved" not in page
    client.logout()
    assert "CANARY-draft" not in client.get(url).content.decode()


def test_new_thread_page_prefills_the_owners_draft_only(client, open_community, member):
    drafts.draft_save(
        user=member, community=open_community, title="CANARY-title", tags="dressings", body="B1"
    )
    url = reverse("practice:thread_new", args=[open_community.slug])
    client.force_login(member)
    page = client.get(url).content.decode()
    assert 'value="CANARY-title"' in page and 'value="dressings"' in page
    assert "B1</textarea>" in page
    assert "Draft saved" in page
    client.force_login(member_of(open_community))
    page = client.get(url).content.decode()
    assert "CANARY-title" not in page and "Draft saved" not in page


def test_discard_view_redirects_back(client, open_community, member, thread):
    drafts.draft_save(user=member, community=open_community, thread=thread, body="a")
    drafts.draft_save(user=member, community=open_community, body="b")
    client.force_login(member)
    discard = reverse("practice:draft_discard", args=[open_community.slug])
    response = client.post(discard, {"place": thread.pk})
    assert response.status_code == 302 and response.url.endswith(f"/t/{thread.pk}/#reply")
    response = client.post(discard, {"place": NEW_THREAD})
    assert response.url == reverse("practice:thread_new", args=[open_community.slug])
    assert not Draft.objects.exists()
    assert "a</textarea>" not in client.get(thread.get_absolute_url()).content.decode()


def test_posting_deletes_the_draft_of_that_place(client, open_community, member, thread):
    drafts.draft_save(user=member, community=open_community, thread=thread, body="a")
    drafts.draft_save(user=member, community=open_community, body="b")
    client.force_login(member)
    response = client.post(
        reverse("practice:post_reply", args=[open_community.slug, thread.pk]),
        {"body": "My answer"},
    )
    assert response.status_code == 302
    assert list(Draft.objects.values_list("place", flat=True)) == [NEW_THREAD]
    response = client.post(
        reverse("practice:thread_new", args=[open_community.slug]),
        {"kind": "question", "title": "A new one", "body": "Body", "tags": ""},
    )
    assert response.status_code == 302
    assert not Draft.objects.exists()


def test_failed_post_keeps_the_draft(client, open_community, member, thread):
    drafts.draft_save(user=member, community=open_community, thread=thread, body="a")
    client.force_login(member)
    response = client.post(
        reverse("practice:post_reply", args=[open_community.slug, thread.pk]), {"body": ""}
    )
    assert response.status_code == 400
    assert Draft.objects.exists()


def test_thread_page_reads_the_draft_in_one_query(client, open_community, member, thread):
    """The draft is one query for a member who may reply, none for visitors; it does not
    change with the draft's presence."""
    url = thread.get_absolute_url()

    def draft_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        sql = [q["sql"] for q in ctx.captured_queries]
        return len(sql), sum("practice_draft" in q for q in sql)

    assert draft_queries()[1] == 0
    client.force_login(member)
    draft_queries()  # the first visit records things once
    total, drafts_read = draft_queries()
    assert drafts_read == 1
    drafts.draft_save(user=member, community=open_community, thread=thread, body="a")
    assert draft_queries() == (total, 1)
