"""Curation: publish, ask for changes, feature, archive with "superseded by", bring back, mark
reviewed. Each step is recorded, idempotent, and re-indexes the item."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from knowledge.models import ChangeProposal, CurationEvent, Item
from knowledge.services import curation
from tests.factories import CommunityFactory
from tests.knowledge.ka_helpers import edit, propose, propose_change, publish
from tests.practice.factories import member_of, moderator_of

pytestmark = pytest.mark.django_db
Action = CurationEvent.Action
State = Item.State


@pytest.fixture
def people(open_community):
    return open_community, member_of(open_community), moderator_of(open_community)


@pytest.fixture
def indexed(monkeypatch):
    """The ids knowledge tells its item-changed listeners (search re-indexes them), in order."""
    calls = []
    monkeypatch.setattr("knowledge.changes._item_listeners", [calls.append])
    return calls


def actions(item):
    return list(item.curation_events.values_list("action", flat=True))


def test_publish_sets_dates_and_is_idempotent(people, indexed):
    community, member, moderator = people
    item = propose(community, member)
    curation.item_publish(item=item, by=moderator, comment="Welcome")
    curation.item_publish(item=item, by=moderator)
    item.refresh_from_db()
    assert item.state == State.PUBLISHED
    assert item.published_at and item.last_reviewed_at
    assert actions(item) == [Action.PROPOSED, Action.PUBLISHED]
    assert indexed == [item.pk, item.pk]  # the proposal, then publishing (not the no-op)


def test_request_changes_needs_a_comment_and_a_proposal(people):
    community, member, moderator = people
    item = propose(community, member)
    with pytest.raises(ValidationError):
        curation.item_request_changes(item=item, by=moderator, comment="  ")
    curation.item_request_changes(item=item, by=moderator, comment="Add steps")
    curation.item_request_changes(item=item, by=moderator, comment="Add steps")
    assert actions(item).count(Action.CHANGES_REQUESTED) == 1
    published = publish(community, member, moderator)
    with pytest.raises(ValidationError):
        curation.item_request_changes(item=published, by=moderator, comment="Too late")
    # A moderator may still publish what was sent back.
    curation.item_publish(item=item, by=moderator)
    item.refresh_from_db()
    assert item.state == State.PUBLISHED


def test_feature_and_unfeature(people, indexed):
    community, member, moderator = people
    item = propose(community, member)
    with pytest.raises(ValidationError):
        curation.item_feature(item=item, by=moderator)
    curation.item_publish(item=item, by=moderator)
    curation.item_feature(item=item, by=moderator)
    curation.item_feature(item=item, by=moderator)
    item.refresh_from_db()
    assert item.is_featured and item.featured_at
    curation.item_unfeature(item=item, by=moderator)
    curation.item_unfeature(item=item, by=moderator)
    item.refresh_from_db()
    assert not item.is_featured and item.featured_at is None
    assert actions(item) == [Action.PROPOSED, Action.PUBLISHED, Action.FEATURED, Action.UNFEATURED]
    assert len(indexed) == 4


def test_archive_with_superseded_by_and_bring_back(people):
    community, member, moderator = people
    old, new = publish(community, member, moderator), publish(community, member, moderator)
    curation.item_feature(item=old, by=moderator)
    change = propose_change(old, member, body="A change nobody will apply")
    curation.item_archive(item=old, by=moderator, comment="Outdated", superseded_by=new)
    curation.item_archive(item=old, by=moderator)
    old.refresh_from_db()
    change.refresh_from_db()
    assert old.state == State.ARCHIVED and old.archived_at
    assert old.superseded_by == new and not old.is_featured
    assert change.state == ChangeProposal.State.DECLINED
    event = old.curation_events.filter(action=Action.ARCHIVED).get()
    assert "Outdated" in event.comment and new.title in event.comment
    assert list(new.supersedes.all()) == [old]
    curation.item_unarchive(item=old, by=moderator)
    old.refresh_from_db()
    assert old.state == State.PUBLISHED and old.superseded_by is None


def test_archive_refuses_bad_replacements(people):
    community, member, moderator = people
    item = publish(community, member, moderator)
    proposal = propose(community, member)
    elsewhere = CommunityFactory()
    foreign = publish(elsewhere, member_of(elsewhere), moderator_of(elsewhere))
    for replacement in (item, proposal, foreign):
        with pytest.raises(ValidationError) as error:
            curation.item_archive(item=item, by=moderator, superseded_by=replacement)
        assert "superseded_by" in error.value.message_dict
    item.refresh_from_db()
    assert item.state == State.PUBLISHED


def test_declining_a_proposal_archives_it_and_bringing_it_back_makes_it_a_proposal(people):
    community, member, moderator = people
    item = propose(community, member)
    curation.item_archive(item=item, by=moderator, comment="Not for us")
    curation.item_unarchive(item=item, by=moderator)
    item.refresh_from_db()
    assert item.state == State.PROPOSED
    archived = publish(community, member, moderator)
    curation.item_archive(item=archived, by=moderator)
    with pytest.raises(ValidationError):
        curation.item_publish(item=archived, by=moderator)  # bring it back instead


def test_mark_reviewed(people):
    community, member, moderator = people
    item = publish(community, member, moderator)
    Item.objects.filter(pk=item.pk).update(last_reviewed_at=None)
    curation.item_mark_reviewed(item=item, by=moderator, comment="Still right")
    curation.item_mark_reviewed(item=item, by=moderator)  # a double click
    item.refresh_from_db()
    assert item.last_reviewed_at is not None
    assert actions(item).count(Action.REVIEWED) == 1
    with pytest.raises(ValidationError):
        curation.item_mark_reviewed(item=propose(community, member), by=moderator)


def test_every_content_write_reindexes_the_item(people, indexed):
    community, member, moderator = people
    item = propose(community, member)
    edit(item, member, body="Second")
    edit(item, member, body="Second")  # nothing changed: nothing indexed
    curation.item_publish(item=item, by=moderator)
    from knowledge.services import items
    from knowledge.services.revisions import revision_restore

    change = propose_change(item, member_of(community), body="Third")
    items.change_accept(proposal=change, by=moderator)
    revision_restore(revision=item.revisions.get(number=1), by=moderator)
    curation.item_archive(item=item, by=moderator)
    assert indexed == [item.pk] * 6


# --- through the views -------------------------------------------------------------------------


def post(client, name, item, data=None):
    return client.post(
        reverse(f"knowledge:{name}", args=[item.community.slug, item.pk]), data or {}
    )


def test_moderator_curates_from_the_item_page(client, people):
    community, member, moderator = people
    item = propose(community, member)
    client.force_login(moderator)
    page = client.get(item.get_absolute_url()).content.decode()
    assert "Moderator actions" in page and "Publish" in page and "Ask for changes" in page
    response = post(client, "item_request_changes", item, {"comment": ""})
    assert response.status_code == 400 and "Say what should change" in response.content.decode()
    assert post(client, "item_publish", item).status_code == 302
    assert post(client, "item_publish", item).status_code == 302  # a double click
    assert post(client, "item_feature", item).status_code == 302
    assert post(client, "item_review", item).status_code == 302
    item.refresh_from_db()
    assert item.state == State.PUBLISHED and item.is_featured
    page = client.get(item.get_absolute_url()).content.decode()
    assert "Stop featuring" in page and "Archive…" in page
    other = publish(community, member, moderator, title="The replacement")
    archive_url = reverse("knowledge:item_archive", args=[community.slug, item.pk])
    form = client.get(archive_url)
    assert "The replacement" in form.content.decode()
    response = client.post(archive_url, {"comment": "Old", "superseded_by": "999999"})
    assert response.status_code == 400
    response = client.post(archive_url, {"comment": "Old", "superseded_by": str(other.pk)})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == State.ARCHIVED and item.superseded_by == other
    assert post(client, "item_unarchive", item).status_code == 302
    item.refresh_from_db()
    assert item.state == State.PUBLISHED


def test_a_refused_step_is_a_message_not_an_error(client, people):
    community, member, moderator = people
    item = propose(community, member)
    client.force_login(moderator)
    response = post(client, "item_feature", item)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Only published items can be featured." in page


def test_curation_urls_with_bad_ids_are_404(client, people):
    community, _member, moderator = people
    client.force_login(moderator)
    for url in (
        f"/c/{community.slug}/library/999999/publish/",
        f"/c/{community.slug}/library/0/feature/",
        f"/c/{community.slug}/library/99999999999999999999/archive/",
    ):
        assert client.post(url).status_code == 404
    assert client.get(f"/c/{community.slug}/library/abc/").status_code == 404
    assert client.get(f"/c/{community.slug}/library/1/publish/").status_code in (404, 405)
