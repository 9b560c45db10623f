"""Write and rebuild the interaction log.

Content services call ``interaction_record`` (or ``interactions_record_group``) inside their own
transaction. Each content app also registers a *source*: a function that regenerates, from the
content alone, every interaction the services would have written. ``interactions_rebuild``
replays the sources, so the log can never drift from the content.

Apps above (metrics) hear about the log through two listener registries, filled from their
``AppConfig.ready()``: ``register_interactions_written_listener`` (after commit, once per
transaction, with the communities whose log grew) and ``register_log_changed_listener`` (inside
the transaction that removes or moves interactions).
"""

from collections.abc import Callable, Container, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction

from communities.models import Community, Interaction
from communities.retention import log_rows_archive
from core.after_commit import on_commit_safely
from core.copy_rows import copied_to_batch_table, copy_text


@dataclass(frozen=True)
class InteractionSpec:
    community_id: int
    actor_id: int
    target_id: int
    kind: str
    occurred_at: datetime
    source_type_id: int
    source_id: int
    group_size: int = 2

    def to_model(self) -> Interaction:
        return Interaction(
            community_id=self.community_id,
            actor_id=self.actor_id,
            target_id=self.target_id,
            kind=self.kind,
            occurred_at=self.occurred_at,
            source_type_id=self.source_type_id,
            source_id=self.source_id,
            group_size=self.group_size,
        )


# A source takes community ids (None: all) and yields the interactions its content implies.
InteractionSource = Callable[[list[int] | None], Iterable[InteractionSpec]]
_sources: dict[str, InteractionSource] = {}

# Rows per INSERT when rebuilding: large enough to be fast, small enough for SQLite's
# limit on bound variables (9 columns x 500 rows < 32766).
REBUILD_BATCH_SIZE = 500


def register_interaction_source(name: str, source: InteractionSource) -> None:
    _sources[name] = source


def unregister_interaction_source(name: str) -> None:
    _sources.pop(name, None)


def spec_for(*, community_id, actor_id, target_id, kind, occurred_at, source, group_size=2):
    return InteractionSpec(
        community_id=community_id,
        actor_id=actor_id,
        target_id=target_id,
        kind=kind,
        occurred_at=occurred_at,
        source_type_id=ContentType.objects.get_for_model(source).pk,
        source_id=source.pk,
        group_size=group_size,
    )


def group_specs(*, community_id, member_ids, kind, occurred_at, source) -> list[InteractionSpec]:
    """Specs for a symmetric interaction among a group: both directions of every pair."""
    members = sorted(set(member_ids))
    size = len(members)
    specs = []
    for a, b in combinations(members, 2):
        for actor, target in ((a, b), (b, a)):
            specs.append(
                spec_for(
                    community_id=community_id,
                    actor_id=actor,
                    target_id=target,
                    kind=kind,
                    occurred_at=occurred_at,
                    source=source,
                    group_size=size,
                )
            )
    return specs


# Accounts that stand for no one (an importer's placeholder for a post without an author, a
# site's bot): the log leaves out every interaction to or from them. A higher app registers a
# source of their ids (read once per rebuild) and holds the ids it knows while it writes, so no
# write asks the database.
NonPersonSource = Callable[[list[int] | None], Iterable[int]]
_non_person_sources: dict[str, NonPersonSource] = {}
_non_persons_held: ContextVar[tuple[Container[int], ...]] = ContextVar(
    "practica_non_persons_held", default=()
)


def register_non_person_source(name: str, source: NonPersonSource) -> None:
    """*source* takes community ids (None: all) and yields the ids of accounts there that stand
    for no one; ``interactions_rebuild`` leaves out their interactions."""
    _non_person_sources[name] = source


@contextmanager
def non_persons_held(user_ids: Container[int]) -> Iterator[None]:
    """Write no interaction to or from *user_ids* inside the block (a live container: ids
    added to it later count too)."""
    token = _non_persons_held.set((*_non_persons_held.get(), user_ids))
    try:
        yield
    finally:
        _non_persons_held.reset(token)


def _between_people(spec: InteractionSpec, held: tuple[Container[int], ...]) -> bool:
    return spec.actor_id != spec.target_id and not any(
        spec.actor_id in ids or spec.target_id in ids for ids in held
    )


def interactions_write(specs: Iterable[InteractionSpec]) -> int:
    """Write *specs*, skipping self-interactions, ones with an account held as no one
    (``non_persons_held``) and ones already logged; return the count offered. Call inside the
    transaction that writes the content."""
    held = _non_persons_held.get()
    kept = [s for s in specs if _between_people(s, held)]
    if connection.vendor == "postgresql" and len(kept) >= COPY_MIN_ROWS:
        _write_by_copy(kept)
    else:
        Interaction.objects.bulk_create(
            [s.to_model() for s in kept], ignore_conflicts=True, batch_size=REBUILD_BATCH_SIZE
        )
    _written_on_commit({s.community_id for s in kept})
    return len(kept)


# From how many rows a write on PostgreSQL goes by COPY (``_write_by_copy``): an import's batch
# (thousands of rows) spent more CPU making Interaction instances and composing their INSERT
# than the database spent writing them; a single interaction keeps the plain INSERT.
COPY_MIN_ROWS = 50
_COPY_COLUMNS = (
    "community_id", "actor_id", "target_id", "kind", "occurred_at", "source_type_id",
    "source_id", "group_size",
)  # fmt: skip
_BATCH_TABLE = "interaction_batch"


def _write_by_copy(specs: list[InteractionSpec]) -> None:
    """``interactions_write``'s rows on PostgreSQL: the specs by COPY into a temporary table,
    then one INSERT … SELECT … ON CONFLICT DO NOTHING (ones already logged are skipped, as by
    ``bulk_create(ignore_conflicts=True)``), in the specs' order."""
    lines = "".join(
        f"{n}\t" + "\t".join(copy_text(getattr(spec, name)) for name in _COPY_COLUMNS) + "\n"
        for n, spec in enumerate(specs)
    )
    columns = ", ".join(_COPY_COLUMNS)
    table = Interaction._meta.db_table
    definition = (
        "n integer, community_id bigint, actor_id integer, target_id integer, "
        "kind varchar(20), occurred_at timestamptz, source_type_id integer, source_id bigint, "
        "group_size integer"
    )
    with copied_to_batch_table(_BATCH_TABLE, definition, f"n, {columns}", lines) as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {_BATCH_TABLE} "  # noqa: S608 (names from the model)
            "ORDER BY n ON CONFLICT DO NOTHING"
        )


def interaction_record(
    *, community, actor, target, kind, occurred_at, source, group_size=2
) -> None:
    """Log one directed interaction caused by *source*."""
    interactions_write(
        [
            spec_for(
                community_id=community.pk,
                actor_id=actor.pk,
                target_id=target.pk,
                kind=kind,
                occurred_at=occurred_at,
                source=source,
                group_size=group_size,
            )
        ]
    )


def interactions_retract(*, source, kind: str | None = None, actor=None) -> int:
    """Remove what *source* logged (e.g. a vote taken back); return how many rows went."""
    qs = Interaction.objects.filter(
        source_type=ContentType.objects.get_for_model(source), source_id=source.pk
    )
    if kind is not None:
        qs = qs.filter(kind=kind)
    if actor is not None:
        qs = qs.filter(actor=actor)
    interactions_log_changed(qs.values("community_id"))
    deleted, _ = qs.delete()
    return deleted


def interactions_rebuild(*, communities: list[Community] | None = None) -> int:
    """Regenerate the log from the content, atomically; return the number of rows it now holds."""
    community_ids = [c.pk for c in communities] if communities is not None else None
    logged = Interaction.objects.all()
    if community_ids is not None:
        logged = logged.filter(community_id__in=community_ids)
    non_persons = {
        user_id for source in _non_person_sources.values() for user_id in source(community_ids)
    }
    with transaction.atomic(), non_persons_held(non_persons):
        interactions_log_changed(community_ids)
        logged.delete()
        for source in _sources.values():
            interactions_write(source(community_ids))
        # What the retention rule pruned stays pruned (communities.retention).
        log_rows_archive()
    return logged.count()


def interactions_prune(*, now=None) -> int:
    """Apply the retention rule to the log (communities.retention); return how many rows went.
    The metrics hear of it as of any removal: their next run rebuilds the tie table."""
    with transaction.atomic():
        deleted, community_ids = log_rows_archive(now=now)
        if community_ids:
            interactions_log_changed(sorted(community_ids))
    return deleted


# Listeners of the log. New interactions tell the "written" listeners once the transaction
# commits: one call per transaction with every community it touched, so a burst of posts makes
# one call (metrics turns it into one cheap upsert per community). Removed or moved interactions
# tell the "changed" listeners inside the transaction that removes or moves them (metrics marks
# its tie table for a rebuild from the whole log, one UPDATE).
# Both are called with the keyword argument community_ids.
InteractionsWrittenListener = Callable[..., None]
LogChangedListener = Callable[..., None]
_written_listeners: dict[str, InteractionsWrittenListener] = {}
_log_changed_listeners: list[LogChangedListener] = []


def register_interactions_written_listener(name: str, listener: InteractionsWrittenListener):
    """Call *listener* after commit with the communities whose log grew; *name* is logged if it
    fails."""
    _written_listeners[name] = listener


def register_log_changed_listener(listener: LogChangedListener) -> None:
    if listener not in _log_changed_listeners:
        _log_changed_listeners.append(listener)


class _InteractionsWritten:
    """The on-commit callback of one transaction, collecting the communities it touched."""

    def __init__(self):
        self.community_ids: set[int] = set()

    def __call__(self):
        for listener in _written_listeners.values():
            listener(community_ids=self.community_ids)


def _written_on_commit(community_ids: set[int]) -> None:
    if not community_ids or not _written_listeners:
        return
    connection = transaction.get_connection()
    pending = getattr(connection, "_practica_interactions_written", None)
    # Reuse this transaction's callback while it is still registered (a rollback discards it).
    registered = connection.in_atomic_block and any(
        getattr(entry[1], "__wrapped__", None) is pending
        for entry in getattr(connection, "run_on_commit", ())
    )
    if pending is None or not registered:
        pending = _InteractionsWritten()
        connection._practica_interactions_written = pending
        pending.community_ids.update(community_ids)
        on_commit_safely(pending, name=", ".join(_written_listeners) or "interactions written")
    else:
        pending.community_ids.update(community_ids)


def interactions_log_changed(community_ids) -> None:
    """Tell the listeners that interactions of these communities were removed or moved; call
    inside the transaction that does it. *community_ids*: ids, a values() queryset, or None for
    every community."""
    if community_ids is None:
        community_ids = Community.objects.values("pk")
    for listener in _log_changed_listeners:
        listener(community_ids=community_ids)
