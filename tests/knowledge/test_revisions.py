"""Revisions: a readable history with diffs, a diff between any two revisions, and one-click
restore for moderators (itself a new revision; history is never rewritten)."""

import pytest
from django.urls import reverse

from knowledge.models import CurationEvent, ItemRevision
from knowledge.selectors.items import diff_versions, item_history
from knowledge.services.revisions import revision_restore
from tests.knowledge.ka_helpers import edit, publish
from tests.practice.factories import member_of, moderator_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def item_with_history(open_community):
    member, moderator = member_of(open_community), moderator_of(open_community)
    item = publish(open_community, member, moderator, body="one\ntwo\nthree")
    edit(item, moderator, body="one\n2\nthree", title="Renamed", tag_names=["heels"], comment="Fix")
    edit(item, moderator, kind="tool", summary="Shorter.")
    item.refresh_from_db()
    return item, member, moderator


def test_history_diffs_each_revision_against_the_one_before(item_with_history):
    item, member, moderator = item_with_history
    entries = item_history(item=item)
    assert [e.revision.number for e in entries] == [3, 2, 1]
    assert entries[0].is_current and not entries[1].is_current
    assert entries[2].diff is None  # the first version is shown whole
    second = entries[1].diff
    assert {c.label for c in second.fields} == {"Title", "Tags"}
    assert [(line.kind, line.text) for line in second.body if line.kind != "context"] == [
        ("hunk", "…"), ("del", "two"), ("add", "2")
    ]  # fmt: skip
    third = entries[0].diff
    assert {(c.label, c.before, c.after) for c in third.fields} == {
        ("Kind", "Method", "Tool"),
        ("Summary", "A short check at every shift change.", "Shorter."),
    }
    assert third.body == []


def test_history_page_shows_diffs_and_restore_buttons_for_moderators(client, item_with_history):
    item, member, moderator = item_with_history
    url = reverse("knowledge:item_history", args=[item.community.slug, item.pk])
    page = client.get(url).content.decode()
    assert "Revision 3" in page and "diff-del" in page and "diff-add" in page
    assert "Restore revision" not in page
    client.force_login(moderator)
    page = client.get(url).content.decode()
    assert "Restore revision 1" in page and "Restore revision 2" in page
    assert "Restore revision 3" not in page  # the current one


def test_restore_is_one_click_and_a_new_revision(client, item_with_history):
    item, member, moderator = item_with_history
    client.force_login(moderator)
    url = reverse("knowledge:revision_restore", args=[item.community.slug, item.pk, 1])
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == item.get_absolute_url()
    item.refresh_from_db()
    first = item.revisions.get(number=1)
    assert item.revision_count == 4
    assert (item.title, item.kind, item.summary, item.body) == (
        first.title, first.kind, first.summary, first.body
    )  # fmt: skip
    assert sorted(item.tags.names()) == sorted(first.tag_names)
    latest = item.revisions.get(number=4)
    assert latest.editor == moderator and latest.comment == "Restored revision 1"
    assert item.curation_events.last().action == CurationEvent.Action.REVISION_RESTORED
    client.post(url)  # a double click restores nothing more
    assert ItemRevision.objects.filter(item=item).count() == 4


def test_restore_of_the_current_revision_changes_nothing(item_with_history):
    item, _member, moderator = item_with_history
    revision_restore(revision=item.revisions.get(number=3), by=moderator)
    item.refresh_from_db()
    assert item.revision_count == 3


def test_restore_and_diff_with_bad_numbers_are_404(client, item_with_history):
    item, _member, moderator = item_with_history
    client.force_login(moderator)
    slug = item.community.slug
    assert client.post(f"/c/{slug}/library/{item.pk}/revisions/99/restore/").status_code == 404
    assert client.get(f"/c/{slug}/library/{item.pk}/revisions/1/restore/").status_code == 405
    diff = reverse("knowledge:item_diff", args=[slug, item.pk])
    for query in (
        "",
        "?from=1",
        "?from=1&to=99",
        "?from=x&to=2",
        "?from=-1&to=2",
        "?from=1e9&to=2",
    ):
        assert client.get(diff + query).status_code == 404, query
    response = client.get(diff + "?from=1&to=3")
    assert response.status_code == 200
    assert "Revision 1 → revision 3" in response.content.decode()


def test_diff_versions_of_identical_content_is_empty(item_with_history):
    item, *_ = item_with_history
    revision = item.revisions.get(number=3)
    assert diff_versions(revision, revision).is_empty
