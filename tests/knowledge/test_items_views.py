"""Proposing, editing and proposing changes through the pages: errors next to the fields, bad
input answered with a form error or a 4xx (never a 500), a double submit makes one row."""

import pytest
from django.urls import reverse

from knowledge.models import ChangeProposal, Item, ItemRevision
from tests.knowledge.ka_helpers import propose, publish
from tests.practice.factories import member_of, moderator_of

pytestmark = pytest.mark.django_db


def new_url(slug="wound-care"):
    return reverse("knowledge:item_new", args=[slug])


def form_data(**changes):
    data = {
        "kind": "tool",
        "title": "Heel pressure checklist",
        "summary": "Five questions at every shift change.",
        "body": "1. Are both heels off the mattress?",
        "tags": "heels, Pressure",
        "links": "https://example.org/checklist The printable checklist\nhttps://example.org/b",
        "submission_key": "a" * 32,
    }
    return data | changes


@pytest.fixture
def member(open_community):
    return member_of(open_community)


def test_propose_through_the_form(client, open_community, member):
    client.force_login(member)
    page = client.get(new_url())
    assert page.status_code == 200 and 'name="submission_key"' in page.content.decode()
    response = client.post(new_url(), form_data())
    item = Item.objects.get()
    assert response.status_code == 302 and response["Location"] == item.get_absolute_url()
    assert (item.state, item.kind, item.proposed_by) == ("proposed", "tool", member)
    assert sorted(item.tags.names()) == ["heels", "pressure"]
    assert list(item.links.values_list("url", "label")) == [
        ("https://example.org/checklist", "The printable checklist"),
        ("https://example.org/b", ""),
    ]
    page = client.get(response["Location"]).content.decode()
    assert "A proposal, not yet in the library." in page
    assert "Your proposal is saved" in page


def test_propose_twice_with_the_same_form_makes_one_item(client, open_community, member):
    client.force_login(member)
    first = client.post(new_url(), form_data())
    second = client.post(new_url(), form_data())
    assert first["Location"] == second["Location"]
    assert Item.objects.count() == 1 and ItemRevision.objects.count() == 1


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"kind": "poem"}, "kind", "Choose what kind"),
        ({"title": ""}, "title", "Give the item a title"),
        ({"title": "x" * 201}, "title", "at most 200"),
        ({"summary": "   "}, "summary", "one-paragraph summary"),
        ({"summary": "s" * 1001}, "summary", "at most 1000"),
        ({"body": "b" * 100_001}, "body", "at most 100000"),
        ({"tags": ", ".join(f"t{i}" for i in range(9))}, "tags", "at most 8 tags"),
        ({"links": "javascript:alert(1) click"}, "links", "not a web address"),
        ({"links": "\n".join(f"https://e.org/{i}" for i in range(11))}, "links", "at most 10"),
    ],
)
def test_propose_bad_input_is_a_form_error_that_keeps_the_text(
    client, open_community, member, changes, field, message
):
    client.force_login(member)
    response = client.post(new_url(), form_data(**changes))
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors and message in " ".join(form.errors[field])
    assert "Heel pressure checklist" in response.content.decode() or field == "title"
    assert not Item.objects.exists()


def test_nul_characters_are_refused_before_anything_is_stored(client, open_community, member):
    client.force_login(member)
    response = client.post(new_url(), form_data(body="a\x00b"))
    assert response.status_code == 400
    assert not Item.objects.exists()


def test_non_members_cannot_propose(client, open_community, private_community):
    outsider = member_of(private_community)
    client.force_login(outsider)
    assert client.get(new_url()).status_code == 403
    assert client.post(new_url(), form_data()).status_code == 403
    client.logout()
    assert client.get(new_url())["Location"].startswith("/accounts/login/")
    client.force_login(member_of(open_community))
    assert client.get(new_url("sre")).status_code == 404


def test_proposer_edits_and_resubmits(client, open_community, member):
    moderator = moderator_of(open_community)
    item = propose(open_community, member)
    from knowledge.services.curation import item_request_changes

    item_request_changes(item=item, by=moderator, comment="Add a step")
    client.force_login(member)
    url = reverse("knowledge:item_edit", args=["wound-care", item.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Saving sends it back" in page.content.decode()
    data = form_data(body="1. Look\n2. Measure\n3. Write\n4. Tell", comment="Added step 4")
    data.pop("submission_key")
    response = client.post(url, data)
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == "proposed" and item.revision_count == 2
    assert item.revisions.last().comment == "Added step 4"


def test_members_are_sent_from_edit_to_propose_a_change(client, open_community, member):
    moderator = moderator_of(open_community)
    item = publish(open_community, member, moderator)
    client.force_login(member)
    response = client.get(reverse("knowledge:item_edit", args=["wound-care", item.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("knowledge:change_new", args=["wound-care", item.pk])
    client.force_login(moderator)
    response = client.get(reverse("knowledge:change_new", args=["wound-care", item.pk]))
    assert response["Location"] == reverse("knowledge:item_edit", args=["wound-care", item.pk])


def test_change_proposal_flow_through_the_pages(client, open_community, member):
    moderator = moderator_of(open_community)
    item = publish(open_community, member_of(open_community), moderator)
    client.force_login(member)
    url = reverse("knowledge:change_new", args=["wound-care", item.pk])
    page = client.get(url).content.decode()
    assert "Propose a change" in page and item.summary in page
    data = form_data(title=item.title, summary=item.summary, body="A clearer text", note="Why")
    same = client.post(url, data | {"body": item.body, "tags": "heels, pressure", "kind": "method"})
    assert same.status_code == 400 and "same as the item" in same.content.decode()
    response = client.post(url, data)
    change = ChangeProposal.objects.get()
    assert response["Location"] == reverse(
        "knowledge:change", args=["wound-care", item.pk, change.pk]
    )
    client.post(url, data)  # a double submit
    assert ChangeProposal.objects.count() == 1
    page = client.get(item.get_absolute_url()).content.decode()
    assert "Your proposed change (waiting for review)" in page
    page = client.get(response["Location"]).content.decode()
    assert "What accepting it would change" in page and "Withdraw it" in page
    assert "Accept and apply" not in page

    client.force_login(moderator)
    item_page = client.get(item.get_absolute_url()).content.decode()
    assert "Changes proposed by members" in item_page
    decide = reverse("knowledge:change_request_changes", args=["wound-care", item.pk, change.pk])
    response = client.post(decide, {"comment": ""})
    assert response.status_code == 400 and "Say what should change" in response.content.decode()
    client.post(decide, {"comment": "Cite it"})
    change.refresh_from_db()
    assert change.state == "changes_requested"

    client.force_login(member)
    client.post(url, data | {"body": "A clearer text, cited"})
    change.refresh_from_db()
    assert change.state == "pending" and change.body == "A clearer text, cited"

    client.force_login(moderator)
    accept = reverse("knowledge:change_accept", args=["wound-care", item.pk, change.pk])
    assert client.post(accept, {"comment": "Thanks"})["Location"] == item.get_absolute_url()
    item.refresh_from_db()
    assert item.body == "A clearer text, cited" and item.revisions.last().editor == member


def test_withdraw_a_change_proposal(client, open_community, member):
    moderator = moderator_of(open_community)
    item = publish(open_community, member_of(open_community), moderator)
    client.force_login(member)
    client.post(
        reverse("knowledge:change_new", args=["wound-care", item.pk]),
        form_data(title=item.title, summary=item.summary, body="Other", kind="method"),
    )
    change = ChangeProposal.objects.get()
    other = member_of(open_community)
    client.force_login(other)
    withdraw = reverse("knowledge:change_withdraw", args=["wound-care", item.pk, change.pk])
    assert client.post(withdraw).status_code == 404
    client.force_login(member)
    assert client.post(withdraw).status_code == 302
    change.refresh_from_db()
    assert change.state == "withdrawn"


def test_item_page_links_provenance_when_promoted(client, open_community, member):
    from tests.practice.factories import ask

    moderator = moderator_of(open_community)
    thread = ask(open_community, member, title="How do you check heels at night?")
    item = propose(open_community, moderator, promoted=True, source_thread=thread,
                   extra_contributors=[member])  # fmt: skip
    client.force_login(moderator)
    page = client.get(item.get_absolute_url()).content.decode()
    assert "Came from this discussion" in page and thread.get_absolute_url() in page
    assert "source discussion" in page
