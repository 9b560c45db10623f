"""The site's privacy page: Practica's own account of what it records until the admins write
theirs, then theirs (Markdown, sanitised), linked from every page's footer."""

import pytest
from django.urls import reverse

from accounts.models import PrivacyNotice
from tests.factories import make_admin

pytestmark = pytest.mark.django_db


def test_without_a_notice_the_page_says_what_practica_records(client):
    page = client.get(reverse("accounts:privacy"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "have not written their privacy notice yet" in text
    assert reverse("accounts:your_data") in text and reverse("accounts:close") in text


def test_the_admin_writes_the_notice_and_script_is_stripped(client):
    admin_user = make_admin()
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:accounts_privacynotice_add"),
        {
            "title": "Privacy at St Mary's",
            "body": "Ask **dpo@stmarys.example**.<script>x()</script>",
        },
    )
    assert response.status_code == 302
    notice = PrivacyNotice.objects.get()
    assert "<strong>dpo@stmarys.example</strong>" in notice.body_html
    assert "<script>" not in notice.body_html
    page = client.get(reverse("accounts:privacy")).content.decode()
    assert "Privacy at St Mary&#x27;s" in page or "Privacy at St Mary's" in page
    assert "<strong>dpo@stmarys.example</strong>" in page and "x()</script>" not in page


def test_every_page_links_to_it(client):
    page = client.get(reverse("communities:directory")).content.decode()
    assert f'href="{reverse("accounts:privacy")}"' in page
