"""The admin shows items read-only and curates them through the services."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from knowledge.models import Item
from knowledge.services import attachments
from tests.factories import make_admin
from tests.knowledge.ka_helpers import propose, publish
from tests.practice.factories import member_of, moderator_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def attachment_root(settings, tmp_path):
    settings.KNOWLEDGE_ATTACHMENT_ROOT = tmp_path


def test_admin_lists_and_shows_items_read_only(client, open_community):
    member, moderator = member_of(open_community), moderator_of(open_community)
    item = publish(open_community, member, moderator)
    attachments.attachment_add(
        item=item, by=moderator, upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4 x")
    )
    client.force_login(make_admin())
    assert client.get(reverse("admin:knowledge_item_changelist")).status_code == 200
    page = client.get(reverse("admin:knowledge_item_change", args=[item.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    download = reverse(
        "knowledge:attachment", args=[open_community.slug, item.pk, item.attachments.get().pk]
    )
    assert download in text and "/media/" not in text
    assert client.get(reverse("admin:knowledge_item_add")).status_code == 403
    for name in ("changeproposal", "curationevent", "evidence", "repertoiretag"):
        assert client.get(reverse(f"admin:knowledge_{name}_changelist")).status_code == 200


def test_admin_actions_go_through_the_services(client, open_community):
    member = member_of(open_community)
    item = propose(open_community, member)
    client.force_login(make_admin())
    response = client.post(
        reverse("admin:knowledge_item_changelist"),
        {"action": "item_publish_action", "_selected_action": [item.pk]},
        follow=True,
    )
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.state == Item.State.PUBLISHED
    assert item.curation_events.last().action == "published"
    response = client.post(
        reverse("admin:knowledge_item_changelist"),
        {"action": "item_publish_action", "_selected_action": [item.pk]},
        follow=True,
    )
    assert item.curation_events.filter(action="published").count() == 1
