"""The Stack Exchange importer's bulk writes against its per-post path: the same community
either way, on every dump the tests have (the sample, a broken one, one without its optional
files, a generated one with the bench's shape)."""

import os
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.import_stackexchange import write_dump
from communities.models import Membership, MembershipEvent
from importers import services as import_services
from importers.models import ImportRun, SourceRecord
from knowledge.models import ExpertSource
from practice.models import (
    ModerationAction,
    Post,
    PostMention,
    PostRevision,
    TaggedThread,
    Thread,
)
from practice.services import history
from tests.factories import CommunityFactory, UserFactory
from tests.importers.community_state import (
    follows_of,
    interactions_of,
    metrics_of,
    name_of,
    search_of,
)
from tests.importers.test_stackexchange import _dump, _post, nobodies_dump

SAMPLE = Path(__file__).parent / "fixtures" / "cooking.stackexchange.com"
SITE = "cooking.stackexchange.com"


def run_import(directory, community, *extra, site=SITE) -> str:
    out = StringIO()
    call_command(
        "import_stackexchange", str(directory), "--community", community.slug, "--site", site,
        *extra, stdout=out,
    )  # fmt: skip
    return out.getvalue()


def snapshot(community) -> dict:
    """Everything an import writes that a reader, the search or the dashboards see, by content
    rather than by id; posts in id order (the order of equal moments)."""
    posts = list(
        Post.objects.filter(community=community)
        .select_related("author__profile", "reply_to", "thread")
        .order_by("pk")
    )
    threads = list(
        Thread.objects.filter(community=community).select_related("author__profile").order_by("pk")
    )
    by_post = {p.pk: p.body for p in posts}
    titles = {t.pk: t.title for t in threads}
    names = dict(
        Membership.objects.filter(community=community).values_list(
            "user_id", "user__profile__display_name"
        )
    )
    tags = {}
    for tagged in TaggedThread.objects.filter(object_id__in=titles).select_related("tag"):
        tags.setdefault(tagged.object_id, []).append(tagged.tag.name)
    return {
        "threads": [
            (
                t.title,
                t.kind,
                t.status,
                t.is_locked,
                t.reply_count,
                t.answer_count,
                t.helpful_count,
                t.created_at,
                t.last_activity_at,
                t.accepted_at,
                by_post.get(t.accepted_post_id),
                name_of(t.author),
                by_post[t.opening_post_id],
                sorted(tags.get(t.pk, [])),
            )
            for t in threads
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
        "moderation": sorted(
            (
                a.action,
                name_of(a.moderator),
                titles.get(a.thread_id),
                by_post.get(a.post_id),
                a.summary,
                a.reason,
                # Locking is logged at the moment it is done (now), as thread_set_locked logs.
                a.created_at if a.action != ModerationAction.Action.LOCK else None,
            )
            for a in ModerationAction.objects.filter(community=community).select_related(
                "moderator__profile"
            )
        ),
        "follows": follows_of(community, titles),
        "interactions": interactions_of(community, by_post),
        "mentions": sorted(
            (by_post[m.post_id], name_of(m.user), m.created_at)
            for m in PostMention.objects.filter(post__community=community).select_related(
                "user__profile"
            )
        ),
        "people": sorted(
            (
                m.user.profile.display_name,
                m.role,
                m.state,
                m.user.is_active,
                m.user.has_usable_password(),
                # The import account joins when it is first needed (now).
                (m.joined_at, m.created_at) if m.role != Membership.Role.MODERATOR else None,
            )
            for m in Membership.objects.filter(community=community).select_related("user__profile")
        ),
        "membership events": sorted(
            (
                e.kind,
                e.from_state,
                e.to_state,
                e.from_role,
                e.to_role,
                e.actor_id,
                e.occurred_at if e.to_role != Membership.Role.MODERATOR else None,
            )
            for e in MembershipEvent.objects.filter(community=community)
        ),
        "search": search_of(community),
        # Each thread's expert scores: (tag, person, accepted, helpful...) and its tags' counts.
        "experts": sorted(
            (
                titles[s.object_id],
                sorted((key, names.get(uid), *v) for _, key, uid, *v in s.scores),
                sorted((name, *v) for _, name, *v in s.tags),
            )
            for s in ExpertSource.objects.filter(
                kind=ExpertSource.Kind.THREAD, object_id__in=list(titles)
            )
        ),
        "records": sorted(
            (
                r.kind,
                r.source_id,
                r.target_type_id,
                r.score,
                sorted((k, str(v)) for k, v in r.data.items()),
                titles.get(r.target_id) if r.kind in ("question", "close") else None,
            )
            for r in SourceRecord.objects.filter(community=community)
        ),
        "run": [
            (run.status, run.counts, sorted(run.report.splitlines()), run.processed, run.total)
            for run in ImportRun.objects.filter(community=community).order_by("pk")
        ],
    }


def _broken(tmp_path) -> Path:
    """The bad-input test's dump: a truncated Posts.xml, unknown parents and types, a bad
    date, a question without a title, NUL bytes, an empty Votes.xml."""
    posts = (
        '<?xml version="1.0" encoding="utf-8"?>\n<posts>\n'
        + _post(1)
        + _post(2, kind=2, ParentId="1", OwnerUserId="8")
        + _post(3, kind=2, ParentId="999")
        + _post(4, kind=42)
        + _post(5, CreationDate="yesterday")
        + _post(6, Title="")
        + _post(7, kind=2, ParentId="1", Body="&lt;p&gt;nul&#0;here&lt;/p&gt;")
        + _post(8, kind=2, ParentId="1").replace("Some body", "Some\0 body")
        + '  <row Id="9" PostTypeId="1" CreationDate="2020-01-0'
    )
    comments = '<?xml version="1.0"?>\n<comments>\n  <row Id="1" PostId="555" Text="x" CreationDate="2020-01-01T00:00:00" />\n</comments>\n'  # noqa: E501
    return _dump(tmp_path, Posts=posts, Comments=comments, Votes="")


def _posts_only(tmp_path) -> Path:
    folder = tmp_path / SITE
    folder.mkdir()
    shutil.copy(SAMPLE / "Posts.xml", folder / "Posts.xml")
    return folder


def _generated(tmp_path) -> Path:
    folder = tmp_path / "bench.stackexchange.com"
    folder.mkdir()
    write_dump(folder, 240, seed=5)
    return folder


DUMPS = {
    "sample": lambda tmp_path: SAMPLE,
    "broken": _broken,
    "posts only": _posts_only,
    "generated": _generated,
    # Posts and comments by no one we know (no owner, the site's bot): no interactions.
    "nobodies": nobodies_dump,
}


@pytest.mark.django_db
@pytest.mark.parametrize("dump", list(DUMPS))
def test_bulk_import_writes_what_the_per_post_path_writes(dump, tmp_path, monkeypatch):
    UserFactory(username="Carol")  # a real member named like someone of the dump
    one_by_one = CommunityFactory(slug="one-by-one", visibility="open")
    bulk = CommunityFactory(slug="bulk", visibility="open")
    folder = DUMPS[dump](tmp_path)
    run_import(folder, one_by_one, "--one-by-one")
    per_post = []
    real = import_services.question_import

    def counted(**kwargs):
        per_post.append(kwargs["bundle"].question.id)
        return real(**kwargs)

    monkeypatch.setattr(import_services, "question_import", counted)
    output = run_import(folder, bulk)

    # Only the question without a title (refused by the checks) went the per-post way.
    assert per_post == ([6] if dump == "broken" else [])

    expected = snapshot(one_by_one)
    assert expected["posts"] and expected["records"]
    result = snapshot(bulk)
    for key in expected:
        assert result[key] == expected[key], key
    assert metrics_of(bulk) == metrics_of(one_by_one)
    assert "Import finished." in output


@pytest.mark.django_db
def test_bulk_import_writes_in_bulk(monkeypatch):
    """The sample's three questions go in one batch, none through the per-post services."""
    community = CommunityFactory(slug="cooks", visibility="open")
    per_post = []
    real = import_services.question_import

    def counted(**kwargs):
        per_post.append(kwargs["bundle"].question.id)
        return real(**kwargs)

    monkeypatch.setattr(import_services, "question_import", counted)
    run_import(SAMPLE, community)
    assert per_post == []
    assert Thread.objects.filter(community=community).count() == 3


@pytest.mark.django_db
def test_bulk_import_twice_adds_nothing():
    community = CommunityFactory(slug="cooks", visibility="open")
    run_import(SAMPLE, community)
    before = snapshot(community)

    output = run_import(SAMPLE, community)

    after = snapshot(community)
    for key in before:
        if key != "run":
            assert after[key] == before[key], key
    assert "questions already imported: 3" in output


@pytest.mark.django_db
def test_bulk_batch_is_atomic_and_a_rerun_resumes(monkeypatch, tmp_path):
    """A crash inside a batch leaves none of its questions (nor its people); the batches
    before it stay; a second run writes the rest and ends as a clean import does."""
    folder = _generated(tmp_path)
    clean = CommunityFactory(slug="clean", visibility="open")
    community = CommunityFactory(slug="cut", visibility="open")
    run_import(folder, clean)

    monkeypatch.setattr(import_services, "BULK_QUESTIONS", 20)
    real = history.interactions_write
    calls = {"n": 0}

    def power_cut_in_second_batch(specs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # after its people, threads and posts were inserted
        return real(specs)

    monkeypatch.setattr(history, "interactions_write", power_cut_in_second_batch)
    with pytest.raises(KeyboardInterrupt):
        run_import(folder, community)
    assert Thread.objects.filter(community=community).count() == 20  # the first batch only
    records = SourceRecord.objects.filter(community=community)
    assert records.filter(kind="question").count() == 20
    assert (
        records.filter(kind__in=["answer", "comment"]).count()
        == Post.objects.filter(community=community, is_opening=False).count()
    )
    people = records.filter(kind="person").count()
    assert people == Membership.objects.filter(community=community).count()
    assert ImportRun.objects.get(community=community).status == ImportRun.Status.FAILED

    monkeypatch.setattr(history, "interactions_write", real)
    run_import(folder, community)
    resumed, expected = snapshot(community), snapshot(clean)
    for key in expected:
        if key != "run":
            assert sorted(resumed[key]) == sorted(expected[key]), key
    assert [run[0] for run in resumed["run"]] == ["failed", "done"]


@pytest.mark.django_db
def test_bulk_refused_question_goes_the_per_post_way(monkeypatch):
    """A question the bulk checks refuse is written by the per-post services; the others of
    its batch are written in bulk; the end is the same."""
    clean = CommunityFactory(slug="clean", visibility="open")
    community = CommunityFactory(slug="cooks", visibility="open")
    run_import(SAMPLE, clean)
    real_check = import_services.history_check
    per_post = []
    real_import = import_services.question_import

    def refuse_the_knife(*, community, item, can_post, content_only=False):
        if "whetstone" in item.title.lower():
            raise history.ValidationError("not in bulk")
        return real_check(
            community=community, item=item, can_post=can_post, content_only=content_only
        )

    def counted(**kwargs):
        per_post.append(kwargs["bundle"].question.id)
        return real_import(**kwargs)

    monkeypatch.setattr(import_services, "history_check", refuse_the_knife)
    monkeypatch.setattr(import_services, "question_import", counted)
    run_import(SAMPLE, community)

    assert per_post == [30]
    result, expected = snapshot(community), snapshot(clean)
    for key in expected:
        if key != "run":
            assert sorted(result[key]) == sorted(expected[key]), key


@pytest.mark.django_db
def test_bulk_unforeseen_error_falls_back_to_the_per_post_path(monkeypatch):
    clean = CommunityFactory(slug="clean", visibility="open")
    community = CommunityFactory(slug="cooks", visibility="open")
    run_import(SAMPLE, clean)

    def broken(**kwargs):
        raise ValueError("nobody foresaw this")

    monkeypatch.setattr(import_services, "history_write", broken)
    run_import(SAMPLE, community)
    result, expected = snapshot(community), snapshot(clean)
    for key in expected:
        if key != "run":
            assert sorted(result[key]) == sorted(expected[key]), key
    assert result["run"][0][1]["people created"] == expected["run"][0][1]["people created"]


@pytest.mark.django_db
@pytest.mark.parametrize("extra", [(), ("--one-by-one",)])
def test_preparing_workers_import_what_this_process_imports(extra, tmp_path, monkeypatch):
    """A large dump's bodies are converted and rendered by a pool of worker processes, a few
    questions a task: the same import, either path."""
    folder = _generated(tmp_path)
    serial = CommunityFactory(slug="serial", visibility="open")
    pooled = CommunityFactory(slug="pooled", visibility="open")
    run_import(folder, serial, *extra)

    monkeypatch.setattr(import_services, "PREPARE_POOL_FROM", 0)
    monkeypatch.setattr(import_services, "PREPARE_CHUNK", 7)  # several rounds through the pool
    opened = []
    real_open = import_services.pool_open

    def pool_open(workers, *, nice):
        pool = real_open(workers, nice=nice)
        opened.append((workers, pool is not None))
        return pool

    monkeypatch.setattr(import_services, "pool_open", pool_open)
    run_import(folder, pooled, *extra)

    workers = min(2, os.cpu_count() or 1)
    assert opened == [(workers, workers > 1)]
    expected, result = snapshot(serial), snapshot(pooled)
    for key in expected:
        assert result[key] == expected[key], key


@pytest.mark.django_db
def test_bulk_checks_a_batchs_new_people_with_one_query(tmp_path):
    """The rights of the people a batch makes are read at once, not one query a person."""
    folder = tmp_path / "bench.stackexchange.com"
    folder.mkdir()
    write_dump(folder, 400, seed=5)  # 20 people, one batch
    community = CommunityFactory(slug="cooks", visibility="open")
    table = Membership._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        run_import(folder, community)
    people = SourceRecord.objects.filter(community=community, kind="person").count()
    assert people >= 20
    reads = [
        q["sql"] for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"]
    ]  # fmt: skip
    assert len(reads) <= 3, reads
