"""The library through the API: the permission matrix on the private canary community
(published items, a member's own proposal, the curation endpoints), attachments' metadata
without their stored path, proposing through the service, curation with the moderate scope,
the web list's filters and sorts, bad input, and query counts constant in the page size."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.v1.library import ItemDetail
from communities.models import Membership
from knowledge.models import CurationEvent, Item
from knowledge.services import attachments, curation
from knowledge.services import items as item_services
from tests.api.conftest import CANARY, ApiClient, token_for
from tests.api.test_permissions import READERS, VIEWERS
from tests.factories import CommunityFactory, make_member

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n%fake but well-formed enough\n"
MODERATE = ("read", "write", "moderate")


def _propose(community, by, **fields):
    data = {
        "kind": "method",
        "title": "Two-layer compression",
        "summary": "When ABPI is 0.6 to 0.8.",
        "body": "## Steps",
        "tag_names": ["compression"],
        **fields,
    }
    return item_services.item_propose(community=community, by=by, **data)


@pytest.fixture
def library(canary, settings, tmp_path):
    settings.KNOWLEDGE_ATTACHMENT_ROOT = tmp_path / "attachments"
    settings.MEDIA_ROOT = tmp_path / "media"
    member, moderator = canary["viewers"]["member"], canary["viewers"]["moderator"]
    published = _propose(
        canary["community"], member, title=f"{CANARY} item", summary=f"{CANARY} summary"
    )
    curation.item_publish(item=published, by=moderator)
    attachments.attachment_add(
        item=published,
        by=moderator,
        upload=SimpleUploadedFile("guide.pdf", PDF, content_type="application/pdf"),
    )
    proposal = _propose(canary["community"], member, title=f"{CANARY} proposal")
    return {**canary, "item": published, "proposal": proposal}


def _snapshot():
    return (
        Item.objects.count(),
        Item.objects.filter(state=Item.State.PUBLISHED).count(),
        Item.objects.filter(is_featured=True).count(),
        CurationEvent.objects.count(),
    )


@pytest.mark.parametrize("viewer", VIEWERS)
def test_private_library_through_the_api(library, viewer):
    user = library["viewers"][viewer]
    api = ApiClient(token_for(user, MODERATE) if user else None)
    item, proposal = library["item"], library["proposal"]
    reads = {
        "/communities/sre/library": "/communities/nope/library",
        "/communities/sre/library?sort=title&kind=method": "/communities/nope/library",
        f"/communities/sre/library/{item.pk}": f"/communities/sre/library/{item.pk + 999}",
    }
    for path, missing in reads.items():
        response = api.get(path)
        if viewer in READERS:
            assert response.status_code == 200, path
            assert CANARY in response.content.decode()
        else:
            assert response.status_code == 404, (viewer, path)
            assert response.content == api.get(missing).content
    # The proposal: its proposer (the member) and moderators open it; nobody else.
    response = api.get(f"/communities/sre/library/{proposal.pk}")
    assert response.status_code == (200 if viewer in READERS else 404)
    before = _snapshot()
    writes = [
        ("post", "/communities/sre/library", {"kind": "tool", "title": "t", "summary": "s"}),
        ("post", f"/communities/sre/library/{proposal.pk}/publish", {}),
        ("put", f"/communities/sre/library/{item.pk}/featured", {}),
        ("post", f"/communities/sre/library/{item.pk}/archive", {}),
    ]
    for method, path, body in writes:
        response = api.send(method, path, body)
        if viewer == "anon":
            assert response.status_code == 401, path
        elif viewer not in READERS:
            assert response.status_code == 404, (viewer, path)
        elif viewer == "member" and not path.endswith("/library"):
            # A member with the moderate scope is still no moderator: 403 from knowledge.
            assert response.status_code == 403, path
        assert CANARY not in response.content.decode() or viewer in READERS
    if viewer not in READERS:
        assert _snapshot() == before


def test_attachments_are_metadata_only(library):
    api = ApiClient(token_for(library["viewers"]["member"]))
    detail = api.get(f"/communities/sre/library/{library['item'].pk}").json()
    [attachment] = detail["attachments"]
    stored = library["item"].attachments.get().file.name
    assert attachment["name"] == "guide.pdf" and attachment["size"] == len(PDF)
    assert attachment["url"].endswith(f"/attachments/{attachment['id']}/")
    assert stored not in str(detail) and "attachments/" + stored not in str(detail)
    assert detail["revision_count"] == 1 and detail["tags"] == ["compression"]
    # The detail (an ETag response, not validated by ninja) matches its documented schema.
    assert set(ItemDetail.model_validate(detail).model_dump()) == set(detail)


def test_propose_then_curate(library):
    member, moderator = library["viewers"]["member"], library["viewers"]["moderator"]
    as_member = ApiClient(token_for(member))
    body = {
        "kind": "tool",
        "title": "Exudate chart",
        "summary": "A chart for the night shift.",
        "tags": ["Exudate", "charts"],
        "links": [{"url": "https://example.org/chart", "label": "Chart"}],
    }
    created = as_member.post("/communities/sre/library", body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert created.status_code == 201, created.content
    item = created.json()
    assert item["state"] == "proposed" and item["tags"] == ["charts", "exudate"]
    assert item["links"] == [{"url": "https://example.org/chart", "label": "Chart"}]
    again = as_member.post("/communities/sre/library", body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.json()["id"] == item["id"]
    path = f"/communities/sre/library/{item['id']}"
    # A moderator's token without the moderate scope cannot curate.
    write_only = ApiClient(token_for(moderator))
    assert write_only.post(f"{path}/publish").status_code == 403
    curator = ApiClient(token_for(moderator, MODERATE))
    published = curator.post(f"{path}/publish", {"comment": "Thanks"})
    assert published.status_code == 200 and published.json()["state"] == "published"
    featured = curator.send("put", f"{path}/featured")
    assert featured.json()["is_featured"] is True
    listed = as_member.get("/communities/sre/library", featured="true").json()["items"]
    assert [row["id"] for row in listed] == [item["id"]]
    assert curator.send("delete", f"{path}/featured").json()["is_featured"] is False
    archived = curator.post(
        f"{path}/archive", {"comment": "Old", "superseded_by": library["item"].pk}
    )
    assert archived.json()["state"] == "archived"
    assert archived.json()["superseded_by"] == library["item"].pk
    # Archived after publication: still readable by its address, gone from the list.
    assert all(
        row["id"] != item["id"] for row in as_member.get("/communities/sre/library").json()["items"]
    )
    assert (
        curator.get("/communities/sre/library", state="archived").json()["items"][0]["id"]
        == item["id"]
    )
    # Curation errors from the service are 400s in the error shape.
    refused = curator.send("put", f"{path}/featured")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "poem", "title": "T", "summary": "S"}, "kind"),
        ({"kind": "tool", "title": "", "summary": "S"}, "title"),
        ({"kind": "tool", "title": "T"}, "summary"),
        ({"kind": "tool", "title": "T", "summary": "S", "links": [{"url": "ftp://x"}]}, "links"),
        ({"kind": "tool", "title": "T", "summary": "S", "tags": ["x"] * 9}, "tags"),
        ({"kind": "tool", "title": "T", "summary": "S", "state": "published"}, "state"),
        ({"kind": "tool", "title": "T\u0000", "summary": "S"}, "title"),
    ],
)
def test_propose_bad_input_is_a_400(library, body, field):
    api = ApiClient(token_for(library["viewers"]["member"]))
    before = _snapshot()
    response = api.post("/communities/sre/library", body)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"} and field in error["fields"], error
    assert _snapshot() == before


def test_archive_bad_successor_and_list_filters(library):
    curator = ApiClient(token_for(library["viewers"]["moderator"], MODERATE))
    path = f"/communities/sre/library/{library['item'].pk}/archive"
    for successor in (library["item"].pk, library["proposal"].pk, 10**9):
        response = curator.post(path, {"superseded_by": successor})
        assert response.status_code == 400 and "superseded_by" in response.json()["error"]["fields"]
    assert Item.objects.get(pk=library["item"].pk).state == Item.State.PUBLISHED
    for query in ({"sort": "best"}, {"kind": "poem"}, {"state": "deleted"}, {"limit": "101"}):
        assert curator.get("/communities/sre/library", **query).status_code == 400


ROWS = 11


@pytest.fixture
def busy(db):
    community = CommunityFactory(slug="busy", visibility="open")
    moderator = make_member(community, role=Membership.Role.MODERATOR).user
    member = make_member(community).user
    for i in range(ROWS):
        item = _propose(community, member, title=f"Item {i:02}", tag_names=[f"tag{i % 3}", "care"])
        curation.item_publish(item=item, by=moderator)
        if i % 2:
            curation.item_feature(item=item, by=moderator)
    return {"community": community, "member": member}


def _count(api, path, **params):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(path, **params)
    assert response.status_code == 200, response.content
    return len(queries), response.json()


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"sort": "title", "tag": "care"},
        {"sort": "used", "kind": "method"},
        {"featured": "true"},
    ],
)
def test_library_list_queries_and_cursor(busy, params, django_assert_max_num_queries):
    api = ApiClient(token_for(busy["member"]))
    api.get("/me")
    expected = ROWS // 2 if params.get("featured") else ROWS
    small, small_page = _count(api, "/communities/busy/library", limit=2, **params)
    large, large_page = _count(api, "/communities/busy/library", limit=ROWS, **params)
    assert len(small_page["items"]) == 2 and len(large_page["items"]) == expected
    assert small == large
    with django_assert_max_num_queries(small):
        api.get("/communities/busy/library", limit=ROWS, **params)
    seen, cursor = [], None
    while True:
        query = {**params, "limit": 3, **({"cursor": cursor} if cursor else {})}
        page = api.get("/communities/busy/library", **query).json()
        seen += [row["id"] for row in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [row["id"] for row in large_page["items"]]
    if params.get("sort") == "title":
        titles = [row["title"] for row in large_page["items"]]
        assert titles == sorted(titles)
