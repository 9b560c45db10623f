"""A member closes their account: signed out, able to take it back for the grace period, then
their identity is erased from every table, page, export, search, email and API answer, while
the network keeps its shape under a pseudonym."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMessage
from django.db import models
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts import services
from accounts.closure import FORMER_MEMBER_NAME
from accounts.models import AccountClosure, DataExport
from communities.avatars import profile_avatar_set, stored_name
from communities.models import Interaction, Profile
from core.email import email_queue
from core.models import OutboundEmail
from metrics import services as metrics_services
from practice.models import Post
from practice.services import endorsements
from tests.practice.factories import answer, ask, member_of, moderator_of

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-enough-passphrase-42"
NAME, USERNAME, EMAIL = "Zephyrine Quillfeather", "zquill", "zq-canary@example.org"
THEIR_TEXT = "Honey dressings under a foam border CANARYTEXT"


@pytest.fixture(autouse=True)
def private_roots(settings, tmp_path):
    settings.PRACTICA_EXPORT_ROOT = tmp_path / "exports"


@pytest.fixture
def world(open_community, django_capture_on_commit_callbacks):
    community = open_community
    person = member_of(community, username=USERNAME, email=EMAIL, first_name="Zephyrine")
    person.set_password(PASSWORD)
    person.save()
    person.emailaddress_set.create(email=EMAIL, verified=True, primary=True)
    Profile.objects.filter(user=person).update(display_name=NAME, bio="Ward sister, CANARYBIO")
    other = member_of(community, username="olu")
    moderator = moderator_of(community, username="mod")
    question = ask(community, other, title="Heel pressure ulcers", body="What works?")
    theirs = answer(question, person, body=THEIR_TEXT)
    endorsements.vote_set(post=theirs, voter=other, helpful=True)
    their_question = ask(community, person, title="Night-shift handovers", body="How do you?")
    answer(their_question, other, body=f"Thanks @{USERNAME}, we use a checklist.")
    metrics_services.metrics_compute(community_id=community.pk)
    return {
        "community": community,
        "person": person,
        "other": other,
        "moderator": moderator,
        "question": question,
        "their_question": their_question,
        "theirs": theirs,
    }


def close(client, person, posts="keep"):
    client.force_login(person)
    return client.post(
        reverse("accounts:close"), {"password": PASSWORD, "posts": posts, "confirm": "on"}
    )


def erase_now(person):
    later = timezone.now() + timedelta(days=15)
    assert services.closures_erase_due(now=later) == 1
    person.refresh_from_db()


CANARIES = (NAME, "Zephyrine", "Quillfeather", USERNAME, EMAIL, "CANARYBIO")


def assert_no_canary(text: str, where: str) -> None:
    for canary in CANARIES:
        assert canary not in text, f"{canary!r} in {where}"


def test_closing_signs_out_and_can_be_taken_back(client, world):
    person = world["person"]
    response = close(client, person)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:closed")
    person.refresh_from_db()
    assert not person.is_active
    assert client.get(reverse("accounts:security")).status_code == 302  # signed out
    signed_in = client.post(reverse("account_login"), {"login": USERNAME, "password": PASSWORD})
    assert "_auth_user_id" not in client.session, signed_in
    notice = OutboundEmail.objects.get(to=[EMAIL], subject__contains="closed")
    undo = notice.body.split("/accounts/close/undo/")[1].split()[0]
    page = client.get(reverse("accounts:close_undo", args=[undo.rstrip("/")]))
    assert page.status_code == 200
    assert client.post(reverse("accounts:close_undo", args=[undo.rstrip("/")])).status_code == 302
    person.refresh_from_db()
    assert person.is_active
    assert services.closures_erase_due(now=timezone.now() + timedelta(days=30)) == 0
    # A used link does nothing the second time.
    assert client.post(reverse("accounts:close_undo", args=[undo.rstrip("/")])).status_code == 400


def test_a_wrong_password_closes_nothing(client, world):
    client.force_login(world["person"])
    response = client.post(
        reverse("accounts:close"), {"password": "wrong", "posts": "keep", "confirm": "on"}
    )
    assert response.status_code == 200 and "That is not your password" in response.content.decode()
    assert not AccountClosure.objects.exists()
    world["person"].refresh_from_db()
    assert world["person"].is_active


def test_after_the_grace_period_the_undo_link_is_dead(client, world):
    person = world["person"]
    close(client, person)
    closure = AccountClosure.objects.get(user=person)
    token = services.closure_undo_token(closure)
    erase_now(person)
    assert client.post(reverse("accounts:close_undo", args=[token])).status_code == 400
    person.refresh_from_db()
    assert not person.is_active


def _text_columns():
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField | models.JSONField):
                yield model, field


def test_erasure_leaves_no_trace_in_any_table_page_export_or_email(
    client, world, django_capture_on_commit_callbacks
):
    person, community = world["person"], world["community"]
    person_id = person.pk
    interactions_before = Interaction.objects.filter(community=community).count()
    buffer = io.BytesIO()
    Image.new("RGB", (80, 80), (200, 30, 30)).save(buffer, "PNG")
    profile_avatar_set(
        user=person, upload=SimpleUploadedFile("z.png", buffer.getvalue(), content_type="image/png")
    )
    stem = Profile.objects.get(user=person).avatar
    close(client, person, posts="keep")
    with django_capture_on_commit_callbacks(execute=True):
        erase_now(person)
    assert person.username.startswith("former-member-") and not person.email
    assert Profile.objects.get(user=person).avatar == ""
    assert not default_storage.exists(stored_name(stem, 256))  # the picture's files are gone

    # Every text column of every table.
    for model, field in _text_columns():
        queryset = model._default_manager.annotate(_text=Cast(field.name, models.TextField()))
        for canary in CANARIES:
            found = queryset.filter(_text__contains=canary).exists()
            assert not found, f"{canary!r} in {model._meta.label}.{field.name}"

    # The network keeps its shape: the same rows, under the same (now nameless) account.
    assert Interaction.objects.filter(community=community).count() == interactions_before
    assert Interaction.objects.filter(actor_id=person_id).exists()
    # Kept posts stay, shown as a former member's.
    assert Post.objects.get(pk=world["theirs"].pk).body == THEIR_TEXT
    metrics_services.metrics_compute(community_id=community.pk)

    slug = community.slug
    pages = [
        reverse("communities:directory"),
        reverse("communities:home", args=[slug]),
        reverse("communities:members", args=[slug]),
        reverse("practice:thread_list", args=[slug]),
        reverse("practice:thread", args=[slug, world["question"].pk]),
        reverse("practice:thread", args=[slug, world["their_question"].pk]),
        reverse("search:search") + f"?q=Quillfeather&community={slug}",
        reverse("search:search") + "?q=honey",
        reverse("notifications:notifications"),
    ]
    client.force_login(world["other"])
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        if "q=Quillfeather" in url:
            # The page repeats what was asked for; nothing else may name her.
            assert "Nothing found for “Quillfeather”" in text
            text = text.replace("Quillfeather", "")
        assert_no_canary(text, url)
    thread_page = client.get(pages[4]).content.decode()
    assert FORMER_MEMBER_NAME in thread_page
    # Neither the old address nor the pseudonym's leads to a profile.
    assert client.get(reverse("communities:profile", args=[USERNAME])).status_code == 404
    assert client.get(reverse("communities:profile", args=[person.username])).status_code == 404

    # The API, as the other member (session): threads, posts, search, notifications.
    api = "/api/v1"
    for url in (
        f"{api}/communities/{slug}/threads",
        f"{api}/communities/{slug}/threads/{world['question'].pk}",
        f"{api}/communities/{slug}/threads/{world['their_question'].pk}/posts",
        f"{api}/search?q=honey",
        f"{api}/notifications",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_canary(response.content.decode(), url)

    client.force_login(world["moderator"])
    for name in ("dashboard", "members", "network", "export_json", "export_csv", "export_graphml"):
        url = reverse(f"metrics:{name}", args=[slug])
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert_no_canary(body.decode(), url)

    # The moderators' API: the metrics (named lists, as the JSON export), their history, flags,
    # join requests; and the community's library and events.
    for url in (
        f"{api}/communities/{slug}/metrics",
        f"{api}/communities/{slug}/metrics/history",
        f"{api}/communities/{slug}/flags",
        f"{api}/communities/{slug}/join-requests",
        f"{api}/communities/{slug}/library",
        f"{api}/communities/{slug}/events",
        f"{api}/communities/{slug}",
    ):
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:300])
        assert_no_canary(response.content.decode(), url)

    # Another member's data export, and every email in the outbox.
    with django_capture_on_commit_callbacks(execute=True):
        services.data_export_request(user=world["other"])
    export = DataExport.objects.get(user=world["other"])
    client.force_login(world["other"])
    download = client.get(reverse("accounts:data_export_download", args=[export.pk]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert_no_canary(
        json.dumps(json.loads(archive.read("practica-data.json"))), "another member's export"
    )
    for email in OutboundEmail.objects.all():
        assert_no_canary(email.subject + email.body + email.html_body, f"email {email.pk}")


def test_removed_posts_lose_their_text_and_their_history(client, world):
    person = world["person"]
    close(client, person, posts="remove")
    erase_now(person)
    post = Post.objects.get(pk=world["theirs"].pk)
    assert "CANARYTEXT" not in post.body and "Removed at its author" in post.body
    assert not post.revisions.filter(body__contains="CANARYTEXT").exists()
    page = client.get(
        reverse("practice:thread", args=[world["community"].slug, world["question"].pk])
    )
    assert "CANARYTEXT" not in page.content.decode()


def test_staff_cannot_close_their_own_account_here(client, world):
    person = world["person"]
    person.is_staff = True
    person.save()
    response = close(client, person)
    assert response.status_code == 200 and "Staff accounts" in response.content.decode()
    assert not AccountClosure.objects.exists()


def test_a_member_without_a_password_confirms_with_their_username(client, world):
    person = world["person"]
    person.set_unusable_password()
    person.save()
    client.force_login(person)
    page = client.get(reverse("accounts:close")).content.decode()
    assert 'name="password"' not in page and 'name="username"' in page
    wrong = client.post(
        reverse("accounts:close"), {"username": "someone", "posts": "keep", "confirm": "on"}
    )
    assert wrong.status_code == 200 and not AccountClosure.objects.exists()
    done = client.post(
        reverse("accounts:close"), {"username": USERNAME, "posts": "keep", "confirm": "on"}
    )
    assert done.status_code == 302 and AccountClosure.objects.filter(user=person).exists()


def test_erasure_deletes_only_the_emails_to_the_persons_own_addresses(world):
    """A text match on the recipients would also catch hal-zq-canary@… for zq-canary@…."""
    person = world["person"]
    own = email_queue(message=EmailMessage("Yours", "For you", to=[EMAIL]))
    lookalike = email_queue(message=EmailMessage("Theirs", "For Hal", to=[f"hal-{EMAIL}"]))
    services.account_close_request(user=person, remove_posts=False)

    erase_now(person)

    assert not OutboundEmail.objects.filter(pk=own.pk).exists()
    assert OutboundEmail.objects.filter(pk=lookalike.pk).exists()
