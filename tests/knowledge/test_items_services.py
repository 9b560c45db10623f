"""Item services: propose, edit with revisions, change proposals, co-edit interactions."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from communities.models import Interaction
from knowledge.models import ChangeProposal, CurationEvent, Item, ItemContributor, ItemRevision
from knowledge.services import curation, items
from knowledge.services.revisions import revision_restore
from tests.factories import CommunityFactory, UserFactory, make_admin
from tests.practice.factories import answer, ask, member_of, moderator_of

pytestmark = pytest.mark.django_db
Action = CurationEvent.Action


def propose(community, by, **kwargs):
    data = {
        "kind": "method",
        "title": "Two-nurse check for heel wounds",
        "summary": "A short check at every shift change.",
        "body": "1. Look\n2. Measure\n3. Write it down",
        "tag_names": ["heels", "pressure"],
    }
    data.update(kwargs)
    return items.item_propose(community=community, by=by, **data)


def edit(item, by, **changes):
    item.refresh_from_db()
    data = {
        "kind": item.kind,
        "title": item.title,
        "summary": item.summary,
        "body": item.body,
        "tag_names": list(item.tags.names()),
    }
    data.update(changes)
    return items.item_edit(item=item, by=by, **data)


@pytest.fixture
def community():
    return CommunityFactory(slug="wound-care")


def test_item_propose_makes_a_proposal_with_revision_credit_and_event(community):
    member = member_of(community)
    item = propose(community, member, links=[("https://example.org/guide", "The guide")])
    assert item.state == Item.State.PROPOSED
    assert item.revision_count == 1
    revision = item.revisions.get()
    assert (revision.number, revision.editor, revision.title) == (1, member, item.title)
    assert sorted(revision.tag_names) == ["heels", "pressure"]
    assert sorted(item.tags.names()) == ["heels", "pressure"]
    assert "<ol>" in item.body_html
    assert list(item.credits.values_list("user", "role")) == [(member.pk, "author")]
    assert list(item.links.values_list("url", "label")) == [
        ("https://example.org/guide", "The guide")
    ]
    assert list(item.curation_events.values_list("action", flat=True)) == [Action.PROPOSED]


def test_item_propose_normalises_and_validates_every_field(community):
    member = member_of(community)
    item = propose(
        community, member, title="  Two   words ", summary="Line one\nline two", tag_names="A, b ,a"
    )
    assert item.title == "Two words"
    assert item.summary == "Line one line two"
    assert sorted(item.tags.names()) == ["a", "b"]
    with pytest.raises(ValidationError) as error:
        propose(community, member, kind="poem", title="", summary="", body="x" * 100_001)
    assert set(error.value.message_dict) == {"kind", "title", "summary", "body"}
    with pytest.raises(ValidationError) as error:
        propose(community, member, body="nul \x00 here")
    assert "body" in error.value.message_dict
    with pytest.raises(ValidationError):
        propose(community, member, tag_names=[f"t{i}" for i in range(9)])
    with pytest.raises(ValidationError):
        propose(community, member, links=[("javascript:alert(1)", "x")])
    assert Item.objects.count() == 1


def test_item_propose_twice_with_one_submission_key_makes_one_item(community):
    member = member_of(community)
    first = propose(community, member, submission_key="k" * 32)
    second = propose(community, member, submission_key="k" * 32)
    assert first.pk == second.pk
    assert Item.objects.count() == 1
    assert ItemRevision.objects.count() == 1


def test_item_propose_needs_an_active_member(community, private_community):
    with pytest.raises(PermissionDenied):
        propose(community, UserFactory())
    with pytest.raises(PermissionDenied):
        propose(private_community, member_of(community))


def test_promoted_item_credits_the_source_and_needs_a_moderator(community):
    asker, answerer = member_of(community), member_of(community)
    moderator = moderator_of(community)
    thread = ask(community, asker)
    post = answer(thread, answerer)
    with pytest.raises(PermissionDenied):
        propose(community, asker, promoted=True, source_thread=thread)
    item = propose(
        community, moderator, promoted=True, source_post=post, extra_contributors=[asker, answerer]
    )
    assert item.source_thread == thread
    assert dict(item.credits.values_list("user", "role")) == {
        moderator.pk: "author",
        asker.pk: "source",
        answerer.pk: "source",
    }
    assert item.curation_events.get().action == Action.PROMOTED


def test_item_edit_by_the_proposer_and_moderator_makes_revisions(community):
    member, moderator = member_of(community), moderator_of(community)
    item = propose(community, member)
    edit(item, member, body="New body", comment="Shorter")
    edit(item, moderator, title="Two-nurse heel check")
    item.refresh_from_db()
    assert item.revision_count == 3
    assert list(item.revisions.values_list("number", "editor", "comment")) == [
        (1, member.pk, "First proposal"),
        (2, member.pk, "Shorter"),
        (3, moderator.pk, ""),
    ]
    assert item.title == "Two-nurse heel check" and item.body == "New body"
    assert dict(item.credits.values_list("user", "role")) == {
        member.pk: "author",
        moderator.pk: "editor",
    }


def test_item_edit_that_changes_nothing_writes_nothing(community):
    member = member_of(community)
    item = propose(community, member)
    edit(item, member)
    edit(item, member, tag_names=["pressure", "heels"])  # same tags, another order
    assert ItemRevision.objects.count() == 1
    assert CurationEvent.objects.count() == 1


def test_item_edit_links_only_keeps_the_revision_count(community):
    member = member_of(community)
    item = propose(community, member)
    edit(item, member, links=[("https://example.org/a", "A")])
    item.refresh_from_db()
    assert item.revision_count == 1
    assert item.links.count() == 1


def test_item_edit_refused_to_others_and_after_publishing(community):
    member, other, moderator = member_of(community), member_of(community), moderator_of(community)
    item = propose(community, member)
    with pytest.raises(PermissionDenied):
        edit(item, other, title="Mine now")
    curation.item_publish(item=item, by=moderator)
    with pytest.raises(PermissionDenied):
        edit(item, member, title="Still mine")
    edit(item, moderator, title="Moderators edit published items")


def test_resubmitting_after_changes_requested(community):
    member, moderator = member_of(community), moderator_of(community)
    item = propose(community, member)
    curation.item_request_changes(item=item, by=moderator, comment="Add the steps.")
    item.refresh_from_db()
    assert item.state == Item.State.CHANGES_REQUESTED
    edit(item, member, body="1. Look\n2. Measure\n3. Write\n4. Tell")
    item.refresh_from_db()
    assert item.state == Item.State.PROPOSED
    assert item.curation_events.last().action == Action.RESUBMITTED


def published(community, moderator, member=None):
    item = propose(community, member or member_of(community))
    return curation.item_publish(item=item, by=moderator)


def change(item, by, **changes):
    item.refresh_from_db()
    data = {
        "kind": item.kind,
        "title": item.title,
        "summary": item.summary,
        "body": item.body,
        "tag_names": list(item.tags.names()),
        "note": "",
    }
    data.update(changes)
    return items.change_propose(item=item, by=by, **data)


def test_change_propose_and_accept_credits_the_member(community):
    moderator, member = moderator_of(community), member_of(community)
    item = published(community, moderator)
    proposal = change(item, member, body="A better body", note="Clearer")
    assert proposal.state == ChangeProposal.State.PENDING
    assert proposal.base_revision == 1
    item.refresh_from_db()
    assert item.body != "A better body"  # nothing changes before a moderator accepts
    items.change_accept(proposal=proposal, by=moderator, comment="Thanks")
    item.refresh_from_db()
    proposal.refresh_from_db()
    assert item.body == "A better body" and item.revision_count == 2
    assert item.revisions.last().editor == member
    assert item.credits.get(user=member).role == ItemContributor.Role.EDITOR
    assert (proposal.state, proposal.decided_by, proposal.moderator_comment) == (
        "accepted",
        moderator,
        "Thanks",
    )
    # A second click changes nothing.
    items.change_accept(proposal=proposal, by=moderator)
    assert ItemRevision.objects.filter(item=item).count() == 2


def test_change_propose_again_updates_the_open_proposal(community):
    moderator, member = moderator_of(community), member_of(community)
    item = published(community, moderator)
    first = change(item, member, body="Version A")
    again = change(item, member, body="Version A")
    assert again.pk == first.pk
    revised = change(item, member, body="Version B")
    assert revised.pk == first.pk
    assert ChangeProposal.objects.get().body == "Version B"
    with pytest.raises(ValidationError):
        change(item, member)  # identical to the item


def test_change_propose_refused_to_non_members_moderators_and_proposals(community):
    moderator, member = moderator_of(community), member_of(community)
    item = published(community, moderator)
    with pytest.raises(PermissionDenied):
        change(item, UserFactory(), body="x")
    with pytest.raises(PermissionDenied):
        change(item, moderator, body="x")  # moderators edit directly
    proposal_item = propose(community, member_of(community))
    with pytest.raises(PermissionDenied):
        change(proposal_item, member, body="x")


def test_change_decline_request_changes_and_withdraw(community):
    moderator, member = moderator_of(community), member_of(community)
    item = published(community, moderator)
    proposal = change(item, member, body="Version A")
    with pytest.raises(ValidationError):
        items.change_request_changes(proposal=proposal, by=moderator, comment="")
    with pytest.raises(PermissionDenied):
        items.change_decline(proposal=proposal, by=member)
    items.change_request_changes(proposal=proposal, by=moderator, comment="Cite a source")
    proposal.refresh_from_db()
    assert proposal.state == ChangeProposal.State.CHANGES_REQUESTED
    revised = change(item, member, body="Version A, with a source")
    assert revised.pk == proposal.pk and revised.state == ChangeProposal.State.PENDING
    items.change_decline(proposal=revised, by=moderator, comment="Not now")
    revised.refresh_from_db()
    assert revised.state == ChangeProposal.State.DECLINED
    with pytest.raises(ValidationError):
        items.change_accept(proposal=revised, by=moderator)
    another = change(item, member, body="Version C")
    assert another.pk != revised.pk
    items.change_withdraw(proposal=another, by=member)
    another.refresh_from_db()
    assert another.state == ChangeProposal.State.WITHDRAWN


def co_edits(**filters):
    return set(
        Interaction.objects.filter(kind=Interaction.Kind.CO_EDIT, **filters).values_list(
            "community_id", "actor_id", "target_id", "kind", "occurred_at",
            "source_type_id", "source_id", "group_size",
        )
    )  # fmt: skip


def test_co_edit_interactions_among_distinct_editors(community):
    ann, bob, moderator = member_of(community), member_of(community), moderator_of(community)
    item = propose(community, ann)
    edit(item, ann, body="Ann again")
    assert not co_edits()  # one editor is nobody's co-editor
    edit(item, moderator, body="Moderator's words")
    rows = co_edits()
    assert {(a, t, size) for _c, a, t, _k, _o, _st, _s, size in rows} == {
        (ann.pk, moderator.pk, 2),
        (moderator.pk, ann.pk, 2),
    }
    curation.item_publish(item=item, by=moderator)
    proposal = change(item, bob, body="Bob's words")
    items.change_accept(proposal=proposal, by=moderator)
    third = item.revisions.get(number=4)
    pairs = {(a, t, size) for _c, a, t, _k, _o, _st, s, size in co_edits() if s == third.pk}
    assert len(pairs) == 6 and {size for *_, size in pairs} == {3}


def test_rebuild_interactions_reproduces_the_co_edit_log():
    first, second = CommunityFactory(slug="first"), CommunityFactory(slug="second")
    ann, bob = member_of(first), member_of(first)
    moderator = moderator_of(first)
    other_mod = moderator_of(second)
    item = propose(first, ann)
    edit(item, moderator, body="v2")
    edit(item, ann, body="v3")
    curation.item_publish(item=item, by=moderator)
    items.change_accept(proposal=change(item, bob, body="v4"), by=moderator)
    revision_restore(revision=item.revisions.get(number=2), by=moderator)
    lone = propose(second, member_of(second))
    edit(lone, other_mod, body="other")
    before = co_edits()
    assert len(before) == 2 + 2 + 6 + 6 + 2
    call_command("rebuild_interactions")
    assert co_edits() == before
    call_command("rebuild_interactions", "first")
    assert co_edits() == before


def test_admin_may_curate_without_membership(community):
    admin = make_admin()
    item = propose(community, member_of(community))
    curation.item_publish(item=item, by=admin)
    item.refresh_from_db()
    assert item.state == Item.State.PUBLISHED
