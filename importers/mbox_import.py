"""Write a mailing-list archive through the practice services (the mbox importer's service).

As for Stack Exchange (``importers.services``), content is made only by the services a member's
request calls, each given the message's moment (``at=``): the first message of a thread opens
a discussion thread, every other message is a reply to the post of the message it answers
(``post_create(reply_to=...)``, the same relation as a member's "Reply" to a post). When the
shown text (quoted tail, signature and list footer trimmed) differs from the whole message,
the post is made with the whole message and edited at the same moment by its author to the
shown text: the original stays as the post's first revision, in its history.

One thread is one transaction with its records (``SourceRecord``: the Message-ID of each
message, the thread by its first message's), so a crash never leaves half a thread, a second
run adds nothing and an interrupted one resumes; a thread that grew in a later archive gets
its new replies.

People are deduplicated by address (lower case): a placeholder per address, shown by the name
they wrote under; the record keeps a digest of the address (``address_key``), never the
address, and a person claims theirs by verifying that address (``placeholders_claim``).
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify

from communities.changes import change_listeners_held
from communities.interactions import non_persons_held
from communities.models import Community
from core.copy_rows import copy_text
from importers import jwz
from importers.common import (
    KnownPeople,
    RunProgress,
    history_side_effects_held,
    placeholder_create,
    placeholders_create,
    run_finish,
    run_start,
)
from importers.mbox_archive import Mail, StagedArchive
from importers.models import ImportRun, Source, SourceRecord
from importers.report import ImportReport
from importers.selectors import MBOX_NOBODY_KEY
from importers.services import placeholder_map
from metrics.pipeline.schedule import metrics_request
from practice.changes import thread_changed
from practice.models import Post, Thread
from practice.services import threads as thread_services
from practice.services.history import HistoryPost, HistoryThread, history_check, history_write

User = get_user_model()
Kind = SourceRecord.Kind
# Threads written per transaction by the bulk path: about a thousand messages, so each INSERT
# carries a few hundred kilobytes and a crash undoes at most that much, which a re-run redoes.
BULK_THREADS = 200


def address_key(address: str) -> str:
    """The record's key for a person with *address*: a digest, so no address is stored."""
    digest = hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()[:40]
    return f"addr:{digest}"


@dataclass
class ListImport:
    """What one run knows: where it writes, who is who, and what it reports."""

    community: Community
    site: str
    report: ImportReport
    run: ImportRun | None = None
    # Addresses of the people this run made, only in memory: matched with verified addresses
    # at the end (a member who verified theirs before the import gets their posts at once).
    addresses: dict[str, str] = field(default_factory=dict)
    # The account of ``MBOX_NOBODY_KEY`` once known stands for no one (``accounts.nobodies``).
    accounts: KnownPeople = field(init=False)

    def __post_init__(self):
        self.accounts = KnownPeople(
            community=self.community,
            source=Source.MBOX,
            site=self.site,
            report=self.report,
            is_nobody=lambda key: key == MBOX_NOBODY_KEY,
            kept_beside=(self.addresses,),
        )

    @staticmethod
    def key(mail: Mail) -> str:
        if mail.address:
            return address_key(mail.address)
        if mail.name:
            return f"name:{mail.name.lower()[:80]}"
        return MBOX_NOBODY_KEY

    def persons_make(self, mails: list[Mail]) -> None:
        """Make the placeholders of *mails*' authors not made yet, in bulk (in the caller's
        transaction): each as ``person`` would at its first message in *mails*."""
        self.accounts.load()
        wanted: dict[str, Mail] = {}
        for mail in mails:
            key = self.key(mail)
            if key not in self.accounts and key not in wanted:
                wanted[key] = mail
        made = placeholders_create(
            community=self.community,
            source=Source.MBOX,
            site=self.site,
            people=[
                (key, mail.name or f"someone on {self.site}", mail.moment(), None)
                for key, mail in wanted.items()
            ],
            username_base=(slugify(self.site.split("@")[0]) or "list")[:40],
            run=self.run,
            username_hints=[mail.name or "someone" for mail in wanted.values()],
        )
        self.accounts.made(made)
        for key, mail in wanted.items():
            if mail.address:
                self.addresses[key] = mail.address

    def person(self, mail: Mail):
        """The account of *mail*'s author, its placeholder made on first use (in the caller's
        transaction)."""
        self.accounts.load()
        key = self.key(mail)
        user = self.accounts.get(key)
        if user is None:
            user = placeholder_create(
                community=self.community,
                source=Source.MBOX,
                site=self.site,
                key=key,
                display=mail.name or f"someone on {self.site}",
                joined=mail.moment(),
                username_base=(slugify(self.site.split("@")[0]) or "list")[:40],
                run=self.run,
                # Not the key: a digest of an address in a public username could be checked
                # against a guessed address.
                username_hint=mail.name or "someone",
            )
            self.accounts.made({key: user})
            if mail.address:
                self.addresses[key] = mail.address
        return user


def _attempt(ctx: ListImport, what: str, action):
    """One service call in a savepoint; a refusal is a report line, not a crash."""
    try:
        with transaction.atomic():
            return action()
    except (ValidationError, PermissionDenied) as exc:
        message = "; ".join(getattr(exc, "messages", None) or [str(exc)])
        ctx.report.skip(f"{what}: not imported ({message})", kind="messages")
        return None


class _ThreadWriter:
    def __init__(self, ctx: ListImport, pairs, mails: dict[int, Mail]):
        self.ctx = ctx
        self.pairs = pairs
        self.mails = mails
        self.records: list[SourceRecord] = []
        self.posts: dict[int, Post] = {}
        self.moments: dict[int, object] = {}

    def _record(self, kind, source_id, target, data=None):
        self.records.append(
            SourceRecord(
                community=self.ctx.community,
                source=Source.MBOX,
                site=self.ctx.site,
                kind=kind,
                source_id=source_id,
                target_type=ContentType.objects.get_for_model(target),
                target_id=target.pk,
                data=data or {},
                run=self.ctx.run,
            )
        )

    def _trim(self, post: Post, mail: Mail, author) -> None:
        """Keep the whole message as the first revision; show the trimmed text."""
        if mail.body == mail.original:
            return
        _attempt(
            self.ctx,
            f"message {mail.number} ({mail.source_id}): trimming its quotes",
            lambda: thread_services.post_edit(
                post=post, by=author, body=mail.body, at=self.moments[post.pk]
            ),
        )

    def write(self, done: dict[str, int], thread_id: int | None) -> int | None:
        """Write the thread's messages not yet recorded; return the thread's id (None when its
        first message was refused)."""
        ctx = self.ctx
        root_seq = self.pairs[0][0]
        root = self.mails[root_seq]
        if done:
            existing = Post.objects.in_bulk(list(done.values()))
            for seq, mail in self.mails.items():
                post = existing.get(done.get(mail.source_id))
                if post is not None:
                    self.posts[seq] = post
                    self.moments[post.pk] = post.created_at
        if thread_id is None:
            author = ctx.person(root)
            thread = _attempt(
                ctx,
                f"message {root.number} ({root.source_id}), a thread's first",
                lambda: thread_services.thread_create(
                    community=ctx.community,
                    author=author,
                    kind=Thread.Kind.DISCUSSION,
                    title=root.subject,
                    body=root.original,
                    at=root.moment(),
                ),
            )
            if thread is None:
                if len(self.pairs) > 1:
                    ctx.report.skip(
                        f"message {root.number} ({root.source_id}): its {len(self.pairs) - 1} "
                        "replies were not imported with it.",
                        kind="messages with their thread",
                    )
                return None
            opening = thread.opening_post
            self.posts[root_seq] = opening
            self.moments[opening.pk] = opening.created_at
            self._trim(opening, root, author)
            self._record(Kind.THREAD, root.source_id, thread, {"subject": root.subject})
            self._record(Kind.MESSAGE, root.source_id, opening)
            ctx.report.counts["threads imported"] += 1
            ctx.report.counts["messages imported"] += 1
        else:
            thread = Thread.objects.get(pk=thread_id)
            if root_seq not in self.posts:
                self.posts[root_seq] = thread.opening_post
                self.moments[thread.opening_post.pk] = thread.opening_post.created_at
        for seq, parent_seq in self.pairs[1:]:
            mail = self.mails[seq]
            if seq in self.posts:
                continue
            parent = self.posts.get(parent_seq) or self.posts[root_seq]
            # Never before the message it answers, whatever the sender's clock said.
            at = max(mail.moment(), self.moments[parent.pk])
            author = ctx.person(mail)
            post = _attempt(
                ctx,
                f"message {mail.number} ({mail.source_id})",
                lambda m=mail, a=author, p=parent, t=at: thread_services.post_create(
                    thread=thread, author=a, body=m.original, reply_to=p, at=t
                ),
            )
            if post is None:
                continue
            self.posts[seq] = post
            self.moments[post.pk] = at
            self._trim(post, mail, author)
            self._record(Kind.MESSAGE, mail.source_id, post)
            ctx.report.counts["messages imported"] += 1
        SourceRecord.objects.bulk_create(self.records)
        return thread.pk


def thread_import(*, ctx: ListImport, pairs, mails: dict[int, Mail]) -> None:
    """Import one thread (its messages not yet recorded) in one transaction."""
    root = mails[pairs[0][0]]
    try:
        with ctx.accounts.rolled_back_together(), transaction.atomic():
            records = SourceRecord.objects.filter(
                community=ctx.community,
                source=Source.MBOX,
                site=ctx.site,
                kind=Kind.MESSAGE,
                source_id__in=[m.source_id for m in mails.values()],
            ).values_list("source_id", "target_id")
            done = dict(records)
            if len(done) == len(mails):
                ctx.report.counts["threads already imported"] += 1
                return
            thread_id = None
            if root.source_id in done:
                thread_id = (
                    Post.objects.filter(pk=done[root.source_id])
                    .values_list("thread_id", flat=True)
                    .first()
                )
            # The search index and the expert scores follow the thread once, when it is
            # written, rather than after each of its writes (two per trimmed message): the
            # listeners recompute a whole thread each time, so the end state is the same.
            with change_listeners_held():
                thread_id = _ThreadWriter(ctx, pairs, mails).write(done, thread_id)
            if thread_id is not None:
                thread_changed(thread_id)
    except BaseException as exc:
        if isinstance(exc, (OperationalError, InterfaceError)) or not isinstance(exc, Exception):
            raise  # the database is gone, or an interrupt: the command stops, a re-run resumes
        ctx.report.skip(
            f"message {root.number} ({root.source_id}): its thread of {len(pairs)} messages was "
            f"not imported ({exc.__class__.__name__}: {exc}).",
            kind="threads",
        )


def _history_thread(ctx: ListImport, pairs, mails: dict[int, Mail]) -> HistoryThread:
    """The thread as the per-post path would write it: each message replies to the message it
    answers when that one was written before it (else to the first), never before it."""
    index: dict[int, int] = {}
    posts: list[HistoryPost] = []
    for seq, parent_seq in pairs:
        mail = mails[seq]
        author = ctx.person(mail)
        if not posts:
            post = HistoryPost(author=author, body=mail.body, at=mail.moment(), html=mail.html)
        else:
            parent = index.get(parent_seq, 0)
            post = HistoryPost(
                author=author,
                body=mail.body,
                at=max(mail.moment(), posts[parent].at),
                reply_to=parent,
                html=mail.html,
            )
        if mail.original != mail.body:
            post.original = mail.original
        index[seq] = len(posts)
        posts.append(post)
    root = mails[pairs[0][0]]
    return HistoryThread(kind=Thread.Kind.DISCUSSION, title=root.subject, posts=posts)


def _records(ctx: ListImport, pairs, mails, item: HistoryThread, types) -> list[tuple]:
    """The thread's records as (kind, source id, content type id, target id, data)."""
    thread_type, post_type = types
    root = mails[pairs[0][0]]
    rows = [(Kind.THREAD, root.source_id, thread_type, item.thread.pk, {"subject": root.subject})]
    for (seq, _), post in zip(pairs, item.posts, strict=True):
        rows.append((Kind.MESSAGE, mails[seq].source_id, post_type, post.post.pk, {}))
    return rows


# The columns a record's COPY writes, in this order (``_records_write``).
_RECORD_COLUMNS = (
    "community_id", "source", "site", "kind", "source_id", "target_type_id", "target_id",
    "data", "run_id", "created_at",
)  # fmt: skip


def _records_write(ctx: ListImport, rows: list[tuple]) -> None:
    """Write the records of *rows* (``_records``'): one COPY on PostgreSQL (twelve thousand
    rows composed as INSERTs by the ORM cost about as much as the posts they point at), else
    ``bulk_create``."""
    if connection.vendor != "postgresql":
        SourceRecord.objects.bulk_create(
            [
                SourceRecord(
                    community=ctx.community,
                    source=Source.MBOX,
                    site=ctx.site,
                    kind=kind,
                    source_id=source_id,
                    target_type_id=type_id,
                    target_id=target_id,
                    data=data,
                    run=ctx.run,
                )  # fmt: skip
                for kind, source_id, type_id, target_id, data in rows
            ],
            batch_size=1000,
        )
        return
    run = str(ctx.run.pk) if ctx.run else "\\N"
    head = f"{ctx.community.pk}\t{Source.MBOX}\t{copy_text(ctx.site)}\t"
    tail = f"\t{run}\t{timezone.now().isoformat()}\n"
    lines = "".join(
        f"{head}{kind}\t{copy_text(source_id)}\t{type_id}\t{target_id}\t{copy_text(data)}{tail}"
        for kind, source_id, type_id, target_id, data in rows
    )
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {SourceRecord._meta.db_table} ({', '.join(_RECORD_COLUMNS)}) FROM STDIN",
            io.StringIO(lines),
        )


def threads_import_bulk(*, ctx: ListImport, batch: list[tuple[list, dict[int, Mail]]]) -> list:
    """Import the new threads of *batch* in one transaction (``practice.services.history``);
    return the threads the per-post path must write: partly imported by an earlier run, or
    refused by a check (the per-post path reports them as it always has)."""
    source_ids = [m.source_id for _, mails in batch for m in mails.values()]
    done = set()
    for start in range(0, len(source_ids), 500):
        done |= set(
            SourceRecord.objects.filter(
                community=ctx.community, source=Source.MBOX, site=ctx.site, kind=Kind.MESSAGE,
                source_id__in=source_ids[start : start + 500],
            ).values_list("source_id", flat=True)
        )  # fmt: skip
    leftovers, fresh = [], []
    for thread in batch:
        mails = thread[1]
        written = sum(1 for m in mails.values() if m.source_id in done)
        if written == len(mails):
            ctx.report.counts["threads already imported"] += 1
        elif written:
            leftovers.append(thread)
        else:
            fresh.append(thread)
    if not fresh:
        return leftovers
    partial = list(leftovers)
    try:
        with ctx.accounts.rolled_back_together(), transaction.atomic():
            # The batch's new people in one go, in the order their first messages come.
            ctx.persons_make([mails[seq] for pairs, mails in fresh for seq, _ in pairs])
            can_post: dict[int, bool] = {}
            items, kept = [], []
            for pairs, mails in fresh:
                item = _history_thread(ctx, pairs, mails)
                try:
                    history_check(community=ctx.community, item=item, can_post=can_post)
                except (ValidationError, PermissionDenied):
                    leftovers.append((pairs, mails))
                    continue
                items.append(item)
                kept.append((pairs, mails))
            history_write(community=ctx.community, threads=items, checked=True)
            types = (
                ContentType.objects.get_for_model(Thread).pk,
                ContentType.objects.get_for_model(Post).pk,
            )
            records = []
            for (pairs, mails), item in zip(kept, items, strict=True):
                records += _records(ctx, pairs, mails, item, types)
            _records_write(ctx, records)
    except BaseException as exc:
        if isinstance(exc, (OperationalError, InterfaceError)) or not isinstance(exc, Exception):
            raise  # the database is gone, or an interrupt: the command stops, a re-run resumes
        # Something the checks did not foresee: each new thread goes the per-post way, which
        # reports what it refuses (those already imported are counted above).
        again = {id(thread) for thread in partial + fresh}
        return [thread for thread in batch if id(thread) in again]
    ctx.report.counts["threads imported"] += len(items)
    ctx.report.counts["messages imported"] += sum(len(item.posts) for item in items)
    return leftovers


@dataclass
class MboxOutcome:
    run: ImportRun | None
    report: ImportReport
    messages: int
    threads: int
    dry_run: bool


def _threads(staged: StagedArchive, report: ImportReport) -> jwz.Threads:
    threads = jwz.thread(staged.index())
    numbers = dict(staged.db.execute("SELECT seq, source_id FROM mail"))
    for seq in threads.loops:
        report.note(
            f"message {seq} ({numbers.get(seq)}): its References make a loop; the looping "
            "link was dropped."
        )
    for seq in threads.missing_parent:
        report.note(
            f"message {seq} ({numbers.get(seq)}): answers a message not in the archive; "
            "threaded with the other replies to it."
        )
    for seq in threads.by_subject:
        report.note(
            f"message {seq} ({numbers.get(seq)}): no usable References; threaded by its subject."
        )
    return threads


def _would_import(ctx: ListImport, staged: StagedArchive, threads: jwz.Threads) -> None:
    recorded = set(
        SourceRecord.objects.filter(
            community=ctx.community, source=Source.MBOX, site=ctx.site, kind=Kind.MESSAGE
        ).values_list("source_id", flat=True)
    )
    people_known = set(
        SourceRecord.objects.filter(
            community=ctx.community, source=Source.MBOX, site=ctx.site, kind=Kind.PERSON
        ).values_list("source_id", flat=True)
    )
    people = set()
    counts = ctx.report.counts
    for pairs in threads.threads:
        mails = staged.mails([s for s, _ in pairs])
        root = mails[pairs[0][0]]
        if root.source_id not in recorded:
            counts["threads to import"] += 1
        for mail in mails.values():
            if mail.source_id not in recorded:
                counts["messages to import"] += 1
                key = address_key(mail.address) if mail.address else f"name:{mail.name.lower()}"
                if key not in people_known:
                    people.add(key)
    counts["people to create"] = len(people)


def placeholders_claim(*, user, email: str) -> int:
    """Hand every mailing-list placeholder of *email* to *user*, who verified that address:
    their threads and posts become *user*'s in each community. Return the posts moved."""
    if not user.is_active or not email:
        return 0
    records = SourceRecord.objects.filter(
        source=Source.MBOX, kind=Kind.PERSON, source_id=address_key(email)
    ).select_related("community")
    moved = 0
    for record in records:
        if "placeholder_id" in record.data or record.target_id == user.pk:
            continue
        try:
            moved += placeholder_map(
                community=record.community,
                site=record.site,
                person=record.source_id,
                to_user=user,
                source=Source.MBOX,
            )
        except ValidationError:
            continue  # not an active member there, or already handed over: left as it is
    return moved


def _claim_verified(ctx: ListImport) -> None:
    """People of this run whose address a member has verified: theirs at once."""
    addresses = sorted(set(ctx.addresses.values()))
    for start in range(0, len(addresses), 500):
        chunk = addresses[start : start + 500]
        verified = (
            EmailAddress.objects.annotate(lower=Lower("email"))
            .filter(verified=True, lower__in=chunk, user__is_active=True)
            .select_related("user")
        )
        for email_address in verified:
            moved = placeholders_claim(user=email_address.user, email=email_address.email)
            if moved:
                ctx.report.counts["people claimed by a verified address"] += 1


def mbox_import(
    *,
    path: str,
    community: Community,
    site: str,
    list_address: str = "",
    dry_run: bool = False,
    started_by=None,
    progress: Callable[[int], object] | None = None,
    on_total: Callable[[int], object] | None = None,
    run: ImportRun | None = None,
    bulk: bool = True,
) -> MboxOutcome:
    """Import the mbox at *path* into *community*: ``BULK_THREADS`` new threads per
    transaction (``threads_import_bulk``), or one thread per transaction through the per-post
    services when *bulk* is false or a thread needs them.

    Raises ``MboxError`` (one readable sentence) when the archive cannot be imported at all.
    Nobody is notified or emailed, nobody is rate-limited, one metrics run is asked for at the
    end; the interaction log and the search index follow each post through the services.
    """
    report = ImportReport()
    with tempfile.TemporaryDirectory(prefix="practica-mbox-") as tmp:
        staged = StagedArchive(path, os.path.join(tmp, "staging.sqlite3"), report, list_address)
        try:
            staged.read()
            threads = _threads(staged, report)
            total = len(threads.threads)
            report.counts["messages read"] = staged.count
            if on_total is not None:
                on_total(total)
            ctx = ListImport(community=community, site=site, report=report)
            if dry_run:
                _would_import(ctx, staged, threads)
                staged.report_reading()
                return MboxOutcome(None, report, staged.count, total, dry_run=True)
            ctx.run = run_start(
                run=run,
                community=community,
                source=Source.MBOX,
                site=site,
                path=path,
                started_by=started_by,
            )
            counter = RunProgress(ctx.run, progress)
            counter.total(total)
            try:
                with history_side_effects_held(), non_persons_held(ctx.accounts.nobodies):
                    size = BULK_THREADS if bulk else 1
                    for start in range(0, total, size):
                        chunk = threads.threads[start : start + size]
                        mails = staged.mails([s for pairs in chunk for s, _ in pairs])
                        batch = [(pairs, {s: mails[s] for s, _ in pairs}) for pairs in chunk]
                        if bulk:
                            leftovers = threads_import_bulk(ctx=ctx, batch=batch)
                            counter.step(len(batch) - len(leftovers))
                        else:
                            leftovers = batch
                        for pairs, thread_mails in leftovers:
                            thread_import(ctx=ctx, pairs=pairs, mails=thread_mails)
                            counter.step()
                    counter.flush()
                _claim_verified(ctx)
            except BaseException as exc:
                staged.report_reading()
                run_finish(ctx.run, report, status=ImportRun.Status.FAILED, error=repr(exc))
                raise
            staged.report_reading()
            run_finish(ctx.run, report, status=ImportRun.Status.DONE)
            metrics_request(community_id=community.pk)
            return MboxOutcome(ctx.run, report, staged.count, total, dry_run=False)
        finally:
            staged.close()
