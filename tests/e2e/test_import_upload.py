"""An admin uploads a mailing-list archive in the admin, watches the run finish, and reads an
imported thread: quotes trimmed, replies to the messages they answer, no address shown."""

import shutil
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import expect

from practice.models import Thread
from tests.factories import CommunityFactory, UserFactory

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
FIXTURES = Path(__file__).resolve().parents[1] / "importers" / "fixtures"
MBOX = FIXTURES / "mbox" / "mailman2-cooks.txt"
SHOTS = Path("/tmp/shots/mbox")


@pytest.mark.django_db(transaction=True)
def test_admin_uploads_an_mbox_and_reads_the_thread(live_server, page, screens, settings, tmp_path):
    settings.PRACTICA_IMPORT_ROOT = tmp_path / "imports"
    CommunityFactory(name="Home cooks", slug="cooks", visibility="open")
    admin = UserFactory(username="steward", is_staff=True, is_superuser=True)
    EmailAddress.objects.create(user=admin, email=admin.email, verified=True, primary=True)
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username or email").fill("steward")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".site-header")).to_contain_text("steward")

    page.goto(f"{base}/admin/importers/importrun/")
    page.get_by_role("link", name="Upload a file to import").click()
    page.get_by_label("Community").select_option(label="Home cooks")
    page.get_by_label("Site or list name").fill("cooks")
    page.get_by_label("File to import").set_input_files(str(MBOX))
    screens(page, "import-upload", phone=True)
    page.get_by_role("button", name="Upload and import").click()
    expect(page.locator("body")).to_contain_text("2 of 2 threads (100 %)")
    expect(page.locator("body")).to_contain_text("messages imported")
    screens(page, "import-run", phone=True)

    thread = Thread.objects.get(title="Sourdough starter smells like nail varnish")
    page.goto(f"{base}{thread.get_absolute_url()}")
    body = page.locator("main")
    expect(body).to_contain_text("Imported from the archive of the mailing list cooks")
    expect(body).to_contain_text("Bob Okafor")
    expect(body).not_to_contain_text("example.org")
    expect(body).not_to_contain_text("Cooks mailing list")  # the list footer, trimmed
    screens(page, "import-thread", phone=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for shot in screens.saved:
        shutil.copy(shot, SHOTS / shot.name)
