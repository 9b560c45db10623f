"""The mbox importer's two passes: headers first (to thread), bodies parsed while writing."""

import gzip
import io
import multiprocessing
import os
import signal
import sys
import time
import zlib
from pathlib import Path

import pytest

from communities.models import Membership, MembershipEvent
from importers import jwz, mbox_archive, mbox_import
from importers.mbox_archive import RawMessage, StagedArchive, parse, parse_head, raw_messages
from importers.models import ImportRun, SourceRecord
from importers.report import ImportReport
from practice.models import Post, Thread
from practice.services import history
from tests.factories import CommunityFactory
from tests.importers.test_mbox_bulk import run_import, snapshot

FIXTURES = Path(__file__).parent / "fixtures" / "mbox"
ARCHIVES = sorted(FIXTURES.iterdir())
# What the importer reported for ``nasty_archive`` before the two passes (one pass parsing
# each whole message, at 955eb72): the same lines in the same order.
EXPECTED_REPORT = Path(__file__).parent / "fixtures" / "mbox-reports" / "nasty-archive.txt"

NO_DATE = b"""From someone 10:00 no date here
From: Nobody <nobody@example.org>
Subject: Dateless
Message-ID: <%s@example.org>

No date anywhere.
"""


def nasty_archive(path: Path) -> Path:
    """Every fixture in one gzipped archive, after a message with no date at all (skipped) and
    before one dated by the message before it, whose Message-ID was seen before; the file
    breaks off (no end of stream), so its last message is read "as far as it went"."""
    parts = [NO_DATE % b"dateless", *(f.read_bytes() for f in ARCHIVES), NO_DATE % b"nasty-1"]
    data = b"\n".join(p.rstrip(b"\n") + b"\n" for p in parts)
    buffer = io.BytesIO()
    packed = gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0)
    packed.write(data)
    packed.flush(zlib.Z_FULL_FLUSH)
    path.write_bytes(buffer.getvalue())
    return path


def generated_archive(path: Path, messages: int) -> Path:
    sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))
    from import_mbox import write_mbox  # noqa: PLC0415 (the bench's generator)

    write_mbox(path, messages)
    return path


def one_pass_index(path: Path) -> list[tuple]:
    """The threading's input as the importer staged it before the two passes: each message
    parsed whole, a message with no date dated by the one before (skipped when none), a
    duplicate Message-ID renamed by the digest of the message."""
    rows, seen, last_at = [], set(), ""
    for raw in raw_messages(str(path), []):
        mail = parse(raw)
        if not mail.at:
            if not last_at:
                continue
            mail.at = last_at
        last_at = mail.at
        if mail.source_id in seen:
            digest = mbox_archive.synthetic_id("", raw.data)[1:]
            mail.source_id, n = f"dup:{digest}", 2
            while mail.source_id in seen:
                mail.source_id, n = f"dup{n}:{digest}", n + 1
        seen.add(mail.source_id)
        rows.append(
            (mail.number, mail.source_id, mail.references, mail.thread_subject, mail.is_reply,
             mail.at)
        )  # fmt: skip
    return rows


def test_parse_head_reads_the_headers_parse_reads(tmp_path):
    archive = nasty_archive(tmp_path / "nasty.mbox.gz")
    raws = list(raw_messages(str(archive), []))
    assert len(raws) > 20
    shapes = [
        b"Message-ID: <crlf@x>\r\nSubject: Re: CRLF\r\n\r\nIn-Reply-To: <not-a-header@x>\r\n",
        b"Message-ID: <cr@x>\rSubject: old Mac\r\rDate: Mon, 1 Jan 2024 10:00:00 +0000\r",
        b"Message-ID: <nobreak@x>\nSubject: no blank line\nthe body at once\nDate: x\n\nmore",
        b"Message-ID:\n <folded@x>\nReferences: <a@x>\n\t<b@x>\nSubject: =?utf-8?q?caf=C3=A9?=\n\n",
        b"\n\nMessage-ID: <in-the-body@x>\n",
        b"Subject: only headers, no end",
    ]
    from_line = "From a@x Mon Jan  1 10:00:00 2024"
    raws += [RawMessage(100 + n, from_line, data, 0) for n, data in enumerate(shapes)]
    for raw in raws:
        mail, head = parse(raw), parse_head(raw)
        assert (head.source_id, head.references, head.thread_subject, head.is_reply, head.at) == (
            mail.source_id, mail.references, mail.thread_subject, mail.is_reply, mail.at
        )  # fmt: skip
        # The second pass takes those headers, and their notes, from the head: the same Mail.
        assert head.notes is not None
        assert vars(parse(raw, head=head)) == vars(mail)
        listed = parse(raw, list_address="bakers@lists.example.org")
        assert vars(parse(raw, list_address="bakers@lists.example.org", head=head)) == vars(listed)


@pytest.mark.parametrize("which", ["nasty", "generated"])
def test_headers_pass_threads_as_parsing_whole_messages_did(tmp_path, which):
    if which == "nasty":
        archive = nasty_archive(tmp_path / "nasty.mbox.gz")
    else:
        archive = generated_archive(tmp_path / "bench.mbox", 600)
    staged = StagedArchive(str(archive), str(tmp_path / "staging.sqlite3"), ImportReport())
    try:
        staged.read()
        index = list(staged.index())
        expected = one_pass_index(archive)
        assert index == expected
        new, old = jwz.thread(iter(index)), jwz.thread(iter(expected))
        assert new.threads and new == old
        # The second pass gives back each message with the first pass's id and moment.
        mails = staged.mails([row[0] for row in index])
        assert [(m.number, m.source_id, m.at) for m in mails.values()] == [
            (seq, sid, at) for seq, sid, _, _, _, at in index
        ]
    finally:
        staged.close()


@pytest.mark.django_db
def test_report_is_the_one_pass_importers_line_for_line(tmp_path, monkeypatch):
    """Notes found by either pass come out in the archive's order, before the threading's and
    the writing's, as they did when each message was parsed whole at once; with or without the
    parsing workers."""
    archive = nasty_archive(tmp_path / "nasty.mbox.gz")
    expected = EXPECTED_REPORT.read_text()
    serial = CommunityFactory(slug="serial", visibility="open")
    run_import(archive, serial, "--list", "bakers")
    assert ImportRun.objects.get(community=serial).report == expected

    monkeypatch.setattr(mbox_archive, "PARSE_POOL_FROM_BYTES", 0)
    monkeypatch.setattr(mbox_archive, "PARSE_CHUNK", 4)
    pooled = CommunityFactory(slug="pooled", visibility="open")
    run_import(archive, pooled, "--list", "bakers")
    assert ImportRun.objects.get(community=pooled).report == expected
    assert snapshot(pooled)["posts"] == snapshot(serial)["posts"]

    dry = CommunityFactory(slug="dry", visibility="open")
    report = tmp_path / "dry.txt"
    run_import(archive, dry, "--list", "bakers", "--dry-run", "--report", str(report))
    assert report.read_text() == expected


@pytest.mark.django_db
def test_pooled_headers_pass_parses_in_the_workers(tmp_path, monkeypatch):
    """With parsing workers, the headers are parsed by workers, not by the importing process
    (which only splits the file and stages them in order): the same report and posts."""
    archive = nasty_archive(tmp_path / "nasty.mbox.gz")
    serial = CommunityFactory(slug="serial", visibility="open")
    run_import(archive, serial, "--list", "bakers")

    monkeypatch.setattr(mbox_archive, "PARSE_POOL_FROM_BYTES", 0)
    monkeypatch.setattr(mbox_archive, "PARSE_CHUNK", 3)
    parsed_by = tmp_path / "pids"
    real = mbox_archive.parse_head

    def noted(raw):
        with open(parsed_by, "a") as out:  # the workers are other processes: a file
            out.write(f"{os.getpid()}\n")
        return real(raw)

    monkeypatch.setattr(mbox_archive, "parse_head", noted)
    pooled = CommunityFactory(slug="pooled", visibility="open")
    run_import(archive, pooled, "--list", "bakers")

    pids = parsed_by.read_text().split()
    assert len(pids) == ImportRun.objects.get(community=pooled).counts["messages read"] + 1
    assert str(os.getpid()) not in pids  # the skipped dateless message was parsed too
    assert ImportRun.objects.get(community=pooled).report == EXPECTED_REPORT.read_text()
    assert snapshot(pooled) == snapshot(serial)


@pytest.mark.django_db
def test_writing_starts_before_the_bodies_are_all_parsed(tmp_path, monkeypatch):
    """The first batch is written as soon as its own messages are parsed, not the archive's."""
    archive = generated_archive(tmp_path / "bench.mbox", 300)
    monkeypatch.setattr(mbox_archive, "PARSE_POOL_FROM_BYTES", 0)
    monkeypatch.setattr(mbox_archive, "PARSE_CHUNK", 20)
    monkeypatch.setattr(mbox_import, "BULK_THREADS", 5)
    waited_for = []
    real = StagedArchive._parsed

    def parsed(self, seq):
        waited_for.append((seq, len(self._chunks)))
        return real(self, seq)

    monkeypatch.setattr(StagedArchive, "_parsed", parsed)
    community = CommunityFactory(slug="bakers", visibility="open")
    run_import(archive, community, "--list", "bakers")

    first_seq, chunks_left = waited_for[0]
    assert first_seq < 40 and chunks_left == 15  # 300 messages in chunks of 20, none waited
    assert Post.objects.filter(community=community).count() == 300


@pytest.mark.django_db
def test_killed_while_bodies_are_parsed_resumes_to_a_clean_import(tmp_path, monkeypatch):
    """An interrupt in the third batch of an import with parsing workers: the batches before it
    stay, the workers stop, a second run writes the rest and ends as a clean import does."""
    archive = generated_archive(tmp_path / "bench.mbox", 200)
    clean = CommunityFactory(slug="clean", visibility="open")
    run_import(archive, clean, "--list", "bakers")

    monkeypatch.setattr(mbox_archive, "PARSE_POOL_FROM_BYTES", 0)
    monkeypatch.setattr(mbox_archive, "PARSE_CHUNK", 10)
    monkeypatch.setattr(mbox_import, "BULK_THREADS", 4)
    real = history.interactions_write
    calls = {"n": 0}

    def power_cut_in_third_batch(specs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # its threads and posts were inserted
        return real(specs)

    monkeypatch.setattr(history, "interactions_write", power_cut_in_third_batch)
    community = CommunityFactory(slug="cut", visibility="open")
    with pytest.raises(KeyboardInterrupt):
        run_import(archive, community, "--list", "bakers")
    assert Thread.objects.filter(community=community).count() == 8  # two batches of four
    run = ImportRun.objects.get(community=community)
    assert run.status == ImportRun.Status.FAILED

    monkeypatch.setattr(history, "interactions_write", real)
    run_import(archive, community, "--list", "bakers")
    resumed, expected = snapshot(community), snapshot(clean)
    for key in ("threads", "revisions", "follows", "interactions", "people", "search", "records"):
        assert sorted(resumed[key]) == sorted(expected[key]), key
    assert sorted(resumed["posts"]) == sorted(expected["posts"])
    assert resumed["run"][-1][1]["threads already imported"] == 8


@pytest.mark.django_db
def test_bulk_records_are_the_per_post_paths(tmp_path, monkeypatch):
    """The bulk path's records (a COPY on PostgreSQL) hold what the per-post path's hold: the
    same targets, data, site (a backslash and a tab kept as they are) and run."""
    archive = nasty_archive(tmp_path / "nasty.mbox.gz")
    site = "bakers\\ list\tarchive"
    by_kind = {}
    written = []
    real = mbox_import._records_write

    def records_write(ctx, rows):
        written.extend(rows)
        return real(ctx, rows)

    monkeypatch.setattr(mbox_import, "_records_write", records_write)
    for slug, extra in (("bulk", ()), ("one", ("--one-by-one",))):
        community = CommunityFactory(slug=slug, visibility="open")
        run_import(archive, community, "--list", site, *extra)
        run = ImportRun.objects.get(community=community)
        records = SourceRecord.objects.filter(community=community).exclude(kind="person")
        assert {(r.site, r.source, r.run_id) for r in records} == {(site, "mbox", run.pk)}
        by_kind[slug] = sorted(
            (r.kind, r.source_id, r.target_type.model, _target_text(r), r.data) for r in records
        )
    assert by_kind["bulk"] == by_kind["one"]
    assert len(written) == len(by_kind["bulk"])  # every record of the bulk run in bulk
    assert any(kind == "thread" and data["subject"] for kind, *_, data in by_kind["bulk"])


def _target_text(record) -> str:
    target = record.target
    return target.title if isinstance(target, Thread) else target.body


def _read_then_wait(archive: str, staging: str, pids) -> None:
    """In a child process: the first pass with its parsing pool, then wait to be killed."""
    staged = StagedArchive(archive, staging, ImportReport())
    staged.read()
    pids.put([worker.pid for worker in staged._pool._pool])
    time.sleep(120)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie has ended; who reaps it is not ours to say


def test_killed_import_leaves_no_parsing_worker(tmp_path, monkeypatch):
    """A kill (SIGKILL: nothing cleans up) of the importing process ends its parsing workers
    after the chunk each is parsing (its result meets a broken pipe), not after every chunk
    already queued (here 50 of a fifth of a second each)."""
    monkeypatch.setattr(mbox_archive, "PARSE_POOL_FROM_BYTES", 0)
    monkeypatch.setattr(mbox_archive, "PARSE_CHUNK", 1)
    real = mbox_archive.parse_and_render

    def slow(raw, list_address=""):
        time.sleep(0.2)
        return real(raw, list_address)

    monkeypatch.setattr(mbox_archive, "parse_and_render", slow)
    archive = generated_archive(tmp_path / "bench.mbox", 50)
    context = multiprocessing.get_context("fork")
    pids = context.Queue()
    child = context.Process(
        target=_read_then_wait, args=(str(archive), str(tmp_path / "staging.sqlite3"), pids)
    )
    child.start()
    workers = pids.get(timeout=120)
    assert len(workers) == min(2, os.cpu_count() or 1)
    assert all(_alive(pid) for pid in workers)

    os.kill(child.pid, signal.SIGKILL)
    child.join()
    deadline = time.monotonic() + 2
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)


@pytest.mark.django_db
def test_bulk_people_are_the_per_post_paths(tmp_path, monkeypatch):
    """People made in bulk, a batch's at once, are the accounts, names, memberships, events and
    records the per-post path makes one by one (usernames from the name, never the address)."""
    archive = nasty_archive(tmp_path / "nasty.mbox.gz")
    made = []
    real = mbox_import.placeholders_create

    def placeholders(**kwargs):
        made.extend(kwargs["people"])
        return real(**kwargs)

    monkeypatch.setattr(mbox_import, "placeholders_create", placeholders)
    people = {}
    for site, extra in (("alpha", ()), ("beta", ("--one-by-one",))):
        community = CommunityFactory(slug=site, visibility="open")
        run_import(archive, community, "--list", site, *extra)
        memberships = Membership.objects.filter(community=community).select_related("user__profile")
        events = MembershipEvent.objects.filter(community=community)
        records = SourceRecord.objects.filter(community=community, kind="person")
        people[site] = (
            sorted(
                (m.user.username.replace(site, "SITE"),
                 m.user.profile.display_name.replace(site, "SITE"), m.user.is_active,
                 m.user.has_usable_password(), m.user.email, m.role, m.state, m.joined_at)
                for m in memberships
            ),
            sorted((e.kind, e.to_state, e.to_role, e.occurred_at) for e in events),
            sorted((r.source_id, str(r.data).replace(site, "SITE")) for r in records),
        )  # fmt: skip
    assert people["alpha"] == people["beta"]
    assert len(made) == len(people["alpha"][0]) > 5  # all of the bulk run's people in bulk
    assert not any("addr" in username for username, *_ in people["alpha"][0])
