"""Evidence from practice: "I used this" reports, exact counters, worked interactions, the
panel on the item page, the form view and its permissions."""

import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities.models import Interaction, Membership
from knowledge.models import Evidence, Item, ItemContributor
from knowledge.selectors.evidence import NOTES_SHOWN, item_evidence
from knowledge.services.evidence import evidence_report, evidence_withdraw, item_recount_evidence
from knowledge.services.items import item_edit
from tests.factories import UserFactory, make_member
from tests.knowledge.kb_helpers import proposed_item, published_item
from tests.practice.factories import member_of, moderator_of

pytestmark = pytest.mark.django_db
Outcome = Evidence.Outcome


@pytest.fixture
def setting(open_community):
    community = open_community
    moderator = moderator_of(community, username="mod")
    author = member_of(community, username="author")
    item = published_item(community, author, moderator, title="Heel offloading")
    return community, moderator, author, item


def counters(item):
    item.refresh_from_db()
    return item.worked_count, item.partly_count, item.failed_count, item.used_count


def worked_pairs(community):
    return set(
        Interaction.objects.filter(community=community, kind=Interaction.Kind.WORKED).values_list(
            "actor__username", "target__username"
        )
    )


def test_evidence_report_counts_and_changes(setting):
    community, _, author, item = setting
    ann, ben, cas = (member_of(community, username=n) for n in ("ann", "ben", "cas"))
    evidence_report(item=item, member=ann, outcome=Outcome.WORKED, note="On a night shift.")
    evidence_report(item=item, member=ben, outcome=Outcome.PARTLY)
    evidence_report(item=item, member=cas, outcome=Outcome.FAILED, note="Heel still red.")
    assert counters(item) == (1, 1, 1, 3)
    evidence_report(item=item, member=cas, outcome=Outcome.WORKED, note="Worked the 2nd time.")
    assert counters(item) == (2, 1, 0, 3)
    assert Evidence.objects.filter(item=item).count() == 3
    assert evidence_withdraw(item=item, member=ben) is True
    assert evidence_withdraw(item=item, member=ben) is False
    assert counters(item) == (2, 0, 0, 2)


def test_evidence_report_twice_is_one_report(setting):
    community, _, _, item = setting
    ann = member_of(community)
    first = evidence_report(item=item, member=ann, outcome=Outcome.WORKED, note="ok")
    second = evidence_report(item=item, member=ann, outcome=Outcome.WORKED, note="ok")
    assert first.pk == second.pk and first.updated_at == second.updated_at
    assert Evidence.objects.filter(item=item).count() == 1
    assert counters(item) == (1, 0, 0, 1)


def test_evidence_counters_recompute_from_rows(setting):
    community, _, _, item = setting
    evidence_report(item=item, member=member_of(community), outcome=Outcome.FAILED)
    Item.objects.filter(pk=item.pk).update(worked_count=9, failed_count=0, used_count=40)
    item_recount_evidence(item.pk)
    assert counters(item) == (0, 0, 1, 1)


def test_evidence_worked_interactions_go_to_authors_and_sources_only(open_community):
    community = open_community
    moderator = moderator_of(community, username="mod")
    author = member_of(community, username="author")
    source = member_of(community, username="source")
    editor = member_of(community, username="editor")
    item = published_item(community, author, moderator, extra_contributors=[source], promoted=False)
    make_member(community, editor, role=Membership.Role.MODERATOR)
    item_edit(
        item=item, by=editor, kind=item.kind, title=item.title, summary="Better summary.",
        body=item.body, tag_names=(),
    )  # fmt: skip
    assert ItemContributor.objects.filter(item=item, user=editor).exists()
    reporter = member_of(community, username="reporter")
    evidence_report(item=item, member=reporter, outcome=Outcome.WORKED)
    assert worked_pairs(community) == {("reporter", "author"), ("reporter", "source")}
    # The author's own report thanks the other contributor, never themself.
    evidence_report(item=item, member=author, outcome=Outcome.WORKED)
    assert ("author", "source") in worked_pairs(community)
    assert ("author", "author") not in worked_pairs(community)


def test_evidence_interactions_retracted_on_change_and_withdrawal(setting):
    community, _, _, item = setting
    ann = member_of(community, username="ann")
    evidence_report(item=item, member=ann, outcome=Outcome.WORKED)
    assert worked_pairs(community) == {("ann", "author")}
    evidence_report(item=item, member=ann, outcome=Outcome.FAILED)
    assert worked_pairs(community) == set()
    evidence_report(item=item, member=ann, outcome=Outcome.WORKED)
    evidence_withdraw(item=item, member=ann)
    assert worked_pairs(community) == set()
    assert not Interaction.objects.filter(
        source_type=ContentType.objects.get_for_model(Evidence)
    ).exists()


def test_rebuild_interactions_reproduces_the_evidence_log(setting):
    community, moderator, author, item = setting
    other = published_item(
        community, member_of(community, username="second"), moderator, title="Pressure map"
    )
    people = [member_of(community, username=f"m{i}") for i in range(5)]
    evidence_report(item=item, member=people[0], outcome=Outcome.WORKED, note="a")
    evidence_report(item=item, member=people[1], outcome=Outcome.FAILED)
    evidence_report(item=item, member=people[2], outcome=Outcome.WORKED)
    evidence_report(item=item, member=people[2], outcome=Outcome.WORKED, note="later note")
    evidence_report(item=other, member=people[3], outcome=Outcome.PARTLY)
    evidence_report(item=other, member=people[3], outcome=Outcome.WORKED)
    evidence_report(item=other, member=people[4], outcome=Outcome.WORKED)
    evidence_withdraw(item=other, member=people[4])
    evidence_report(item=other, member=author, outcome=Outcome.WORKED)

    def snapshot():
        return set(
            Interaction.objects.filter(community=community).values_list(
                "community_id", "actor_id", "target_id", "kind", "occurred_at",
                "source_type_id", "source_id", "group_size",
            )
        )  # fmt: skip

    before = snapshot()
    assert {row for row in before if row[3] == "worked"}, "the scenario logs worked interactions"
    Interaction.objects.filter(community=community).delete()
    call_command("rebuild_interactions", community.slug, stdout=io.StringIO())
    assert snapshot() == before


@pytest.mark.parametrize("who", ["outsider", "pending", "banned", "anonymous"])
def test_evidence_report_refused_to_non_members(setting, who):
    community, _, _, item = setting
    from django.contrib.auth.models import AnonymousUser

    if who == "anonymous":
        person = AnonymousUser()
    else:
        person = UserFactory()
        if who != "outsider":
            make_member(community, person, state=who)
    with pytest.raises(PermissionDenied):
        evidence_report(item=item, member=person, outcome=Outcome.WORKED)
    assert counters(item) == (0, 0, 0, 0)


def test_evidence_report_refused_on_unpublished_items(open_community):
    community = open_community
    author = member_of(community)
    item = proposed_item(community, author)
    with pytest.raises(PermissionDenied):
        evidence_report(item=item, member=member_of(community), outcome=Outcome.WORKED)


def test_evidence_report_validates_outcome_and_note(setting):
    community, _, _, item = setting
    ann = member_of(community)
    with pytest.raises(ValidationError):
        evidence_report(item=item, member=ann, outcome="maybe")
    with pytest.raises(ValidationError) as error:
        evidence_report(item=item, member=ann, outcome=Outcome.WORKED, note="x" * 2001)
    assert "note" in error.value.error_dict
    assert not Evidence.objects.exists()


# --- the panel and the views -------------------------------------------------------------------


def test_item_evidence_panel_orders_did_not_work_first(setting):
    community, _, _, item = setting
    ann, ben, cas = (member_of(community) for _ in range(3))
    evidence_report(item=item, member=ann, outcome=Outcome.WORKED, note="Fine for us.")
    evidence_report(item=item, member=ben, outcome=Outcome.FAILED, note="Skin broke down.")
    evidence_report(item=item, member=cas, outcome=Outcome.PARTLY, note="Only at night.")
    item.refresh_from_db()
    panel = item_evidence(user=ann, item=item)
    assert [n.outcome for n in panel.notes] == ["failed", "partly", "worked"]
    assert panel.mine.member_id == ann.pk and panel.can_report and panel.needs_review
    assert [s[4] for s in panel.segments] == [33, 33, 34]


def test_item_evidence_panel_queries_do_not_grow(setting, django_assert_num_queries):
    community, _, _, item = setting
    viewer = member_of(community)

    def fill(n):
        people = [UserFactory() for _ in range(n)]
        Membership.objects.bulk_create(
            [Membership(community=community, user=p, state="active", role="member") for p in people]
        )
        from django.utils import timezone

        now = timezone.now()
        Evidence.objects.bulk_create(
            [
                Evidence(
                    item=item, member=p, outcome=["worked", "failed", "partly"][i % 3],
                    note=f"note {i}", created_at=now, updated_at=now,
                )
                for i, p in enumerate(people)
            ]
        )  # fmt: skip
        item_recount_evidence(item.pk)
        item.refresh_from_db()

    counts = []
    for n in (5, 195):
        fill(n)
        viewer.__dict__.pop("_practica_memberships", None)
        with CaptureQueriesContext(connection) as ctx:
            panel = item_evidence(user=viewer, item=item)
            [n.member.profile for n in panel.notes]
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    assert len(panel.notes) == NOTES_SHOWN and panel.more_notes == 200 - NOTES_SHOWN


def url(item, name="evidence_report"):
    return reverse(f"knowledge:{name}", args=[item.community.slug, item.pk])


def test_evidence_view_reports_and_redirects_to_the_panel(client, setting):
    community, _, _, item = setting
    ann = member_of(community)
    client.force_login(ann)
    response = client.post(url(item), {"outcome": "failed", "note": "Too tight\non thin skin"})
    assert response.status_code == 302 and response["Location"].endswith("#evidence")
    report = Evidence.objects.get(item=item, member=ann)
    assert report.outcome == "failed" and report.note == "Too tight\non thin skin"
    page = client.get(url(item))  # the standalone form, prefilled with the report
    assert page.status_code == 200 and b'value="failed"' in page.content
    response = client.post(url(item), {"withdraw": "1"})
    assert response.status_code == 302 and not Evidence.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"outcome": "maybe"},
        {"outcome": "worked", "note": "x" * 2001},
        {"outcome": "worked", "note": "null \x00 byte"},
    ],
)
def test_evidence_view_bad_input_is_a_form_error(client, setting, data):
    community, _, _, item = setting
    client.force_login(member_of(community))
    response = client.post(url(item), data)
    assert response.status_code == 400
    assert not Evidence.objects.exists()


def test_evidence_view_refuses_non_members_of_an_open_community(client, setting):
    _, _, _, item = setting
    client.force_login(UserFactory())
    assert client.post(url(item), {"outcome": "worked"}).status_code == 403
    assert client.get(url(item)).status_code == 403
    assert not Evidence.objects.exists()


def test_private_community_evidence_never_reaches_non_members(client, private_community):
    community = private_community
    moderator = moderator_of(community)
    author = member_of(community)
    item = published_item(community, author, moderator)
    evidence_report(
        item=item, member=member_of(community), outcome=Outcome.FAILED, note="CANARY-evidence"
    )
    outsider = UserFactory()
    for viewer in (None, outsider):
        if viewer:
            client.force_login(viewer)
        for address in (url(item), url(item, "item")):
            response = client.get(address)
            assert response.status_code in (302, 404), (address, response.status_code)
            assert b"CANARY-evidence" not in response.content
        response = client.post(url(item), {"outcome": "worked"})
        assert response.status_code in (302, 404)
    assert Evidence.objects.count() == 1
    member = member_of(community)
    client.force_login(member)
    assert client.get(url(item)).status_code == 200


def test_item_page_shows_the_evidence_panel(client, setting):
    community, _, _, item = setting
    ann = member_of(community)
    evidence_report(item=item, member=ann, outcome=Outcome.FAILED, note="Heel still red")
    client.force_login(member_of(community))
    response = client.get(url(item, "item"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="evidence"' in html and "Heel still red" in html
    assert "evidence-flagged" in html and "did not work" in html


def test_item_page_queries_do_not_grow_with_evidence(setting):
    from django.test import Client
    from django.utils import timezone

    community, moderator, _, item = setting
    clients = {"anonymous": Client(), "member": Client(), "moderator": Client()}
    clients["member"].force_login(member_of(community))
    clients["moderator"].force_login(moderator)
    counts, made = {name: [] for name in clients}, 0
    for n in (5, 200):
        people = [UserFactory() for _ in range(n - made)]
        Membership.objects.bulk_create(
            Membership(community=community, user=p, state="active", role="member") for p in people
        )
        now = timezone.now()
        Evidence.objects.bulk_create(
            Evidence(item=item, member=p, outcome=("worked", "failed", "partly")[i % 3],
                     note=f"Context {i}" if i % 2 else "", created_at=now, updated_at=now)
            for i, p in enumerate(people)
        )  # fmt: skip
        made = n
        item_recount_evidence(item.pk)
        for name, client in clients.items():
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url(item, "item"))
            assert response.status_code == 200
            counts[name].append(len(ctx.captured_queries))
            assert response.context["evidence"].used == n
    for name, (small, large) in counts.items():
        assert small == large, (name, small, large)
