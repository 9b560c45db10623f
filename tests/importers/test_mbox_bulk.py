"""The mbox importer's bulk writes against its per-post path: the same community either way."""

import os
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from communities.models import Membership
from importers import mbox_archive, mbox_import
from importers.models import ImportRun, SourceRecord
from knowledge.models import ExpertSource
from practice.models import Post, PostRevision, Thread
from practice.services import history
from tests.factories import CommunityFactory
from tests.importers.community_state import (
    follows_of,
    interactions_of,
    metrics_of,
    name_of,
    search_of,
)

FIXTURES = Path(__file__).parent / "fixtures" / "mbox"
ARCHIVES = [
    ("mailman2-cooks.txt", "cooks"),
    ("hyperkitty-fermenters.mbox", "fermenters"),
    ("google-groups-takeout.mbox", "night-shift"),
    ("nasty.mbox", "bakers"),
]


def run_import(path, community, *extra) -> str:
    out = StringIO()
    call_command("import_mbox", str(path), "--community", community.slug, *extra, stdout=out)
    return out.getvalue()


def snapshot(community) -> dict:
    """Everything the import wrote that a reader, the search or the dashboards see, by
    content rather than by id; posts in id order (the order of equal moments)."""
    posts = list(
        Post.objects.filter(community=community)
        .select_related("author__profile", "reply_to", "thread")
        .order_by("pk")
    )
    threads = Thread.objects.filter(community=community).select_related("author__profile")
    by_post = {p.pk: p.body for p in posts}
    thread_titles = {t.pk: t.title for t in threads}
    return {
        "threads": [
            (
                t.title,
                t.kind,
                t.status,
                t.reply_count,
                t.answer_count,
                t.helpful_count,
                t.created_at,
                t.last_activity_at,
                name_of(t.author),
                by_post[t.opening_post_id],
            )
            for t in threads.order_by("pk")
        ],
        "posts": [
            (
                p.thread.title,
                p.is_opening,
                p.is_answer,
                name_of(p.author),
                p.body,
                p.body_html,
                p.created_at,
                p.edited_at,
                p.reply_to.body if p.reply_to else None,
            )
            for p in posts
        ],
        "revisions": sorted(
            (by_post[r.post_id], r.number, r.title, r.body, r.created_at, name_of(r.editor))
            for r in PostRevision.objects.filter(post__community=community).select_related(
                "editor__profile"
            )
        ),
        "follows": follows_of(community, thread_titles),
        "interactions": interactions_of(community, by_post),
        "people": sorted(
            (m.user.profile.display_name, m.role, m.state, m.joined_at, m.user.is_active)
            for m in Membership.objects.filter(community=community).select_related("user__profile")
        ),
        "search": search_of(community),
        "experts": sorted(
            (s.kind, str(s.scores), str(s.tags))
            for s in ExpertSource.objects.filter(
                kind=ExpertSource.Kind.THREAD, object_id__in=[t.pk for t in threads]
            )
        ),
        "records": sorted(
            (r.kind, r.source_id, r.target_type_id)
            for r in SourceRecord.objects.filter(community=community)
        ),
        "run": [
            (run.status, run.counts, run.report, run.processed, run.total)
            for run in ImportRun.objects.filter(community=community).order_by("pk")
        ],
    }


@pytest.mark.django_db
@pytest.mark.parametrize(("archive", "site"), ARCHIVES)
def test_bulk_import_writes_what_the_per_post_path_writes(archive, site):
    one_by_one = CommunityFactory(slug="one-by-one", visibility="open")
    bulk = CommunityFactory(slug="bulk", visibility="open")

    run_import(FIXTURES / archive, one_by_one, "--list", site, "--one-by-one")
    output = run_import(FIXTURES / archive, bulk, "--list", site)

    expected = snapshot(one_by_one)
    assert expected["posts"] and expected["interactions"] is not None
    assert snapshot(bulk) == expected
    assert metrics_of(bulk) == metrics_of(one_by_one)
    assert "Import finished." in output


@pytest.mark.django_db
def test_bulk_import_twice_adds_nothing(client):
    community = CommunityFactory(slug="cooks", visibility="open")
    run_import(FIXTURES / "mailman2-cooks.txt", community, "--list", "cooks")
    before = snapshot(community)["posts"], SourceRecord.objects.count()

    output = run_import(FIXTURES / "mailman2-cooks.txt", community, "--list", "cooks")

    assert (snapshot(community)["posts"], SourceRecord.objects.count()) == before
    assert "threads already imported: 2" in output
    thread = Thread.objects.get(community=community, title__startswith="Sourdough")
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "Carole Bérard" in page and "example.org" not in page


@pytest.mark.django_db
def test_bulk_batch_is_atomic_and_a_rerun_resumes(monkeypatch):
    """A crash inside a batch leaves none of its threads; the batches before it stay; a second
    run writes the rest and ends as a clean import does."""
    clean = CommunityFactory(slug="clean", visibility="open")
    community = CommunityFactory(slug="cut", visibility="open")
    archive = FIXTURES / "mailman2-cooks.txt"  # two threads: two batches of one
    run_import(archive, clean, "--list", "cooks")

    monkeypatch.setattr(mbox_import, "BULK_THREADS", 1)
    real = history.interactions_write
    calls = {"n": 0}

    def power_cut_in_second_batch(specs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # after its threads and posts were inserted
        return real(specs)

    monkeypatch.setattr(history, "interactions_write", power_cut_in_second_batch)
    with pytest.raises(KeyboardInterrupt):
        run_import(archive, community, "--list", "cooks")
    assert Thread.objects.filter(community=community).count() == 1  # the first batch only
    thread = Thread.objects.get(community=community)
    records = SourceRecord.objects.filter(community=community, kind=SourceRecord.Kind.MESSAGE)
    assert records.count() == Post.objects.filter(thread=thread).count() == thread.reply_count + 1
    assert ImportRun.objects.get(community=community).status == ImportRun.Status.FAILED

    monkeypatch.setattr(history, "interactions_write", real)
    run_import(archive, community, "--list", "cooks")
    resumed, expected = snapshot(community), snapshot(clean)
    for key in ("threads", "revisions", "follows", "interactions", "people", "search", "records"):
        assert sorted(resumed[key]) == sorted(expected[key]), key
    assert sorted(resumed["posts"]) == sorted(expected["posts"])


@pytest.mark.django_db
def test_bulk_refused_thread_goes_the_per_post_way(monkeypatch):
    """A thread the bulk checks refuse is written by the per-post services (which report what
    they refuse themselves); the others of its batch are written in bulk."""
    clean = CommunityFactory(slug="clean", visibility="open")
    community = CommunityFactory(slug="cooks", visibility="open")
    run_import(FIXTURES / "mailman2-cooks.txt", clean, "--list", "cooks")
    real_check, real_write = mbox_import.history_check, mbox_import.history_write
    written = []

    def refuse_the_meetup(*, community, item, can_post):
        if "meetup" in item.title.lower():
            raise ValidationError("not in bulk")
        return real_check(community=community, item=item, can_post=can_post)

    def write(*, community, threads, **kwargs):
        written.extend(item.title for item in threads)
        return real_write(community=community, threads=threads, **kwargs)

    monkeypatch.setattr(mbox_import, "history_check", refuse_the_meetup)
    monkeypatch.setattr(mbox_import, "history_write", write)
    run_import(FIXTURES / "mailman2-cooks.txt", community, "--list", "cooks")

    assert written == ["Sourdough starter smells like nail varnish"]
    result, expected = snapshot(community), snapshot(clean)
    assert sorted(result["posts"]) == sorted(expected["posts"])
    assert result["interactions"] == expected["interactions"]
    assert result["search"] == expected["search"]


@pytest.mark.django_db
def test_bulk_checks_each_thread_once(monkeypatch):
    """The bulk path checks each thread once, before writing it (history_write is told so),
    not a second time inside history_write: the same community as the per-post path."""
    one_by_one = CommunityFactory(slug="one-by-one", visibility="open")
    community = CommunityFactory(slug="bulk", visibility="open")
    run_import(FIXTURES / "mailman2-cooks.txt", one_by_one, "--list", "cooks", "--one-by-one")
    real_check = history.history_check
    checked = []

    def counted(*, community, item, **kwargs):
        checked.append(item.title)
        return real_check(community=community, item=item, **kwargs)

    monkeypatch.setattr(history, "history_check", counted)
    monkeypatch.setattr(mbox_import, "history_check", counted)
    run_import(FIXTURES / "mailman2-cooks.txt", community, "--list", "cooks")

    titles = list(Thread.objects.filter(community=community).values_list("title", flat=True))
    assert len(titles) == 2
    assert sorted(checked) == sorted(titles)
    assert snapshot(community)["posts"] == snapshot(one_by_one)["posts"]


def test_history_check_refuses_what_the_services_refuse():
    post = history.HistoryPost(author=None, body="", at=datetime(2020, 1, 1, tzinfo=UTC))
    item = history.HistoryThread(kind="poll", title="x", posts=[post])
    with pytest.raises(Exception, match="a discussion or a story"):
        history.history_check(community=None, item=item, can_post={})
    item.kind = Thread.Kind.DISCUSSION
    with pytest.raises(Exception, match="Write something first"):
        history.history_check(community=None, item=item, can_post={})
    assert history.history_prerender("  ") == ""
    assert history.history_prerender("**hi**") == "<p><strong>hi</strong></p>"


@pytest.mark.django_db
def test_parsing_workers_stage_what_this_process_stages(monkeypatch):
    """A large archive is parsed by a pool of worker processes: the same import."""
    serial = CommunityFactory(slug="serial", visibility="open")
    pooled = CommunityFactory(slug="pooled", visibility="open")
    run_import(FIXTURES / "nasty.mbox", serial, "--list", "bakers")

    monkeypatch.setattr(mbox_archive, "PARSE_POOL_FROM_BYTES", 0)
    monkeypatch.setattr(mbox_archive, "PARSE_CHUNK", 3)  # several rounds through the pool
    workers = []
    real_workers = mbox_archive.StagedArchive._workers

    def counted(self):
        workers.append(real_workers(self))
        return workers[-1]

    monkeypatch.setattr(mbox_archive.StagedArchive, "_workers", counted)
    run_import(FIXTURES / "nasty.mbox", pooled, "--list", "bakers")

    assert workers == [min(2, os.cpu_count() or 1)]
    assert snapshot(pooled) == snapshot(serial)


@pytest.mark.django_db
def test_bulk_batch_that_fails_unforeseen_goes_the_per_post_way(monkeypatch):
    """An error the checks did not foresee undoes the batch, whose threads are then written one
    by one (here all of them, as the bulk write always fails): the same community."""
    one_by_one = CommunityFactory(slug="one-by-one", visibility="open")
    community = CommunityFactory(slug="fallback", visibility="open")
    run_import(FIXTURES / "mailman2-cooks.txt", one_by_one, "--list", "cooks", "--one-by-one")

    def broken(*, community, threads, **kwargs):
        Thread.objects.create(
            community=community, kind="discussion", title="half", author=threads[0].posts[0].author,
            created_at=threads[0].posts[0].at, last_activity_at=threads[0].posts[0].at,
        )  # fmt: skip
        raise ValueError("unforeseen")

    monkeypatch.setattr(mbox_import, "history_write", broken)
    output = run_import(FIXTURES / "mailman2-cooks.txt", community, "--list", "cooks")

    assert not Thread.objects.filter(community=community, title="half").exists()
    assert snapshot(community)["posts"] == snapshot(one_by_one)["posts"]
    assert "threads imported: 2" in output and "already" not in output
    assert "people created: 4" in output  # not the 4 the undone batch made as well
