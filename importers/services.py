"""Write a Stack Exchange dump through the practice and communities services.

The importer never writes content rows itself: threads, answers, replies, revisions, accepted
answers and locks are made by the same services a member's request calls, each given the
source's moment (``at=``), so counters, the interaction log and the search index follow as they
do for any post. Its own tables (``SourceRecord``, ``ImportRun``) remember what each source row
became: one question is imported in one transaction together with its records, so a crash never
leaves half a thread, a second run skips what is recorded, and an interrupted run resumes.

People of the dump become inactive placeholder accounts with no password (an admin can map them
to real accounts later), active members of the community since their account's creation.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone
from django.utils.text import slugify

from communities import permissions as community_permissions
from communities import services as community_services
from communities.changes import change_listeners_held
from communities.interactions import interactions_rebuild, non_persons_held
from communities.models import Community, Membership
from core.copy_rows import tuples_insert
from importers.common import (
    KnownPeople,
    RunProgress,
    history_side_effects_held,
    placeholder_create,
    placeholders_create,
    run_finish,
    run_start,
)
from importers.markdown import html_to_markdown, markdown_inert_mentions
from importers.models import ImportRun, Source, SourceRecord
from importers.parallel import pool_close, pool_open, pool_submit, workers_for
from importers.report import ImportReport
from importers.selectors import (
    STACKEXCHANGE_BOT_KEY,
    STACKEXCHANGE_NOBODY_PREFIX,
    stackexchange_nobody,
)
from importers.stackexchange_dump import (
    BODY_EDITS,
    INITIAL_BODY,
    INITIAL_TAGS,
    INITIAL_TITLE,
    TAG_EDITS,
    TITLE_EDITS,
    Bundle,
    HistoryRow,
    Post,
    StagedDump,
    bundles_of,
    parse_tags,
)
from metrics.pipeline.schedule import metrics_request
from practice.changes import thread_changed
from practice.models import Post as PracticePost
from practice.models import Thread
from practice.services import endorsements, moderation
from practice.services import threads as thread_services
from practice.services.authorship import authorship_transfer
from practice.services.history import (
    HistoryEdit,
    HistoryPost,
    HistoryThread,
    history_check,
    history_prerender,
    history_write,
)

User = get_user_model()
Kind = SourceRecord.Kind
IMPORT_ACCOUNT = "import"
# Questions written per transaction by the bulk path: about 800 posts with the bench's shape,
# so each INSERT carries a few hundred kilobytes and a crash undoes at most that much.
BULK_QUESTIONS = 200
# Stack Exchange's own bot ("Community", id -1) edits and owns wiki posts: not a person.
COMMUNITY_BOT = -1
# A dump of this many questions or more has its bodies converted (HTML to Markdown) and
# rendered by a pool of worker processes (at most PREPARE_WORKERS), PREPARE_CHUNK questions a
# task, while this process and its database backend write earlier batches: converting and
# rendering were a third of the importing process's CPU. At most PREPARE_AHEAD chunks are
# asked for ahead of the writing, so memory stays flat. The workers run PREPARE_NICE steps
# nicer: the writing is the critical path.
PREPARE_POOL_FROM = 1000
PREPARE_WORKERS = 2
PREPARE_CHUNK = 100
PREPARE_AHEAD = 6
PREPARE_NICE = 5
_LICENCES = (
    # Stack Exchange's licence by the content's date (its help centre, "licensing").
    (datetime(2011, 4, 8, tzinfo=UTC), "CC BY-SA 2.5", "2.5"),
    (datetime(2018, 5, 2, tzinfo=UTC), "CC BY-SA 3.0", "3.0"),
    (None, "CC BY-SA 4.0", "4.0"),
)


def licence_for(at: datetime) -> tuple[str, str]:
    """The CC BY-SA version Stack Exchange published content of *at* under, and its URL."""
    for until, name, version in _LICENCES:
        if until is None or at < until:
            return name, f"https://creativecommons.org/licenses/by-sa/{version}/"
    raise AssertionError("unreachable")


@dataclass
class SiteImport:
    """What one run knows: where it writes, who is who, and what it reports."""

    community: Community
    site: str
    report: ImportReport
    people: dict[int, tuple[str, datetime | None]]
    first_seen: dict[int, datetime]
    run: ImportRun | None = None
    # The accounts of the dump's people; those of ``stackexchange_nobody`` keys stand for no one.
    accounts: KnownPeople = field(init=False)
    _username_base: str = ""

    def __post_init__(self):
        self._username_base = (slugify(self.site.split(".")[0]) or "site")[:40]
        self.accounts = KnownPeople(
            community=self.community,
            source=Source.STACKEXCHANGE,
            site=self.site,
            report=self.report,
            is_nobody=stackexchange_nobody,
        )

    # --- people ------------------------------------------------------------------------------

    def person(self, *, user_id: int | None, name: str, post_id: int, at: datetime):
        """The placeholder for a person of the dump, made on first use (in the caller's
        transaction, so a rolled-back thread takes its new people with it)."""
        self.accounts.load()
        key, display, joined = self.identity(user_id=user_id, name=name, post_id=post_id, at=at)
        user = self.accounts.get(key)
        if user is None:
            user = self._placeholder(key=key, display=display, joined=joined)
        return user

    def identity(
        self, *, user_id: int | None, name: str, post_id: int, at: datetime
    ) -> tuple[str, str, datetime]:
        """A person of the dump's key, display name and join date."""
        if user_id is not None and user_id != COMMUNITY_BOT:
            known_name, created = self.people.get(user_id, ("", None))
            display = known_name or f"user {user_id}"
            return str(user_id), display, created or self.first_seen.get(user_id) or at
        if user_id == COMMUNITY_BOT:
            return STACKEXCHANGE_BOT_KEY, f"{self.site} Community (bot)", at
        if name:
            # A deleted account: the dump keeps only the name it posted under.
            return f"name:{name[:80]}", name, at
        # Nobody to go by: a person of their own, so strangers are not merged into one.
        return f"{STACKEXCHANGE_NOBODY_PREFIX}{post_id}", "unknown person", at

    def persons_make(self, wanted: dict[str, tuple[str, datetime]]) -> None:
        """Make the placeholders of *wanted* (key → display name, join date) not yet made, in
        bulk (in the caller's transaction); the import account (key ``IMPORT_ACCOUNT``) as
        ``import_account`` makes it."""
        self.accounts.load()
        people = [
            (key, display, joined, Membership.Role.MODERATOR if key == IMPORT_ACCOUNT else None)
            for key, (display, joined) in wanted.items()
            if key not in self.accounts
        ]
        made = placeholders_create(
            community=self.community,
            source=Source.STACKEXCHANGE,
            site=self.site,
            people=people,
            username_base=self._username_base,
            run=self.run,
        )
        self.accounts.made(made)
        # Their rights are checked next, person by person: one query for all of them.
        community_permissions.memberships_prefetch(made.values(), self.community)

    def import_account(self):
        """The account that closes questions and carries edits by someone other than the post's
        author (our permissions let only authors and moderators edit): a moderator placeholder."""
        self.accounts.load()
        user = self.accounts.get(IMPORT_ACCOUNT)
        if user is None:
            user = self._placeholder(
                key=IMPORT_ACCOUNT,
                display=self.import_account_name(),
                joined=timezone.now(),
                role=Membership.Role.MODERATOR,
            )
        return user

    def import_account_name(self) -> str:
        return f"{self.site} import"

    def _placeholder(self, *, key: str, display: str, joined: datetime, role=None):
        user = placeholder_create(
            community=self.community,
            source=Source.STACKEXCHANGE,
            site=self.site,
            key=key,
            display=display,
            joined=joined,
            username_base=self._username_base,
            run=self.run,
            role=role,
        )
        self.accounts.made({key: user})
        return user

    def question_url(self, question_id: int) -> str:
        return f"https://{self.site}/questions/{question_id}"


# --- one question -------------------------------------------------------------------------------


@dataclass
class _Version:
    """A post's text as Stack Exchange's history tells it: initial state, then each edit."""

    title: str
    body: str
    tags: list[str]
    edits: list[tuple[HistoryRow, str | None, str | None, list[str] | None]]


def _versions(post: Post, history: list[HistoryRow]) -> _Version:
    """The initial text and the edits of *post*: from PostHistory (Markdown as typed) when it
    has the initial body, else the current HTML body converted, with no earlier versions."""
    rows = [h for h in history if h.post == post.id]
    initial_body = next((h for h in rows if h.type == INITIAL_BODY), None)
    if initial_body is None:
        return _Version(post.title, html_to_markdown(post.body), post.tags, [])
    initial_title = next((h for h in rows if h.type == INITIAL_TITLE), None)
    initial_tags = next((h for h in rows if h.type == INITIAL_TAGS), None)
    version = _Version(
        title=initial_title.text if initial_title else post.title,
        body=markdown_inert_mentions(initial_body.text),
        tags=parse_tags(initial_tags.text) if initial_tags else post.tags,
        edits=[],
    )
    # Rows of one revision (a title, body and tag change saved together) share a moment and
    # an editor: one edit here.
    groups: dict[tuple, list[HistoryRow]] = {}
    for h in rows:
        if h.type in TITLE_EDITS | BODY_EDITS | TAG_EDITS:
            groups.setdefault((h.created, h.user, h.user_name), []).append(h)
    for group in groups.values():
        title = body = tags = None
        for h in group:
            if h.type in TITLE_EDITS:
                title = h.text
            elif h.type in BODY_EDITS:
                body = markdown_inert_mentions(h.text)
            else:
                tags = parse_tags(h.text)
        version.edits.append((group[0], title, body, tags))
    return version


_HTML_HINT = re.compile(r"<(p|pre|code|ul|ol|blockquote|a|img|h\d)\b", re.IGNORECASE)


def _comment_text(text: str) -> str:
    """Comments are Markdown-like text; some exports carry them as HTML."""
    if _HTML_HINT.search(text):
        return html_to_markdown(text)
    return markdown_inert_mentions(text)


@dataclass
class _Prepared:
    """A bundle's text worked out ahead: each post's versions, each comment's Markdown, and
    the HTML shown for each post never edited and each comment (``history_prerender``)."""

    versions: dict[int, _Version]
    comments: dict[int, str]
    html: dict[tuple[str, int], str]


def bundle_prepare(bundle: Bundle) -> Bundle:
    """Work out *bundle*'s text (``_Prepared``): pure, so a worker process may do it."""
    posts = [bundle.question, *bundle.answers]
    versions = {p.id: _versions(p, bundle.history) for p in posts}
    comments = {c.id: _comment_text(c.text) for c in bundle.comments}
    html = {("post", pid): history_prerender(v.body) for pid, v in versions.items() if not v.edits}
    html.update((("comment", cid), history_prerender(text)) for cid, text in comments.items())
    bundle.prepared = _Prepared(versions, comments, html)
    return bundle


def _prepared(bundle: Bundle) -> _Prepared:
    if bundle.prepared is None:
        bundle_prepare(bundle)
    return bundle.prepared


def _bundles_prepare(staging_path: str, ids: list[int]) -> list[Bundle]:
    """The bundles of the questions *ids*, prepared (a worker's task)."""
    return [bundle_prepare(bundle) for bundle in bundles_of(staging_path, ids)]


def prepared_bundles(staged: StagedDump) -> Iterator[Bundle]:
    """The dump's bundles in order (``StagedDump.bundles``), each prepared, by a pool of worker
    processes for a large dump (see PREPARE_POOL_FROM)."""
    ids = staged.question_ids()
    workers = workers_for(len(ids), from_size=PREPARE_POOL_FROM, most=PREPARE_WORKERS)
    pool = pool_open(workers, nice=PREPARE_NICE)
    try:
        chunks = deque(ids[n : n + PREPARE_CHUNK] for n in range(0, len(ids), PREPARE_CHUNK))
        pending: deque = deque()
        while chunks or pending:
            while chunks and len(pending) < PREPARE_AHEAD:
                pending.append(
                    pool_submit(pool, _bundles_prepare, staged.staging_path, chunks.popleft())
                )
            yield from pending.popleft().get()
    finally:
        pool_close(pool)


@dataclass
class _Step:
    at: datetime
    order: int
    run: Callable[[], None]


class _ThreadWriter:
    """Write one question with its answers, comments, edits, acceptance and closing."""

    def __init__(self, ctx: SiteImport, bundle: Bundle, done: dict[tuple[str, str], object]):
        self.ctx = ctx
        self.bundle = bundle
        self.done = done
        self.thread: Thread | None = None
        self.posts: dict[int, PracticePost] = {}
        self.authors: dict[int, object] = {}
        self.records: list[SourceRecord] = []
        self.report = ctx.report

    def _record(self, kind, source_id, target=None, *, score=None, data=None):
        self.records.append(
            SourceRecord(
                community=self.ctx.community,
                source=Source.STACKEXCHANGE,
                site=self.ctx.site,
                kind=kind,
                source_id=str(source_id),
                target_type=ContentType.objects.get_for_model(target) if target else None,
                target_id=target.pk if target else None,
                score=score,
                data=data or {},
                run=self.ctx.run,
            )
        )
        self.report.counts[f"{kind}s imported"] += 1

    def _is_done(self, kind, source_id) -> bool:
        return (kind, str(source_id)) in self.done

    def _author(self, post: Post):
        if post.id not in self.authors:
            self.authors[post.id] = self.ctx.person(
                user_id=post.owner, name=post.owner_name, post_id=post.id, at=post.created
            )
        return self.authors[post.id]

    def write(self) -> bool:
        """Write what is not yet recorded; return whether the thread exists afterwards."""
        b = self.bundle
        q = b.question
        versions = _prepared(b).versions
        existing = self.done.get((Kind.QUESTION, str(q.id)))
        if existing is not None:
            self.thread = existing
            self.posts[q.id] = existing.opening_post
            for (kind, sid), obj in self.done.items():
                if kind == Kind.ANSWER:
                    self.posts[int(sid)] = obj
        elif not self._create_question(q, versions[q.id]):
            return False
        steps: list[_Step] = []
        for answer in b.answers:
            if not self._is_done(Kind.ANSWER, answer.id):
                create = lambda a=answer: self._create_answer(a, versions[a.id])  # noqa: E731
                steps.append(_Step(answer.created, 0, create))
        for post in [q, *b.answers]:
            for edit in versions[post.id].edits:
                row = edit[0]
                if not self._is_done(Kind.REVISION, row.id):
                    steps.append(_Step(row.created, 1, lambda p=post, e=edit: self._edit(p, e)))
        post_times = {p.id: p.created for p in [q, *b.answers]}
        for comment in b.comments:
            if not self._is_done(Kind.COMMENT, comment.id):
                # Never before its post, whatever the clocks said.
                at = max(comment.created, post_times.get(comment.post, comment.created))
                steps.append(_Step(at, 2, lambda c=comment: self._comment(c)))
        if q.accepted is not None and not self._is_done(Kind.ACCEPT, q.id):
            steps.append(_Step(self._accepted_at(), 3, self._accept))
        steps.sort(key=lambda s: (s.at, s.order))
        for step in steps:
            step.run()
        if q.closed is not None and not self._is_done(Kind.CLOSE, q.id):
            self._close(q)
        SourceRecord.objects.bulk_create(self.records)
        return True

    # --- steps -----------------------------------------------------------------------------

    def _attempt(self, what: str, kind: str, action: Callable[[], object]) -> object | None:
        """Run one service call in a savepoint; a refusal is a report line, not a crash."""
        try:
            with transaction.atomic():
                return action()
        except (ValidationError, PermissionDenied) as exc:
            message = "; ".join(getattr(exc, "messages", None) or [str(exc)])
            self.report.skip(f"{what}: not imported ({message})", kind=kind)
            return None

    def _create_question(self, q: Post, version: _Version) -> bool:
        author = self._author(q)
        tags, dropped = version.tags[:5], version.tags[5:]
        thread = self._attempt(
            f"question {q.id}",
            "questions",
            lambda: thread_services.thread_create(
                community=self.ctx.community,
                author=author,
                kind=Thread.Kind.QUESTION,
                title=version.title,
                body=version.body,
                tags=tags,
                at=q.created,
            ),
        )
        if thread is None:
            n = len(self.bundle.answers) + len(self.bundle.comments)
            if n:
                self.report.skip(
                    f"question {q.id}: its {n} answers and comments were not imported with it.",
                    kind="with their question",
                )
            return False
        if dropped:
            self.report.note(f"question {q.id}: tags beyond five dropped: {', '.join(dropped)}.")
        self.thread = thread
        self.posts[q.id] = thread.opening_post
        self._record(
            Kind.QUESTION, q.id, thread, score=q.score, data=_question_data(self.ctx, self.bundle)
        )
        return True

    def _create_answer(self, answer: Post, version: _Version) -> None:
        author = self._author(answer)
        post = self._attempt(
            f"answer {answer.id} (question {self.bundle.question.id})",
            "answers",
            lambda: thread_services.post_create(
                thread=self.thread, author=author, body=version.body, at=answer.created
            ),
        )
        if post is not None:
            self.posts[answer.id] = post
            self._record(Kind.ANSWER, answer.id, post, score=answer.score)

    def _edit(self, post: Post, edit) -> None:
        row, title, body, tags = edit
        target = self.posts.get(post.id)
        if target is None:
            return  # its post was not imported: already reported
        author = self._author(post)
        editor_is_author = row.user is not None and row.user == post.owner
        by = author if editor_is_author else self.ctx.import_account()
        editor = _editor_name(self.ctx, row)
        if not target.is_opening:
            title, tags = None, None
        if body is None and title is None and tags is None:
            return
        current = PracticePost.objects.get(pk=target.pk)
        result = self._attempt(
            f"edit {row.id} of post {post.id}",
            "edits",
            lambda: thread_services.post_edit(
                post=current,
                by=by,
                body=body if body is not None else current.body,
                title=title,
                tags=tags[:5] if tags is not None else None,
                at=row.created,
            ),
        )
        if result is not None:
            self._record(Kind.REVISION, row.id, result, data={"editor": editor})

    def _comment(self, comment) -> None:
        parent = self.posts.get(comment.post)
        if parent is None:
            self.report.skip(
                f"comment {comment.id}: its post {comment.post} was not imported.",
                kind="comments",
            )
            return
        author = self.ctx.person(
            user_id=comment.user, name=comment.user_name, post_id=-comment.id, at=comment.created
        )
        post = self._attempt(
            f"comment {comment.id} on post {comment.post}",
            "comments",
            lambda: thread_services.post_create(
                thread=self.thread,
                author=author,
                body=_prepared(self.bundle).comments[comment.id],
                reply_to=parent,
                at=comment.created,
            ),
        )
        if post is not None:
            self._record(Kind.COMMENT, comment.id, post, score=comment.score)

    def _accepted_at(self) -> datetime:
        return _accepted_at(self.bundle)

    def _accept(self) -> None:
        q = self.bundle.question
        answer = self.posts.get(q.accepted)
        if answer is None:
            self.report.skip(
                f"question {q.id}: its accepted answer {q.accepted} is not in the dump or was "
                "not imported; the question stays unsolved.",
                kind="accepts",
            )
            return
        asker = self._author(q)
        result = self._attempt(
            f"acceptance of answer {q.accepted} (question {q.id})",
            "accepts",
            lambda: endorsements.answer_accept(answer=answer, by=asker, at=self._accepted_at()),
        )
        if result is not None:
            self._record(Kind.ACCEPT, q.id, answer)

    def _close(self, q: Post) -> None:
        when = q.closed.strftime("%-d %B %Y")
        # The account is made outside the savepoint below: a refusal must not undo it.
        by = self.ctx.import_account()
        result = self._attempt(
            f"closing of question {q.id}",
            "closings",
            lambda: moderation.thread_set_locked(
                thread=self.thread,
                by=by,
                locked=True,
                reason=f"Closed on {self.ctx.site} on {when}.",
            ),
        )
        if result is not None:
            self._record(Kind.CLOSE, q.id, self.thread, data={"closed_at": q.closed.isoformat()})


def _accepted_at(bundle: Bundle) -> datetime:
    q = bundle.question
    answer = next((a for a in bundle.answers if a.id == q.accepted), None)
    answered = answer.created if answer else q.created
    # Acceptance votes carry a day, not a time: never before the answer itself.
    return max(bundle.accepted_at or answered, answered)


def _question_data(ctx: SiteImport, bundle: Bundle) -> dict:
    """The question's record: where it came from, who asked, under which licence."""
    q = bundle.question
    licence, licence_url = licence_for(q.created)
    return {
        "url": ctx.question_url(q.id),
        "author": ctx.people.get(q.owner, (q.owner_name, None))[0]
        or q.owner_name
        or (f"user {q.owner}" if q.owner else ""),
        "licence": licence,
        "licence_url": licence_url,
        "links": [
            {"id": related, "kind": kind, "url": ctx.question_url(related)}
            for related, kind in bundle.links
        ],
    }


def _editor_name(ctx: SiteImport, row: HistoryRow) -> str:
    return (
        ctx.people.get(row.user, ("", None))[0]
        or row.user_name
        or (f"user {row.user}" if row.user is not None else "")
    )


def _done_records(ctx: SiteImport, bundle: Bundle) -> dict[tuple[str, str], object]:
    """What of *bundle* an earlier run imported: (kind, source id) → object (one query each)."""
    q = bundle.question
    keys = {
        Kind.QUESTION: [str(q.id)],
        Kind.ANSWER: [str(a.id) for a in bundle.answers],
        Kind.COMMENT: [str(c.id) for c in bundle.comments],
        Kind.REVISION: [str(h.id) for h in bundle.history],
        Kind.ACCEPT: [str(q.id)],
        Kind.CLOSE: [str(q.id)],
    }
    records = SourceRecord.objects.filter(
        community=ctx.community,
        source=Source.STACKEXCHANGE,
        site=ctx.site,
        kind__in=list(keys),
        source_id__in=sorted({k for ids in keys.values() for k in ids}),
    ).values_list("kind", "source_id", "target_id")
    found = {(kind, sid): tid for kind, sid, tid in records if sid in keys[kind]}
    if not found:
        return {}
    threads = Thread.objects.select_related("opening_post").in_bulk(
        [tid for (kind, _), tid in found.items() if kind == Kind.QUESTION]
    )
    posts = PracticePost.objects.in_bulk(
        [tid for (kind, _), tid in found.items() if kind == Kind.ANSWER]
    )
    done = {}
    for (kind, sid), tid in found.items():
        if kind == Kind.QUESTION:
            done[(kind, sid)] = threads.get(tid)
        elif kind == Kind.ANSWER:
            done[(kind, sid)] = posts.get(tid)
        else:
            done[(kind, sid)] = True
    return done


def question_import(*, ctx: SiteImport, bundle: Bundle) -> bool:
    """Import one question and all that belongs to it in one transaction; return whether it
    is (now or already) a thread here."""
    try:
        with (
            ctx.accounts.rolled_back_together(),
            transaction.atomic(),
            non_persons_held(ctx.accounts.nobodies),
        ):
            done = _done_records(ctx, bundle)
            if (Kind.QUESTION, str(bundle.question.id)) in done and _all_done(bundle, done):
                ctx.report.counts["questions already imported"] += 1
                return True
            # The search index and the expert scores follow the question once, when it is
            # written, rather than after each answer, comment, edit and acceptance: their
            # listeners recompute a whole thread each time, so the end state is the same.
            writer = _ThreadWriter(ctx, bundle, done)
            with change_listeners_held():
                written = writer.write()
            if writer.thread is not None:
                thread_changed(writer.thread.pk)
            return written
    except BaseException as exc:
        if isinstance(exc, (OperationalError, InterfaceError)) or not isinstance(exc, Exception):
            raise  # the database is gone, or an interrupt: the command stops, a re-run resumes
        ctx.report.skip(
            f"question {bundle.question.id}: not imported, with its answers and comments "
            f"({exc.__class__.__name__}: {exc}).",
            kind="questions",
        )
        return False


def _all_done(bundle: Bundle, done) -> bool:
    return all((Kind.ANSWER, str(a.id)) in done for a in bundle.answers) and all(
        (Kind.COMMENT, str(c.id)) in done for c in bundle.comments
    )


# --- many questions at once ---------------------------------------------------------------------


@dataclass
class _Planned:
    """A new question as ``practice.services.history`` writes it, with what to record and
    report once it is written. People are keys until they are made (``_resolve``)."""

    bundle: Bundle
    item: HistoryThread
    # (kind, source id, target: "thread" or an index in item.posts, score, data)
    records: list[tuple]
    people: dict[str, tuple[str, datetime]]
    notes: list[str] = field(default_factory=list)
    skips: list[tuple[str, str]] = field(default_factory=list)


def _history_question(ctx: SiteImport, bundle: Bundle) -> _Planned:
    """The question as ``_ThreadWriter`` writes a new one: the same steps in the same order
    (answers, edits, comments and acceptance by moment), closed last."""
    q = bundle.question
    prepared = _prepared(bundle)
    versions = prepared.versions
    people: dict[str, tuple[str, datetime]] = {}
    authors: dict[int, str] = {}

    def who(user_id, name, post_id, at) -> str:
        key, display, joined = ctx.identity(user_id=user_id, name=name, post_id=post_id, at=at)
        people.setdefault(key, (display, joined))
        return key

    def author_of(post: Post) -> str:
        if post.id not in authors:
            authors[post.id] = who(post.owner, post.owner_name, post.id, post.created)
        return authors[post.id]

    def import_account() -> str:
        people.setdefault(IMPORT_ACCOUNT, (ctx.import_account_name(), timezone.now()))
        return IMPORT_ACCOUNT

    version = versions[q.id]
    item = HistoryThread(
        kind=Thread.Kind.QUESTION,
        title=version.title,
        posts=[
            HistoryPost(
                author=author_of(q),
                body=version.body,
                at=q.created,
                html=prepared.html.get(("post", q.id), ""),
            )
        ],
        tags=version.tags[:5],
    )
    planned = _Planned(
        bundle, item, [(Kind.QUESTION, q.id, "thread", q.score, _question_data(ctx, bundle))],
        people,
    )  # fmt: skip
    if version.tags[5:]:
        planned.notes.append(
            f"question {q.id}: tags beyond five dropped: {', '.join(version.tags[5:])}."
        )
    index = {q.id: 0}
    last = q.created
    steps = [(answer.created, 0, "answer", answer) for answer in bundle.answers]
    for post in [q, *bundle.answers]:
        steps += [(edit[0].created, 1, "edit", (post, edit)) for edit in versions[post.id].edits]
    post_times = {p.id: p.created for p in [q, *bundle.answers]}
    for comment in bundle.comments:
        # Never before its post, whatever the clocks said.
        at = max(comment.created, post_times.get(comment.post, comment.created))
        steps.append((at, 2, "comment", comment))
    if q.accepted is not None:
        steps.append((_accepted_at(bundle), 3, "accept", None))
    steps.sort(key=lambda step: (step[0], step[1]))
    for at, _, what, obj in steps:
        if what == "answer":
            index[obj.id] = len(item.posts)
            item.posts.append(
                HistoryPost(
                    author=author_of(obj),
                    body=versions[obj.id].body,
                    at=obj.created,
                    is_answer=True,
                    html=prepared.html.get(("post", obj.id), ""),
                )
            )
            planned.records.append((Kind.ANSWER, obj.id, index[obj.id], obj.score, None))
            last = obj.created
        elif what == "edit":
            post, (row, title, body, tags) = obj
            if post.id not in index:
                continue  # its post was not written yet: the per-post path skips it too
            author = author_of(post)
            by = author if row.user is not None and row.user == post.owner else import_account()
            if index[post.id] != 0:
                title, tags = None, None
            if body is None and title is None and tags is None:
                continue
            item.edits.append(
                HistoryEdit(
                    post=index[post.id], by=by, at=row.created, body=body, title=title,
                    tags=tags[:5] if tags is not None else None,
                )
            )  # fmt: skip
            data = {"editor": _editor_name(ctx, row)}
            planned.records.append((Kind.REVISION, row.id, index[post.id], None, data))
        elif what == "comment":
            parent = index.get(obj.post)
            if parent is None:
                planned.skips.append(
                    (f"comment {obj.id}: its post {obj.post} was not imported.", "comments")
                )
                continue
            author = who(obj.user, obj.user_name, -obj.id, obj.created)
            item.posts.append(
                HistoryPost(
                    author=author,
                    body=prepared.comments[obj.id],
                    at=obj.created,
                    reply_to=parent,
                    html=prepared.html[("comment", obj.id)],
                )
            )
            planned.records.append((Kind.COMMENT, obj.id, len(item.posts) - 1, obj.score, None))
            last = obj.created
        else:
            answer = index.get(q.accepted)
            if answer is None:
                planned.skips.append(
                    (
                        f"question {q.id}: its accepted answer {q.accepted} is not in the dump "
                        "or was not imported; the question stays unsolved.",
                        "accepts",
                    )
                )
                continue
            author_of(q)
            item.accepted, item.accepted_at = answer, at
            planned.records.append((Kind.ACCEPT, q.id, answer, None, None))
            last = at
    item.last_activity_at = last
    if q.closed is not None:
        item.locked_by = import_account()
        item.lock_reason = f"Closed on {ctx.site} on {q.closed.strftime('%-d %B %Y')}."
        data = {"closed_at": q.closed.isoformat()}
        planned.records.append((Kind.CLOSE, q.id, "thread", None, data))
    return planned


def _resolve(item: HistoryThread, persons: dict[str, object]) -> None:
    """Put the accounts in place of the people's keys."""
    for post in item.posts:
        post.author = persons[post.author]
    for edit in item.edits:
        edit.by = persons[edit.by]
    if item.locked_by is not None:
        item.locked_by = persons[item.locked_by]


def questions_import_bulk(*, ctx: SiteImport, bundles: list[Bundle]) -> list[Bundle]:
    """Import the new questions of *bundles* in one transaction (``practice.services.history``)
    with their people made in bulk; return the questions the per-post path must write: those
    an earlier run recorded (it counts them, or finishes them) and those a check refused (it
    reports why)."""
    done = set(
        SourceRecord.objects.filter(
            community=ctx.community, source=Source.STACKEXCHANGE, site=ctx.site,
            kind=Kind.QUESTION, source_id__in=[str(b.question.id) for b in bundles],
        ).values_list("source_id", flat=True)
    )  # fmt: skip
    leftovers, planned = [], []
    for bundle in bundles:
        if str(bundle.question.id) in done:
            leftovers.append(bundle)
            continue
        plan = _history_question(ctx, bundle)
        try:
            history_check(community=ctx.community, item=plan.item, can_post={}, content_only=True)
        except (ValidationError, PermissionDenied):
            leftovers.append(bundle)
            continue
        planned.append(plan)
    if not planned:
        return leftovers
    kept = []
    try:
        with (
            ctx.accounts.rolled_back_together(),
            transaction.atomic(),
            non_persons_held(ctx.accounts.nobodies),
        ):
            wanted: dict[str, tuple[str, datetime]] = {}
            for plan in planned:
                for key, value in plan.people.items():
                    wanted.setdefault(key, value)
            ctx.persons_make(wanted)
            can_post: dict = {}
            for plan in planned:
                _resolve(plan.item, ctx.accounts.by_key)
                try:
                    history_check(community=ctx.community, item=plan.item, can_post=can_post)
                except (ValidationError, PermissionDenied):
                    leftovers.append(plan.bundle)
                    continue
                kept.append(plan)
            history_write(community=ctx.community, threads=[plan.item for plan in kept])
            tuples_insert(
                SourceRecord,
                _RECORD_COLUMNS,
                [record for plan in kept for record in _bulk_records(ctx, plan)],
            )
    except BaseException as exc:
        if isinstance(exc, (OperationalError, InterfaceError)) or not isinstance(exc, Exception):
            raise  # the database is gone, or an interrupt: the command stops, a re-run resumes
        # Something the checks did not foresee: every question goes the per-post way, which
        # reports what it refuses (and counts those already imported).
        return list(bundles)
    for plan in kept:
        for kind, *_ in plan.records:
            ctx.report.counts[f"{kind}s imported"] += 1
        for note in plan.notes:
            ctx.report.note(note)
        for line, kind in plan.skips:
            ctx.report.skip(line, kind=kind)
    return leftovers


_RECORD_COLUMNS = (
    "community_id", "source", "site", "kind", "source_id", "target_type_id", "target_id",
    "score", "data", "run_id", "created_at",
)  # fmt: skip


def _bulk_records(ctx: SiteImport, plan: _Planned) -> list[tuple]:
    """The source records of *plan*, as tuples of ``_RECORD_COLUMNS``."""
    thread_type = ContentType.objects.get_for_model(Thread).pk
    post_type = ContentType.objects.get_for_model(PracticePost).pk
    run_id = ctx.run.pk if ctx.run is not None else None
    now = timezone.now()
    rows = []
    for kind, source_id, target, score, data in plan.records:
        if target == "thread":
            target_type, target_id = thread_type, plan.item.thread.pk
        else:
            target_type, target_id = post_type, plan.item.posts[target].post.pk
        rows.append(
            (
                ctx.community.pk, Source.STACKEXCHANGE, ctx.site, kind, str(source_id),
                target_type, target_id, score, data or {}, run_id, now,
            )
        )  # fmt: skip
    return rows


# --- a whole dump ---------------------------------------------------------------------------------


@dataclass
class ImportOutcome:
    run: ImportRun | None
    report: ImportReport
    questions: int
    dry_run: bool


def _would_import(ctx: SiteImport, staged: StagedDump) -> None:
    """Count what a real run would add (for --dry-run): rows not yet recorded."""
    recorded = {
        kind: set(
            SourceRecord.objects.filter(
                community=ctx.community, source=Source.STACKEXCHANGE, site=ctx.site, kind=kind
            ).values_list("source_id", flat=True)
        )
        for kind in (Kind.QUESTION, Kind.ANSWER, Kind.COMMENT, Kind.PERSON)
    }
    people = set()
    counts = ctx.report.counts
    for bundle in staged.bundles():
        q = bundle.question
        if str(q.id) not in recorded[Kind.QUESTION]:
            counts["questions to import"] += 1
            counts["edits to import"] += len(_versions(q, bundle.history).edits)
        for answer in bundle.answers:
            if str(answer.id) not in recorded[Kind.ANSWER]:
                counts["answers to import"] += 1
                counts["edits to import"] += len(_versions(answer, bundle.history).edits)
        for comment in bundle.comments:
            if str(comment.id) not in recorded[Kind.COMMENT]:
                counts["comments to import"] += 1
        owners = [q.owner, *(a.owner for a in bundle.answers)]
        for uid in [*owners, *(c.user for c in bundle.comments)]:
            if uid is not None and str(uid) not in recorded[Kind.PERSON]:
                people.add(uid)
    counts["people to create (at least)"] = len(people)


def stackexchange_import(
    *,
    directory: str,
    community: Community,
    site: str,
    dry_run: bool = False,
    started_by=None,
    progress: Callable[[int], object] | None = None,
    on_total: Callable[[int], object] | None = None,
    run: ImportRun | None = None,
    bulk: bool = True,
) -> ImportOutcome:
    """Import the dump in *directory* into *community*: ``BULK_QUESTIONS`` new questions per
    transaction (``questions_import_bulk``), or one question per transaction through the
    per-post services when *bulk* is false or a question needs them.

    Raises ``DumpError`` (one readable sentence) when the dump cannot be imported at all.
    Nobody is notified or emailed (the history is past), nobody is rate-limited, the metrics
    are asked for once at the end; the search index follows each write through the services.
    """
    report = ImportReport()
    with tempfile.TemporaryDirectory(prefix="practica-import-") as tmp:
        staged = StagedDump(directory, os.path.join(tmp, "staging.sqlite3"), report)
        try:
            staged.read()
            staged.orphans()
            total = staged.question_count()
            if on_total is not None:
                on_total(total)
            ctx = SiteImport(
                community=community,
                site=site,
                report=report,
                people=staged.people(),
                first_seen=staged.first_seen(),
            )
            if dry_run:
                _would_import(ctx, staged)
                return ImportOutcome(run=None, report=report, questions=total, dry_run=True)
            ctx.run = run_start(
                run=run,
                community=community,
                source=Source.STACKEXCHANGE,
                site=site,
                path=directory,
                started_by=started_by,
            )
            counter = RunProgress(ctx.run, progress)
            counter.total(total)
            try:
                # closing(): the workers stop when the import does, however it stops.
                with history_side_effects_held(), closing(prepared_bundles(staged)) as bundles:
                    for batch in _batches(bundles, BULK_QUESTIONS if bulk else 1):
                        leftovers = batch
                        if bulk:
                            leftovers = questions_import_bulk(ctx=ctx, bundles=batch)
                            counter.step(len(batch) - len(leftovers))
                        for bundle in leftovers:
                            question_import(ctx=ctx, bundle=bundle)
                            counter.step()
                    counter.flush()
            except BaseException as exc:
                run_finish(ctx.run, report, status=ImportRun.Status.FAILED, error=repr(exc))
                raise
            run_finish(ctx.run, report, status=ImportRun.Status.DONE)
            # The log grew by the whole history: one run brings the dashboard up to date.
            metrics_request(community_id=community.pk)
            return ImportOutcome(run=ctx.run, report=report, questions=total, dry_run=False)
        finally:
            staged.close()


def _batches(bundles, size: int):
    batch = []
    for bundle in bundles:
        batch.append(bundle)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- a placeholder claimed by its person ------------------------------------------------------


def placeholder_map(
    *, community: Community, site: str, person: str, to_user, source: str = Source.STACKEXCHANGE
) -> int:
    """Hand the placeholder of *person* (their id on *site*) to *to_user*, a member's real
    account: their threads, posts and revisions become *to_user*'s, the interaction log of the
    community is rebuilt, and a later run of the same dump writes their new posts as *to_user*.
    Return the number of posts handed over."""
    if not to_user.is_active:
        raise ValidationError("Choose an active account: this one cannot sign in.")
    with transaction.atomic():
        record = (
            SourceRecord.objects.select_for_update()
            .filter(
                community=community,
                source=source,
                site=site,
                kind=Kind.PERSON,
                source_id=str(person),
            )
            .first()
        )
        if record is None:
            raise ValidationError(
                f"No one imported from {site} into this community has id {person}."
            )
        if "placeholder_id" in record.data:
            raise ValidationError("This person is already mapped to an account.")
        placeholder = User.objects.get(pk=record.target_id)
        membership = Membership.objects.filter(community=community, user=to_user).first()
        if membership is not None and membership.state != Membership.State.ACTIVE:
            raise ValidationError("That account is not an active member of this community.")
        if membership is None:
            joined = (
                Membership.objects.filter(community=community, user=placeholder)
                .values_list("joined_at", flat=True)
                .first()
            )
            community_services.membership_import(
                community=community, user=to_user, at=joined or timezone.now()
            )
        moved = authorship_transfer(community=community, from_user=placeholder, to_user=to_user)
        record.target_id = to_user.pk
        record.data = {
            **record.data,
            "placeholder_id": placeholder.pk,
            "mapped_at": timezone.now().isoformat(),
        }
        record.save(update_fields=["target_id", "data"])
        interactions_rebuild(communities=[community])
    return moved
