"""Who sees and does what with items: private communities never show their items, revisions,
change proposals or files to non-members (404); proposals are for their proposer and the
moderators; members cannot publish, ask for changes, feature, archive, bring back, mark
reviewed or restore (403)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from communities import permissions as community_permissions
from knowledge import permissions
from knowledge.models import Item
from knowledge.services import attachments, curation
from knowledge.services.revisions import revision_restore
from tests.factories import CommunityFactory, UserFactory, make_admin
from tests.knowledge.ka_helpers import edit, propose, propose_change, publish
from tests.practice.factories import member_of, moderator_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def attachment_root(settings, tmp_path):
    settings.KNOWLEDGE_ATTACHMENT_ROOT = tmp_path / "attachments"


@pytest.fixture
def private_setup(private_community):
    member, moderator = member_of(private_community), moderator_of(private_community)
    item = publish(private_community, member, moderator, title="CANARY private item")
    edit(item, moderator, body="CANARY second revision")
    attachment = attachments.attachment_add(
        item=item, by=moderator, upload=SimpleUploadedFile("canary.txt", b"CANARY file")
    )
    change = propose_change(item, member, body="CANARY change")
    return private_community, item, attachment, change, member, moderator


def item_urls(item, attachment, change) -> list[str]:
    slug, pk = item.community.slug, item.pk
    return [
        reverse("knowledge:library", args=[slug]),
        reverse("knowledge:item", args=[slug, pk]),
        reverse("knowledge:item_history", args=[slug, pk]),
        reverse("knowledge:item_diff", args=[slug, pk]) + "?from=1&to=2",
        reverse("knowledge:attachment", args=[slug, pk, attachment.pk]),
        reverse("knowledge:change", args=[slug, pk, change.pk]),
        reverse("knowledge:item_edit", args=[slug, pk]),
        reverse("knowledge:change_new", args=[slug, pk]),
        reverse("knowledge:my_proposals", args=[slug]),
        reverse("knowledge:item_archive", args=[slug, pk]),
    ]


@pytest.mark.parametrize("viewer_kind", ["anonymous", "outsider", "member_elsewhere", "pending"])
def test_private_items_never_reach_non_members(client, private_setup, viewer_kind):
    community, item, attachment, change, _member, _moderator = private_setup
    if viewer_kind != "anonymous":
        user = UserFactory()
        if viewer_kind == "member_elsewhere":
            member_of(CommunityFactory())
            user = member_of(CommunityFactory())
        elif viewer_kind == "pending":
            from tests.factories import make_member

            make_member(community, user, state="pending")
        client.force_login(user)
    for url in item_urls(item, attachment, change):
        response = client.get(url)
        if viewer_kind == "anonymous" and response.status_code == 302:
            assert "/accounts/login/" in response["Location"]
            continue
        assert response.status_code == 404, url
        assert b"CANARY" not in response.content
    for name in ("item_publish", "item_feature", "item_review", "item_request_changes"):
        response = client.post(reverse(f"knowledge:{name}", args=[community.slug, item.pk]))
        assert response.status_code in (302, 404)
        if response.status_code == 302:
            assert "/accounts/login/" in response["Location"]


def test_private_items_reach_members(client, private_setup):
    community, item, attachment, change, member, moderator = private_setup
    client.force_login(member)
    for url in item_urls(item, attachment, change):
        if "archive" in url:
            continue
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
    assert permissions.readable_items(member).filter(pk=item.pk).exists()
    assert not permissions.readable_items(UserFactory()).filter(pk=item.pk).exists()


def test_readable_items_is_published_items_of_readable_communities(private_setup):
    community, item, *_ = private_setup
    open_community = CommunityFactory()
    member, moderator = member_of(open_community), moderator_of(open_community)
    public = publish(open_community, member, moderator)
    waiting = propose(open_community, member)
    anonymous = AnonymousUser()
    ids = set(permissions.readable_items(anonymous).values_list("pk", flat=True))
    assert public.pk in ids and waiting.pk not in ids and item.pk not in ids
    assert item.pk in set(permissions.readable_items(make_admin()).values_list("pk", flat=True))


def test_proposals_are_for_the_proposer_and_moderators(client, open_community):
    proposer, other, moderator = (
        member_of(open_community),
        member_of(open_community),
        moderator_of(open_community),
    )
    item = propose(open_community, proposer, title="CANARY proposal")
    url = item.get_absolute_url()
    assert client.get(url).status_code == 404
    client.force_login(other)
    assert client.get(url).status_code == 404
    assert (
        client.get(reverse("knowledge:item_history", args=["wound-care", item.pk])).status_code
        == 404
    )
    client.force_login(proposer)
    assert client.get(url).status_code == 200
    client.force_login(moderator)
    assert client.get(url).status_code == 200
    assert set(permissions.items_visible_to(other, open_community)) == set()
    assert set(permissions.items_visible_to(proposer, open_community)) == {item}


def test_archived_items_are_readable_by_address_but_not_listed(client, open_community):
    member, moderator = member_of(open_community), moderator_of(open_community)
    old, new = (
        publish(open_community, member, moderator),
        publish(open_community, member, moderator),
    )
    curation.item_archive(item=old, by=moderator, superseded_by=new)
    response = client.get(old.get_absolute_url())
    assert response.status_code == 200
    assert "superseded by" in response.content.decode()
    listed = client.get(reverse("knowledge:library", args=["wound-care"])).context["page"]
    assert [i.pk for i in listed.object_list] == [new.pk]


def test_a_proposal_archived_unpublished_stays_with_its_proposer_and_moderators(
    client, open_community
):
    proposer, other, moderator = (
        member_of(open_community),
        member_of(open_community),
        moderator_of(open_community),
    )
    refused = propose(open_community, proposer, title="CANARY-refused-title")
    curation.item_archive(item=refused, by=moderator, comment="Out of scope")
    urls = [
        refused.get_absolute_url(),
        reverse("knowledge:item_history", args=["wound-care", refused.pk]),
    ]
    for viewer in (None, other, UserFactory()):
        client.logout()
        if viewer is not None:
            client.force_login(viewer)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 404, (viewer, url)
            assert "CANARY-refused-title" not in response.content.decode()
    for viewer in (proposer, moderator):
        client.force_login(viewer)
        assert all(client.get(url).status_code == 200 for url in urls)


def test_change_proposals_are_for_their_proposer_and_moderators(client, open_community):
    member, other, moderator = (
        member_of(open_community),
        member_of(open_community),
        moderator_of(open_community),
    )
    item = publish(open_community, member_of(open_community), moderator)
    change = propose_change(item, member, body="My version")
    url = reverse("knowledge:change", args=["wound-care", item.pk, change.pk])
    client.force_login(other)
    assert client.get(url).status_code == 404
    client.force_login(member)
    assert client.get(url).status_code == 200
    client.force_login(moderator)
    assert client.get(url).status_code == 200


CURATION_POSTS = [
    "item_publish", "item_feature", "item_unfeature", "item_unarchive", "item_review",
    "item_request_changes", "item_archive",
]  # fmt: skip


@pytest.mark.parametrize("name", CURATION_POSTS)
def test_members_cannot_curate_through_the_views(client, open_community, name):
    member, moderator = member_of(open_community), moderator_of(open_community)
    proposed = propose(open_community, member)
    published = publish(open_community, member, moderator)
    client.force_login(member)
    for item in (proposed, published):
        response = client.post(
            reverse(f"knowledge:{name}", args=["wound-care", item.pk]), {"comment": "mine"}
        )
        assert response.status_code == 403
    proposed.refresh_from_db()
    published.refresh_from_db()
    assert proposed.state == Item.State.PROPOSED
    assert published.state == Item.State.PUBLISHED and not published.is_featured


def test_members_cannot_curate_through_the_services(open_community):
    member, moderator = member_of(open_community), moderator_of(open_community)
    proposed = propose(open_community, member)
    published = publish(open_community, member, moderator)
    edit(published, moderator, body="Second")
    for service, item in (
        (curation.item_publish, proposed),
        (curation.item_feature, published),
        (curation.item_archive, published),
        (curation.item_mark_reviewed, published),
    ):
        with pytest.raises(PermissionDenied):
            service(item=item, by=member)
    with pytest.raises(PermissionDenied):
        curation.item_request_changes(item=proposed, by=member, comment="x")
    with pytest.raises(PermissionDenied):
        revision_restore(revision=published.revisions.get(number=1), by=member)
    change = propose_change(published, member, body="Mine")
    from knowledge.services import items

    with pytest.raises(PermissionDenied):
        items.change_accept(proposal=change, by=member)


def test_members_cannot_restore_revisions_through_the_view(client, open_community):
    member, moderator = member_of(open_community), moderator_of(open_community)
    item = publish(open_community, member, moderator)
    edit(item, moderator, body="Second")
    client.force_login(member)
    url = reverse("knowledge:revision_restore", args=["wound-care", item.pk, 1])
    assert client.post(url).status_code == 403
    item.refresh_from_db()
    assert item.revision_count == 2


def test_moderators_of_another_community_cannot_curate(client, open_community):
    member = member_of(open_community)
    item = propose(open_community, member)
    elsewhere = moderator_of(CommunityFactory())
    with pytest.raises(PermissionDenied):
        curation.item_publish(item=item, by=elsewhere)
    client.force_login(elsewhere)
    assert (
        client.post(reverse("knowledge:item_publish", args=["wound-care", item.pk])).status_code
        == 404
    )


def test_banned_members_cannot_propose_or_edit(open_community):
    from tests.factories import make_member

    member = member_of(open_community)
    item = propose(open_community, member)
    make_member(open_community, member, state="banned")
    community_permissions.forget_memberships(member)
    with pytest.raises(PermissionDenied):
        propose(open_community, member)
    with pytest.raises(PermissionDenied):
        edit(item, member, body="Still here")


# --- curation comments: the item's activity log carries only what its reader may see ----------
# A change proposal's note is for the moderators; their answers (ask for changes, decline,
# accept) are for the proposer, on the proposal's page; what a moderator tells the proposer of
# a new item before it is published (send back, decline by archiving) is for that proposer.
# Comments meant for the history (an edit's "what did you change?") are for every reader.

EVERYONE = {"anonymous", "outsider", "staff", "member", "proposer", "changer", "moderator", "admin"}
CURATION_CANARIES = {
    "canary-x1-sent-back": {"proposer", "moderator", "admin"},
    "canary-x2-change-note": {"changer", "moderator", "admin"},
    "canary-x3-ask-for-changes": {"moderator", "admin"},
    "canary-x4-decline": {"moderator", "admin"},
    "canary-x5-accepted-note": {"changer", "moderator", "admin"},
    "canary-x6-accept-reply": {"moderator", "admin"},
    "canary-x7-edit-comment": EVERYONE,
    "canary-x8-refused-proposal": {"proposer", "moderator", "admin"},
}


@pytest.fixture
def curation_log(open_community):
    from knowledge.services import items as item_services

    people = {
        "proposer": member_of(open_community),
        "changer": member_of(open_community),
        "member": member_of(open_community),
        "moderator": moderator_of(open_community),
    }
    proposer, changer, moderator = people["proposer"], people["changer"], people["moderator"]
    item = propose(open_community, proposer)
    curation.item_request_changes(item=item, by=moderator, comment="canary-x1-sent-back")
    edit(item, proposer, summary="A better summary.")  # resubmitted
    item = curation.item_publish(item=item, by=moderator)
    change = propose_change(item, changer, note="canary-x2-change-note", body="Version two")
    item_services.change_request_changes(
        proposal=change, by=moderator, comment="canary-x3-ask-for-changes"
    )
    change = propose_change(item, changer, note="canary-x2-change-note", body="Version three")
    item_services.change_decline(proposal=change, by=moderator, comment="canary-x4-decline")
    change = propose_change(item, changer, note="canary-x5-accepted-note", body="Version four")
    item_services.change_accept(proposal=change, by=moderator, comment="canary-x6-accept-reply")
    edit(item, moderator, summary="Edited again.", comment="canary-x7-edit-comment")
    refused = propose(open_community, proposer, title="A refused proposal")
    curation.item_archive(item=refused, by=moderator, comment="canary-x8-refused-proposal")
    return item, refused, people


@pytest.mark.parametrize("viewer", sorted(EVERYONE))
def test_curation_comments_reach_only_their_readers(client, curation_log, viewer):
    item, refused, people = curation_log
    user = {
        "anonymous": lambda: None,
        "outsider": UserFactory,
        "staff": lambda: UserFactory(is_staff=True),
        "admin": make_admin,
    }.get(viewer, lambda: people[viewer])()
    if user is not None:
        client.force_login(user)
    pages = []
    refused_readers = {"proposer", "moderator", "admin"}
    for shown, readable in ((item, True), (refused, viewer in refused_readers)):
        for name in ("knowledge:item", "knowledge:item_history"):
            response = client.get(reverse(name, args=[shown.community.slug, shown.pk]))
            assert response.status_code == (200 if readable else 404), (name, shown)
            pages.append(response.content.decode())
    body = "\n".join(pages)
    for canary, readers in CURATION_CANARIES.items():
        assert (canary in body) is (viewer in readers), canary


@pytest.mark.parametrize("visibility", ["open", "private"])
@pytest.mark.parametrize(
    "viewer_kind", ["anonymous", "outsider", "member", "proposer", "moderator", "admin"]
)
def test_can_open_item_agrees_with_items_visible_to(visibility, viewer_kind):
    """The one-item predicate the thread page's panel uses decides as the queryset does, for
    items in every state, with and without a past publication, and of another community."""
    community = CommunityFactory(slug=f"items-{visibility}", visibility=visibility)
    other = CommunityFactory(slug=f"other-{visibility}", visibility="open")
    proposer, moderator = member_of(community), moderator_of(community)
    published = publish(community, proposer, moderator, title="Published")
    proposed = propose(community, proposer, title="Proposed")
    asked = propose(community, proposer, title="Changes requested")
    curation.item_request_changes(item=asked, by=moderator, comment="Say more.")
    archived_published = publish(community, proposer, moderator, title="Archived, was published")
    curation.item_archive(item=archived_published, by=moderator)
    archived_unpublished = propose(community, proposer, title="Archived, never published")
    curation.item_archive(item=archived_unpublished, by=moderator)
    elsewhere = publish(other, member_of(other), moderator_of(other), title="Elsewhere")
    viewer = {
        "anonymous": AnonymousUser(),
        "outsider": UserFactory(),
        "member": member_of(community),
        "proposer": proposer,
        "moderator": moderator,
        "admin": make_admin(),
    }[viewer_kind]
    items = [published, proposed, asked, archived_published, archived_unpublished, elsewhere]
    visible = set(permissions.items_visible_to(viewer, community).values_list("pk", flat=True))
    decided = {
        item.pk
        for item in Item.objects.filter(pk__in=[i.pk for i in items])
        if permissions.can_open_item(viewer, item, community)
    }
    assert decided == visible
    assert elsewhere.pk not in decided
