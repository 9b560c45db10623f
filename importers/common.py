"""What the importers share: placeholders, a run's start, progress and end, and the side
effects held while history is written."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.text import slugify

from communities import services as community_services
from communities.models import Community, Membership, MembershipEvent, Profile
from core.email import outbox_discarding
from importers.models import ImportRun, SourceRecord
from importers.report import ImportReport
from metrics.pipeline.schedule import metrics_requests_held
from notifications.services import notices_held
from practice.rate_limits import rate_limits_suspended

User = get_user_model()
# The report kept on the run for the admin (the --report file has all of it).
REPORT_KEPT = 200_000
# The run's progress is written every this many threads (or seconds): often enough for the
# admin page to move, rarely enough to cost nothing next to the threads themselves.
PROGRESS_EVERY = 25
PROGRESS_SECONDS = 2.0


@dataclass
class KnownPeople:
    """The accounts one run made or found for a source's people, by the source's key, held in
    memory: the import looks each person up per post and must not query for it.

    Some keys stand for no one (*is_nobody*: an author the source does not know); their
    accounts are in ``nobodies``, read by the interaction log while the import writes
    (``communities.interactions.non_persons_held``) so no interaction goes to or from them.
    """

    community: Community
    source: str
    site: str
    report: ImportReport
    is_nobody: Callable[[str], bool]
    by_key: dict[str, object] = field(default_factory=dict)
    nobodies: set[int] = field(default_factory=set)
    # Other maps keyed like ``by_key`` that lose a person's entry when the person is forgotten.
    kept_beside: tuple[dict, ...] = ()
    _loaded: bool = False

    def load(self) -> None:
        """Read the people earlier runs recorded, once per run."""
        if self._loaded:
            return
        self._loaded = True
        records = SourceRecord.objects.filter(
            community=self.community,
            source=self.source,
            site=self.site,
            kind=SourceRecord.Kind.PERSON,
        ).values_list("source_id", "target_id")
        users = User.objects.in_bulk([uid for _, uid in records])
        self._remember({key: users[uid] for key, uid in records if uid in users})

    def get(self, key: str):
        return self.by_key.get(key)

    def __contains__(self, key: str) -> bool:
        return key in self.by_key

    def made(self, persons: dict[str, object]) -> None:
        """Hold the accounts this run just made (in the caller's transaction) and count them."""
        self._remember(persons)
        self.report.counts["people created"] += len(persons)

    def _remember(self, persons: dict[str, object]) -> None:
        self.by_key.update(persons)
        self.nobodies.update(user.pk for key, user in persons.items() if self.is_nobody(key))

    @contextlib.contextmanager
    def rolled_back_together(self) -> Iterator[None]:
        """Forget the people made inside the block if it raises: wrapped around a transaction,
        the rollback took their accounts with it, and the next thread must not write posts by
        accounts that are not there. The people are read first, so the block's snapshot holds
        only committed ones."""
        self.load()
        known = set(self.by_key)
        try:
            yield
        except BaseException:
            self._forget(set(self.by_key) - known)
            raise

    def _forget(self, keys) -> None:
        for key in keys:
            user = self.by_key.pop(key)
            self.nobodies.discard(user.pk)
            for beside in self.kept_beside:
                beside.pop(key, None)
        self.report.counts["people created"] -= len(keys)


@contextlib.contextmanager
def history_side_effects_held():
    """Write past history: nobody notified or emailed, nobody rate-limited, no metrics run
    per write (the caller asks for one at the end)."""
    with outbox_discarding(), notices_held(), metrics_requests_held(), rate_limits_suspended():
        yield


def placeholder_create(
    *,
    community: Community,
    source: str,
    site: str,
    key: str,
    display: str,
    joined,
    username_base: str,
    run: ImportRun | None,
    role=None,
    data: dict | None = None,
    username_hint: str = "",
):
    """An inactive account with no password and no address standing for a person of the
    source, a member of *community* since *joined*, and its record (in the caller's
    transaction). The username is made of *username_hint* (else *key*)."""
    base = f"{username_base}-{slugify(username_hint or key)[:60] or 'person'}"[:140]
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    user = User(username=username, is_active=False)
    user.set_unusable_password()
    user.save()
    community_services.profile_update(
        profile=community_services.profile_for(user), display_name=display[:80]
    )
    community_services.membership_import(
        community=community, user=user, at=joined, role=role or Membership.Role.MEMBER
    )
    SourceRecord.objects.create(
        community=community,
        source=source,
        site=site,
        kind=SourceRecord.Kind.PERSON,
        source_id=key,
        target_type=ContentType.objects.get_for_model(User),
        target_id=user.pk,
        data={"name": display, **(data or {})},
        run=run,
    )
    return user


def placeholders_create(
    *,
    community: Community,
    source: str,
    site: str,
    people: list[tuple[str, str, object, str | None]],
    username_base: str,
    run: ImportRun | None,
    username_hints: list[str] | None = None,
) -> dict[str, object]:
    """What ``placeholder_create`` makes, for many people at once (key, display name, joined,
    role or None), with one INSERT per table: accounts, profiles, memberships with their
    "joined" event, and records. Return the accounts by key (in the caller's transaction).
    Usernames are made of *username_hints* (one per person, else the keys), as
    ``placeholder_create``'s of its *username_hint*."""
    if not people:
        return {}
    hints = username_hints or [key for key, _, _, _ in people]
    bases = [f"{username_base}-{slugify(hint)[:60] or 'person'}"[:140] for hint in hints]
    taken = set(User.objects.filter(username__in=bases).values_list("username", flat=True))
    users = []
    for base in bases:
        username, n = base, 1
        while username in taken or (n > 1 and User.objects.filter(username=username).exists()):
            n += 1
            username = f"{base}-{n}"
        taken.add(username)
        user = User(username=username, is_active=False)
        user.set_unusable_password()
        users.append(user)
    # No post_save here, so no profile from the signal: the profiles are written below.
    User.objects.bulk_create(users)
    if users[0].pk is None:  # SQLite before 3.35 returns no ids
        found = dict(
            User.objects.filter(username__in=[u.username for u in users]).values_list(
                "username", "pk"
            )
        )
        for user in users:
            user.pk = user.id = found[user.username]
    Profile.objects.bulk_create(
        [
            Profile(user=user, display_name=display[:80])
            for user, (_, display, _, _) in zip(users, people, strict=True)
        ]
    )
    memberships = [
        Membership(
            community=community,
            user=user,
            role=role or Membership.Role.MEMBER,
            state=Membership.State.ACTIVE,
            joined_at=joined,
            created_at=joined,
        )
        for user, (_, _, joined, role) in zip(users, people, strict=True)
    ]
    Membership.objects.bulk_create(memberships)
    # created_at is auto_now_add, which an INSERT sets to now: membership_import's moment.
    for membership, (_, _, joined, _) in zip(memberships, people, strict=True):
        membership.created_at = joined
    Membership.objects.bulk_update(memberships, ["created_at"], batch_size=500)
    MembershipEvent.objects.bulk_create(
        [
            MembershipEvent(
                membership=membership,
                community_id=community.pk,
                user_id=membership.user_id,
                kind=MembershipEvent.Kind.JOINED,
                from_state="",
                from_role=Membership.Role.MEMBER,
                to_state=Membership.State.ACTIVE,
                to_role=membership.role,
                occurred_at=membership.joined_at,
            )
            for membership in memberships
        ]
    )
    user_type = ContentType.objects.get_for_model(User)
    SourceRecord.objects.bulk_create(
        [
            SourceRecord(
                community=community,
                source=source,
                site=site,
                kind=SourceRecord.Kind.PERSON,
                source_id=key,
                target_type=user_type,
                target_id=user.pk,
                data={"name": display},
                run=run,
            )
            for user, (key, display, _, _) in zip(users, people, strict=True)
        ]
    )
    return {key: user for user, (key, _, _, _) in zip(users, people, strict=True)}


def run_start(*, run: ImportRun | None, community, source, site, path, started_by) -> ImportRun:
    """The run to write into: the one the admin queued (now running), or a new one."""
    if run is None:
        return ImportRun.objects.create(
            community=community, source=source, site=site, path=str(path)[:1000],
            started_by=started_by,
        )  # fmt: skip
    run.status = ImportRun.Status.RUNNING
    run.site = site
    run.started_at = timezone.now()
    run.save(update_fields=["status", "site", "started_at"])
    return run


def run_finish(run: ImportRun, report: ImportReport, *, status: str, error: str = "") -> None:
    run.status = status
    run.finished_at = timezone.now()
    run.counts = dict(sorted(report.counts.items()))
    run.report = report.text()[:REPORT_KEPT]
    run.error = error[:2000]
    run.progress_at = run.finished_at
    run.save(
        update_fields=[
            "status", "finished_at", "counts", "report", "error", "processed", "progress_at",
        ]
    )  # fmt: skip


class RunProgress:
    """Count what a run has done: the terminal's bar (*advance*), and the run's row for the
    admin every ``PROGRESS_EVERY`` threads or ``PROGRESS_SECONDS``."""

    def __init__(self, run: ImportRun | None, advance: Callable[[int], object] | None = None):
        self.run = run
        self.advance = advance
        self.saved_at = time.monotonic()
        self.unsaved = 0

    def total(self, total: int) -> None:
        if self.run is not None:
            self.run.total = total
            ImportRun.objects.filter(pk=self.run.pk).update(total=total)

    def step(self, n: int = 1) -> None:
        if self.advance is not None:
            self.advance(n)
        if self.run is None:
            return
        self.run.processed += n
        self.unsaved += n
        now = time.monotonic()
        if self.unsaved >= PROGRESS_EVERY or now - self.saved_at >= PROGRESS_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.run is not None and self.unsaved:
            ImportRun.objects.filter(pk=self.run.pk).update(
                processed=self.run.processed, progress_at=timezone.now()
            )
            self.unsaved = 0
            self.saved_at = time.monotonic()
