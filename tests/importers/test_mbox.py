"""The mailing-list importer, tested through the product: threads, replies, people, the log."""

import gzip
import shutil
from io import StringIO
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from communities.interactions import interactions_rebuild
from communities.models import Interaction, Membership
from core.models import OutboundEmail
from importers import jwz, mbox_import
from importers.mbox_archive import split_quoted, thread_subject
from importers.models import ImportRun, SourceRecord
from knowledge.models import ExpertSource
from knowledge.services.experts import experts_fill
from metrics.models import MetricsState
from notifications.models import Notification
from practice.models import Post, PostRevision, Thread
from practice.services import threads as thread_services
from search.indexing import rebuild_community
from search.models import SearchEntry
from tests.factories import CommunityFactory, UserFactory, make_member

User = get_user_model()
FIXTURES = Path(__file__).parent / "fixtures" / "mbox"
MAILMAN2 = FIXTURES / "mailman2-cooks.txt"
HYPERKITTY = FIXTURES / "hyperkitty-fermenters.mbox"
GOOGLE = FIXTURES / "google-groups-takeout.mbox"
NASTY = FIXTURES / "nasty.mbox"


def run_import(path, community, *extra) -> str:
    out = StringIO()
    call_command("import_mbox", str(path), "--community", community.slug, *extra, stdout=out)
    return out.getvalue()


def thread_of(community, message_id: str) -> Thread:
    record = SourceRecord.objects.get(
        community=community, kind=SourceRecord.Kind.THREAD, source_id=message_id
    )
    return Thread.objects.get(pk=record.target_id)


def post_of(community, message_id: str) -> Post:
    record = SourceRecord.objects.get(
        community=community, kind=SourceRecord.Kind.MESSAGE, source_id=message_id
    )
    return Post.objects.select_related("author__profile", "reply_to").get(pk=record.target_id)


def fingerprint(community) -> dict:
    """What a reader sees of the community's imported content, independent of ids."""
    return {
        "threads": sorted(
            (t.title, t.kind, t.reply_count, t.created_at, t.last_activity_at)
            for t in Thread.objects.filter(community=community)
        ),
        "posts": sorted(
            (
                p.created_at,
                p.author.profile.display_name,
                p.body,
                p.reply_to.body if p.reply_to else None,
            )
            for p in Post.objects.filter(community=community).select_related(
                "author__profile", "reply_to"
            )
        ),
        "revisions": sorted(
            (r.body, r.created_at) for r in PostRevision.objects.filter(post__community=community)
        ),
        "interactions": sorted(
            (i.kind, i.occurred_at, i.actor.profile.display_name, i.target.profile.display_name)
            for i in Interaction.objects.filter(community=community).select_related(
                "actor__profile", "target__profile"
            )
        ),
        "people": sorted(
            Membership.objects.filter(community=community).values_list(
                "user__profile__display_name", flat=True
            )
        ),
    }


@pytest.fixture
def community(db):
    return CommunityFactory(name="Home cooks", slug="cooks", visibility="open")


# --- pure parts ----------------------------------------------------------------------------------


def test_thread_subject_strips_prefixes_and_list_tags():
    assert thread_subject("Re: [Cooks] RE: AW: Fwd: Bread") == ("bread", True)
    assert thread_subject("[Cooks] Bread") == ("bread", False)
    assert thread_subject("Fwd: Bread") == ("bread", False)
    assert thread_subject("Sv: [x] Re[2]: Bread  rolls") == ("bread rolls", True)


def test_split_quoted_trims_tail_quote_signature_and_keeps_interleaved():
    shown, trimmed = split_quoted("Yes.\n\nOn Mon, Alice wrote:\n> question?\n> more\n\n-- \nBob")
    assert (shown, trimmed) == ("Yes.", True)
    interleaved = "> first?\nAnswer one.\n> second?\nAnswer two."
    assert split_quoted(interleaved) == (interleaved, False)
    # Only a quote (a forward): shown whole rather than empty.
    assert split_quoted("> all quoted") == ("> all quoted", False)


def test_jwz_threads_missing_parents_loops_and_subjects():
    at = "2024-01-01T00:00:0{}+00:00"
    index = [
        (1, "a", [], "x", False, at.format(1)),
        (2, "b", ["a"], "x", True, at.format(2)),
        (3, "c", ["a", "b"], "x", True, at.format(3)),
        (4, "d", [], "x", True, at.format(4)),  # a broken client: subject only
        (5, "e", ["gone"], "y", True, at.format(5)),
        (6, "f", ["gone"], "y", True, at.format(6)),
        (7, "g", ["h"], "z", False, at.format(7)),
        (8, "h", ["g"], "z", True, at.format(8)),
        (9, "i", [], "x", False, at.format(9)),  # same subject, not a reply: its own thread
    ]
    result = jwz.thread(index)
    threads = {pairs[0][0]: dict(pairs) for pairs in result.threads}
    assert threads[1] == {1: None, 2: 1, 3: 2, 4: 1}
    assert threads[5] == {5: None, 6: 5}
    assert sorted(len(t) for t in threads.values()) == [1, 2, 2, 4]
    assert result.by_subject == [4] and result.missing_parent == [5, 6] and result.loops


# --- through the product ------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_mailman2_threads_replies_and_page(client, community):
    output = run_import(MAILMAN2, community, "--list", "cooks")

    assert "Import finished. 5 messages in 2 threads of cooks." in output
    starter = thread_of(community, "87a1b2c3.fsf@example.org")
    assert starter.kind == Thread.Kind.DISCUSSION
    assert starter.title == "Sourdough starter smells like nail varnish"  # "[Cooks]" dropped
    assert starter.created_at.isoformat() == "2024-01-08T09:14:03+00:00"
    assert starter.reply_count == 3
    bob = post_of(community, "CAB0b1@mail.example.com")
    carol = post_of(community, "4f2e.carol@example.net")
    alice_again = post_of(community, "87zz99.fsf@example.org")  # no headers: by subject
    assert bob.reply_to == starter.opening_post and carol.reply_to == bob
    assert alice_again.thread == starter and alice_again.reply_to == starter.opening_post
    assert "24°C is ideal for rye" in carol.body  # quoted-printable, Latin-1
    assert bob.body.startswith("Yes, it is hungry.") and "wrote:" not in bob.body
    # The whole message, quote and list footer included, is the first revision.
    first = bob.revisions.order_by("number").first()
    assert "> four days." in first.body and "Cooks mailing list" in first.body
    assert "Cooks mailing list" not in starter.opening_post.body  # footer and signature trimmed
    assert "Alice Martin, baker in training" not in starter.opening_post.body
    assert "From what I read" in starter.opening_post.body  # ">From" unescaped

    page = client.get(starter.get_absolute_url()).content.decode()
    assert "Imported from the archive of the mailing list <strong>cooks</strong>" in page
    assert "Carole Bérard" in page and "Bob Okafor" in page
    assert "example.org" not in page and "example.com" not in page  # never an address
    meetup = thread_of(community, "dan.1@example.com")
    page = client.get(meetup.get_absolute_url()).content.decode()
    assert "# of people so far: 4" in page  # not a heading
    assert "<h1># of" not in page


@pytest.mark.django_db
def test_import_people_deduplicated_by_address_and_placeholders(community):
    run_import(MAILMAN2, community, "--list", "cooks")

    people = SourceRecord.objects.filter(community=community, kind=SourceRecord.Kind.PERSON)
    assert people.count() == 4  # alice twice (ALICE at EXAMPLE.ORG), bob, carol, dan
    alice = post_of(community, "87zz99.fsf@example.org").author
    assert alice == post_of(community, "87a1b2c3.fsf@example.org").author
    assert not alice.is_active and not alice.has_usable_password() and not alice.email
    assert alice.profile.display_name == "Alice Martin"
    assert alice.username == "cooks-alice-martin"  # nothing of the address
    for record in people:
        assert "@" not in str(record.data) and "@" not in record.source_id
    membership = Membership.objects.get(community=community, user=alice)
    assert membership.joined_at.isoformat() == "2024-01-08T09:14:03+00:00"


@pytest.mark.django_db
def test_import_dmarc_rewrites_undone(community):
    run_import(GOOGLE, community, "--list", "night-shift")
    run_import(HYPERKITTY, community, "--list", "fermenters")

    frank = post_of(community, "a1b2c3d4-e5f6@googlegroups.com").author
    assert frank.profile.display_name == "Frank Li"  # not "'Frank Li' via Night Shift Nurses"
    assert post_of(community, "f-reply-2@hospital.example").author == frank  # X-Original-From
    grace = post_of(community, "g-reply-1@clinic.example")
    assert grace.author.profile.display_name == "Grace Adeyemi"
    assert "You received this message" not in grace.body
    erin = post_of(community, "170961.erin@example.org").author
    assert post_of(community, "170962.erin@example.org").author == erin  # by Reply-To
    assert erin.profile.display_name == "Erin Walsh"


@pytest.mark.django_db
def test_import_mime_html_alternative_and_attachments(client, community):
    run_import(HYPERKITTY, community, "--list", "fermenters")

    koji = thread_of(community, "170961.erin@example.org")
    opening = koji.opening_post
    assert "**koji**" in opening.body and "```" in opening.body  # HTML converted
    assert "[koji photo](https://example.org/k.jpg)" in opening.body  # image as a link
    juergen = post_of(community, "jv-1@example.de")
    assert "Gerstenkoji gelingt gut" in juergen.body and "Grüße" in juergen.body  # base64 utf-8
    assert "HTML VERSION" not in juergen.body  # text/plain preferred
    assert "`koji-log.pdf (application/pdf, 3 KB)`" in juergen.body
    erin = post_of(community, "170962.erin@example.org")
    assert erin.body == "Danke! I'll try 40 hours."  # Outlook's "Original Message" trimmed
    page = client.get(koji.get_absolute_url()).content.decode()
    assert "<strong>koji</strong>" in page and '<img src="https://example.org' not in page


@pytest.mark.django_db
def test_import_search_index_and_expert_scores_as_a_rebuild_makes_them(client, community):
    run_import(MAILMAN2, community, "--list", "cooks")
    run_import(HYPERKITTY, community, "--list", "fermenters")

    def index():
        return sorted(
            SearchEntry.objects.filter(community=community).values_list(
                "kind", "object_id", "thread_id", "title", "text", "created_at", "updated_at"
            )
        )

    def experts():
        return sorted(ExpertSource.objects.values_list("kind", "object_id", "scores", "tags"))

    imported, scores = index(), experts()
    assert any("nail varnish" in row[3] for row in imported)
    rebuild_community(community)
    experts_fill()
    assert (index(), experts()) == (imported, scores)
    found = client.get(reverse("search:search"), {"q": "yoghurt"}).content.decode()
    assert "Sourdough starter smells like nail varnish" in found


@pytest.mark.django_db
def test_import_interactions_log_and_metrics_and_nobody_notified(community, mailoutbox):
    run_import(MAILMAN2, community, "--list", "cooks")

    replies = Interaction.objects.filter(community=community, kind=Interaction.Kind.REPLY)
    pairs = {(i.actor.profile.display_name, i.target.profile.display_name) for i in replies}
    assert ("Bob Okafor", "Alice Martin") in pairs and ("Carole Bérard", "Bob Okafor") in pairs
    assert not Notification.objects.exists() and not OutboundEmail.objects.exists()
    assert mailoutbox == []
    assert MetricsState.objects.filter(community=community).exists()
    # "@bob" in an imported message mentions nobody here.
    assert not Interaction.objects.filter(community=community, kind="mention").exists()


NOBODY_ARCHIVE = """\
From alice@example.org Mon Jan  1 10:00:00 2024
From: Alice Martin <alice@example.org>
Date: Mon, 1 Jan 2024 10:00:00 +0000
Subject: [x] Sourdough starter
Message-ID: <a1@example.org>

Mine went flat.

From MAILER-DAEMON Mon Jan  1 11:00:00 2024
Date: Mon, 1 Jan 2024 11:00:00 +0000
Subject: Re: [x] Sourdough starter
Message-ID: <n1@example.org>
In-Reply-To: <a1@example.org>

Feed it twice a day.

From bob@example.org Mon Jan  1 12:00:00 2024
From: Bob Okafor <bob@example.org>
Date: Mon, 1 Jan 2024 12:00:00 +0000
Subject: Re: [x] Sourdough starter
Message-ID: <b1@example.org>
In-Reply-To: <n1@example.org>

Thanks, that worked.

From MAILER-DAEMON Mon Jan  1 13:00:00 2024
Date: Mon, 1 Jan 2024 13:00:00 +0000
Subject: Re: [x] Sourdough starter
Message-ID: <n2@example.org>
In-Reply-To: <b1@example.org>

Glad to hear it.

From bob@example.org Mon Jan  1 14:00:00 2024
From: Bob Okafor <bob@example.org>
Date: Mon, 1 Jan 2024 14:00:00 +0000
Subject: Re: [x] Sourdough starter
Message-ID: <b2@example.org>
In-Reply-To: <a1@example.org>

Also: warmer water.
"""


@pytest.mark.django_db
@pytest.mark.parametrize("one_by_one", [False, True])
def test_messages_without_an_author_make_no_interactions(community, tmp_path, one_by_one):
    """Messages with neither an address nor a name share one placeholder, which stands for no
    one: no interaction to or from it (it would be the busiest hub of the network), in the
    bulk and the per-post paths, and none after a rebuild of the log; known people keep
    theirs."""
    archive = tmp_path / "nobody.mbox"
    archive.write_text(NOBODY_ARCHIVE, encoding="utf-8")
    run_import(archive, community, "--list", "x", *(["--one-by-one"] if one_by_one else []))
    nobody = post_of(community, "n1@example.org").author
    assert post_of(community, "n2@example.org").author == nobody
    assert nobody.profile.display_name == "someone on x"

    def logged():
        return {
            (i.actor.profile.display_name, i.target.profile.display_name)
            for i in Interaction.objects.filter(community=community)
        }

    assert logged() == {("Bob Okafor", "Alice Martin")}
    interactions_rebuild(communities=[community])
    assert logged() == {("Bob Okafor", "Alice Martin")}


@pytest.mark.django_db
def test_import_twice_adds_nothing_and_a_grown_archive_adds_replies(community, tmp_path):
    first = tmp_path / "part.mbox"
    text = MAILMAN2.read_text(encoding="utf-8")
    first.write_text(text.split("From carol at example.net")[0], encoding="utf-8")
    run_import(first, community, "--list", "cooks")
    assert Post.objects.filter(community=community).count() == 2

    run_import(MAILMAN2, community, "--list", "cooks")
    before = fingerprint(community), SourceRecord.objects.count()
    output = run_import(MAILMAN2, community, "--list", "cooks")
    assert (fingerprint(community), SourceRecord.objects.count()) == before
    assert "threads already imported: 2" in output
    carol = post_of(community, "4f2e.carol@example.net")
    assert carol.reply_to == post_of(community, "CAB0b1@mail.example.com")  # across runs


@pytest.mark.django_db
def test_import_interrupted_midway_resumes_to_a_clean_import(community, monkeypatch):
    clean = CommunityFactory(slug="clean")
    run_import(MAILMAN2, clean, "--list", "cooks")

    real = thread_services.post_create
    calls = {"n": 0}

    def power_cut_on_second_reply(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # killed midway through the first thread
        return real(**kwargs)

    monkeypatch.setattr(thread_services, "post_create", power_cut_on_second_reply)
    with pytest.raises(KeyboardInterrupt):
        run_import(MAILMAN2, community, "--list", "cooks", "--one-by-one")
    assert not Thread.objects.filter(community=community).exists()  # never half a thread
    assert ImportRun.objects.get(community=community).status == ImportRun.Status.FAILED
    monkeypatch.setattr(thread_services, "post_create", real)

    run_import(MAILMAN2, community, "--list", "cooks")
    assert fingerprint(community) == fingerprint(clean)


@pytest.mark.django_db
def test_import_dry_run_writes_nothing(community):
    output = run_import(MAILMAN2, community, "--list", "cooks", "--dry-run")

    assert "Dry run: nothing was written." in output
    assert "threads to import: 2" in output and "messages to import: 5" in output
    assert "people to create: 4" in output
    assert not Thread.objects.exists() and not ImportRun.objects.exists()
    assert not User.objects.filter(is_active=False).exists()


@pytest.mark.django_db
def test_import_bad_input_gets_report_lines_not_tracebacks(community, tmp_path):
    report = tmp_path / "report.txt"
    output = run_import(NASTY, community, "--list", "bakers", "--report", str(report))

    lines = report.read_text(encoding="utf-8")
    assert "NUL bytes removed" in lines
    assert "8-bit Subject header" in lines
    assert "invalid Date header “the day after yesterday”" in lines
    assert "unknown charset “x-klingon”" in lines
    assert "duplicate Message-ID <nasty-2@example.org>" in lines
    assert "References make a loop" in lines
    assert "answers a message not in the archive" in lines
    assert "broken MIME: CloseBoundaryNotFoundDefect" in lines
    assert "no Message-ID: given a synthetic id" in lines
    assert "no readable text" in lines
    assert "duplicate Message-IDs: 1" in output

    brulee = thread_of(community, "nasty-1@example.org")
    assert brulee.title == "Crème brûlée without a torch"  # 8-bit header read as Latin-1
    assert brulee.opening_post.author.profile.display_name == "Hélène Hana"
    assert "\x00" not in brulee.opening_post.body
    assert brulee.reply_count == 2  # Ivan's and Judy's (the duplicate id), both kept
    ivan = post_of(community, "nasty-2@example.org")
    assert "\ufffd" in ivan.body  # unknown charset: replacement characters
    assert ivan.created_at.isoformat() == "2024-05-02T12:00:00+00:00"  # its From_ line's date
    lost = thread_of(community, "orphan-1@example.org")
    assert lost.title == "Lost thread"  # "Re:" dropped from a title
    assert post_of(community, "orphan-2@example.org").reply_to == lost.opening_post
    assert Thread.objects.filter(community=community).count() == 5
    run = ImportRun.objects.get(community=community)
    assert run.status == ImportRun.Status.DONE and run.processed == run.total == 5


@pytest.mark.django_db
def test_import_an_address_given_as_the_name_is_not_shown(client, community, tmp_path):
    archive = tmp_path / "x.mbox"
    archive.write_text(
        "From zed@example.org Mon Jan  1 10:00:00 2024\n"
        'From: "zed@example.org" <zed@example.org>\n'
        "Date: Mon, 1 Jan 2024 10:00:00 +0000\n"
        "Subject: Re: [x] Hello\nMessage-ID: <z@example.org>\n\nHi.\n",
        encoding="utf-8",
    )
    run_import(archive, community, "--list", "x")
    thread = thread_of(community, "z@example.org")
    assert thread.title == "Hello"
    assert thread.opening_post.author.profile.display_name == "someone on x"
    assert "zed" not in client.get(thread.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_import_gzipped_archive(community, tmp_path):
    packed = tmp_path / "fermenters.mbox.gz"
    with open(HYPERKITTY, "rb") as src, gzip.open(packed, "wb") as dst:
        shutil.copyfileobj(src, dst)
    output = run_import(packed, community)
    assert "3 messages in 1 threads of fermenters." in output
    cut = tmp_path / "cut.mbox.gz"
    cut.write_bytes(packed.read_bytes()[:-400])  # a download cut short
    report = tmp_path / "report.txt"
    run_import(cut, community, "--list", "fermenters-cut", "--report", str(report))
    assert "the file breaks off in message" in report.read_text(encoding="utf-8")
    assert SourceRecord.objects.filter(site="fermenters-cut", kind="message").count() >= 2


@pytest.mark.django_db
def test_import_fatal_errors_are_one_sentence(community, tmp_path):
    empty = tmp_path / "empty.mbox"
    empty.write_bytes(b"")
    with pytest.raises(CommandError, match=r"is empty: there is nothing to import\.$"):
        run_import(empty, community)
    not_mbox = tmp_path / "notes.txt"
    not_mbox.write_text("Dear all,\nhere are my notes.\n", encoding="utf-8")
    with pytest.raises(CommandError, match="is not an mbox archive"):
        run_import(not_mbox, community)
    with pytest.raises(CommandError, match="is not a file"):
        run_import(tmp_path / "missing.mbox", community)
    with pytest.raises(CommandError, match="no community with the slug"):
        call_command("import_mbox", str(MAILMAN2), "--community", "nope", stdout=StringIO())
    assert not Thread.objects.exists()


@pytest.mark.django_db
def test_verified_address_claims_the_placeholder(client, community):
    run_import(MAILMAN2, community, "--list", "cooks")
    placeholder = post_of(community, "CAB0b1@mail.example.com").author
    bob = UserFactory(username="bob")
    address = EmailAddress.objects.create(user=bob, email="Bob@Example.com", verified=True)

    email_confirmed.send(sender=EmailAddress, request=None, email_address=address)

    assert post_of(community, "CAB0b1@mail.example.com").author == bob
    assert Membership.objects.get(community=community, user=bob).state == "active"
    assert Interaction.objects.filter(community=community, actor=bob).exists()
    assert not Post.objects.filter(author=placeholder).exists()
    # A later run writes Bob's new messages as Bob.
    assert mbox_import.placeholders_claim(user=bob, email="bob@example.com") == 0


@pytest.mark.django_db
def test_an_address_verified_before_the_import_is_claimed_at_once(community):
    carol = UserFactory(username="carol")
    EmailAddress.objects.create(user=carol, email="CAROL@example.net", verified=True)
    EmailAddress.objects.create(user=UserFactory(), email="dan@example.com", verified=False)
    make_member(community, carol)

    output = run_import(MAILMAN2, community, "--list", "cooks")

    assert post_of(community, "4f2e.carol@example.net").author == carol
    assert post_of(community, "dan.1@example.com").author.is_active is False  # not verified
    assert "people claimed by a verified address: 1" in output
