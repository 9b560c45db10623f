"""Keep the stored expert scores (``TagExpertScore``) and tag counts (``TagUse``) up to date.

Each thread and published item keeps, in its ``ExpertSource`` row, what it last added: per
community, tag key and member, accepted answers, capped helpful votes, items and edits; per
community and tag name, a question, an unanswered one and a use. When the thread or item changes
(written, answered, voted, accepted, hidden, restored, moved, retagged, deleted), the listeners
below recompute its contribution from its rows, and the difference is added to the totals with
``INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n`` (the same on SQLite and PostgreSQL, safe
under concurrent writers), in the content's transaction. ``experts_fill`` rebuilds everything
from the rows (``manage.py experts_fill``; ``--check`` compares with the aggregates).

Scores count every author; the page keeps active members only, at read time, so a member who
leaves or comes back changes no stored row.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction

from knowledge.models import ExpertSource, Item, ItemContributor, TagExpertScore, TagUse
from knowledge.selectors.experts import (
    ACCEPTED_POINTS,
    EDIT_POINTS,
    HELPFUL_CAP_PER_ANSWER,
    HELPFUL_POINTS,
    ITEM_POINTS,
)
from practice.models import Post, Thread

BATCH = 1_000
Kind = ExpertSource.Kind


def _key(name: str) -> str:
    return name.casefold()


def _points(accepted: int, helpful: int, items: int, edits: int) -> int:
    return (
        ACCEPTED_POINTS * accepted
        + HELPFUL_POINTS * helpful
        + ITEM_POINTS * items
        + EDIT_POINTS * edits
    )


def _rows(scores: dict, tags: dict) -> tuple[list, list]:
    return (
        [[c, k, u, *v] for (c, k, u), v in sorted(scores.items()) if any(v)],
        [[c, n, *v] for (c, n), v in sorted(tags.items()) if any(v)],
    )


def _thread_contributions(ids: list[int]) -> dict[int, tuple[list, list]]:
    """What each of the threads *ids* adds now (five queries), as ``ExpertSource`` rows."""
    threads = {
        row[0]: row
        for row in Thread.objects.filter(pk__in=ids, is_hidden=False).values_list(
            "pk", "community_id", "author_id", "kind", "answer_count", "accepted_post_id"
        )
    }
    names = defaultdict(list)
    for pk, name in (
        Thread.objects.filter(pk__in=list(threads))
        .exclude(tags__name=None)
        .values_list("pk", "tags__name")
    ):
        if name:
            names[pk].append(name)
    accepted = dict(
        Post.objects.filter(
            pk__in=[t[5] for t in threads.values() if t[5] and names[t[0]]],
            is_hidden=False,
            author__isnull=False,
        ).values_list("pk", "author_id")
    )
    helpful = defaultdict(list)
    for thread_id, community_id, author_id, count in Post.objects.filter(
        thread_id__in=[pk for pk in threads if names[pk]],
        is_answer=True,
        is_hidden=False,
        helpful_count__gt=0,
        author__isnull=False,
    ).values_list("thread_id", "community_id", "author_id", "helpful_count"):
        helpful[thread_id].append((community_id, author_id, min(count, HELPFUL_CAP_PER_ANSWER)))
    out = {}
    for pk in ids:
        scores, tags = defaultdict(lambda: [0, 0, 0, 0]), defaultdict(lambda: [0, 0, 0])
        if pk in threads:
            _, community_id, author_id, kind, answer_count, accepted_id = threads[pk]
            expert = accepted.get(accepted_id)
            for name in names[pk]:
                key = _key(name)
                tag = tags[(community_id, name)]
                tag[2] += 1
                if kind == Thread.Kind.QUESTION:
                    tag[0] += 1
                    tag[1] += answer_count == 0
                if expert is not None and expert != author_id:
                    scores[(community_id, key, expert)][0] += 1
                for post_community_id, post_author_id, n in helpful[pk]:
                    scores[(post_community_id, key, post_author_id)][1] += n
        out[pk] = _rows(scores, tags)
    return out


def _item_contributions(ids: list[int]) -> dict[int, tuple[list, list]]:
    """What each of the items *ids* adds now (three queries), as ``ExpertSource`` rows."""
    items = dict(
        Item.objects.filter(pk__in=ids, state=Item.State.PUBLISHED).values_list(
            "pk", "community_id"
        )
    )
    names = defaultdict(list)
    for pk, name in (
        Item.objects.filter(pk__in=list(items))
        .exclude(tags__name=None)
        .values_list("pk", "tags__name")
    ):
        if name:
            names[pk].append(name)
    credits = defaultdict(list)
    for item_id, user_id, role in ItemContributor.objects.filter(
        item_id__in=[pk for pk in items if names[pk]]
    ).values_list("item_id", "user_id", "role"):
        credits[item_id].append((user_id, role))
    out = {}
    for pk in ids:
        scores, tags = defaultdict(lambda: [0, 0, 0, 0]), defaultdict(lambda: [0, 0, 0])
        if pk in items:
            community_id = items[pk]
            for name in names[pk]:
                tags[(community_id, name)][2] += 1
                for user_id, role in credits[pk]:
                    entry = scores[(community_id, _key(name), user_id)]
                    entry[3 if role == ItemContributor.Role.EDITOR else 2] += 1
        out[pk] = _rows(scores, tags)
    return out


# Rows per INSERT of _add: one statement for a batch's rows (psycopg2's executemany is a round
# trip per row), within SQLite's limit on bound variables (8 columns x 1000 < 32766).
ADD_ROWS = 1000


def _upsert(cursor, head: str, tail: str, rows: list[tuple]) -> None:
    """``head VALUES (...), (...) tail`` for *rows*, ADD_ROWS a statement."""
    marks = "(" + ", ".join(["%s"] * len(rows[0])) + ")" if rows else ""
    for start in range(0, len(rows), ADD_ROWS):
        chunk = rows[start : start + ADD_ROWS]
        values = ", ".join([marks] * len(chunk))
        cursor.execute(f"{head} VALUES {values} {tail}", [v for row in chunk for v in row])


def _add(score_rows: Iterable, tag_rows: Iterable) -> None:
    """Add signed ``ExpertSource``-shaped rows to the totals (two statements at most)."""
    quote = connection.ops.quote_name
    scores, tags = defaultdict(lambda: [0, 0, 0, 0]), defaultdict(lambda: [0, 0, 0])
    for sign, (c, k, u, *values) in score_rows:
        entry = scores[(c, k, u)]
        for i, value in enumerate(values):
            entry[i] += sign * value
    for sign, (c, n, *values) in tag_rows:
        entry = tags[(c, n)]
        for i, value in enumerate(values):
            entry[i] += sign * value
    score_params = [(*key, *v, _points(*v)) for key, v in sorted(scores.items()) if any(v)]
    tag_params = [(*key, *v) for key, v in sorted(tags.items()) if any(v)]
    table = quote(TagExpertScore._meta.db_table)
    with connection.cursor() as cursor:
        if score_params:
            columns = ("accepted", "helpful", "items", "edits", "points")
            _upsert(
                cursor,
                f"INSERT INTO {table} (community_id, tag_key, user_id, "  # noqa: S608
                f"{', '.join(map(quote, columns))})",
                "ON CONFLICT (community_id, tag_key, user_id) DO UPDATE SET "
                + ", ".join(
                    f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in columns
                ),
                score_params,
            )
        if tag_params:
            table = quote(TagUse._meta.db_table)
            columns = ("questions", "unanswered", "uses")
            _upsert(
                cursor,
                f"INSERT INTO {table} (community_id, name, "  # noqa: S608
                f"{', '.join(map(quote, columns))})",
                "ON CONFLICT (community_id, name) DO UPDATE SET "
                + ", ".join(
                    f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in columns
                ),
                tag_params,
            )
        # Rows brought back to nothing go (the same rows as a fill from scratch).
        emptied = [key for key, v in scores.items() if any(n < 0 for n in v)]
        if emptied:
            cursor.executemany(
                f"DELETE FROM {quote(TagExpertScore._meta.db_table)} WHERE community_id = %s "  # noqa: S608
                "AND tag_key = %s AND user_id = %s AND accepted = 0 AND helpful = 0 "
                "AND items = 0 AND edits = 0",
                emptied,
            )
        emptied = [key for key, v in tags.items() if any(n < 0 for n in v)]
        if emptied:
            cursor.executemany(
                f"DELETE FROM {quote(TagUse._meta.db_table)} WHERE community_id = %s "  # noqa: S608
                "AND name = %s AND questions = 0 AND unanswered = 0 AND uses = 0",
                emptied,
            )


def _refresh(kind: str, ids: list[int]) -> None:
    """Replace what the threads or items *ids* added by what they add now."""
    if not ids:
        return
    compute = _thread_contributions if kind == Kind.THREAD else _item_contributions
    with transaction.atomic():
        old = {
            s.object_id: s
            for s in ExpertSource.objects.select_for_update().filter(kind=kind, object_id__in=ids)
        }
        new = compute(ids)
        score_rows, tag_rows, create, update, delete = [], [], [], [], []
        for pk in ids:
            scores, tags = new[pk]
            source = old.get(pk)
            if source is not None:
                if source.scores == scores and source.tags == tags:
                    continue
                score_rows += [(-1, row) for row in source.scores]
                tag_rows += [(-1, row) for row in source.tags]
            score_rows += [(1, row) for row in scores]
            tag_rows += [(1, row) for row in tags]
            if not scores and not tags:
                if source is not None:
                    delete.append(source.pk)
            elif source is None:
                create.append(ExpertSource(kind=kind, object_id=pk, scores=scores, tags=tags))
            else:
                source.scores, source.tags = scores, tags
                update.append(source)
        if delete:
            ExpertSource.objects.filter(pk__in=delete).delete()
        if create:
            ExpertSource.objects.bulk_create(create)
        if update:
            ExpertSource.objects.bulk_update(update, ["scores", "tags"])
        _add(score_rows, tag_rows)


def thread_refresh(thread_id: int) -> None:
    """``practice.changes`` listener: the thread changed (or was deleted)."""
    _refresh(Kind.THREAD, [thread_id])


def threads_refresh(thread_ids: list[int]) -> None:
    """``practice.changes`` listener: many threads changed together (a bulk import)."""
    _refresh(Kind.THREAD, list(thread_ids))


def post_refresh(post_id: int) -> None:
    """``practice.changes`` listener: a post changed (written, hidden, voted on)."""
    thread_id = Post.objects.filter(pk=post_id).values_list("thread_id", flat=True).first()
    if thread_id is not None:
        thread_refresh(thread_id)


def item_refresh(item_id: int) -> None:
    """``knowledge.changes`` listener: the item changed (or was deleted)."""
    _refresh(Kind.ITEM, [item_id])


def on_thread_deleted(sender, instance, **kwargs) -> None:
    thread_refresh(instance.pk)


def on_post_deleted(sender, instance, **kwargs) -> None:
    thread_refresh(instance.thread_id)


def on_item_deleted(sender, instance, **kwargs) -> None:
    item_refresh(instance.pk)


def on_community_deleted(sender, instance, **kwargs) -> None:
    """The totals have no database constraint (a cascade may still subtract from them)."""
    TagExpertScore.objects.filter(community_id=instance.pk).delete()
    TagUse.objects.filter(community_id=instance.pk).delete()


def on_user_deleted(sender, instance, **kwargs) -> None:
    TagExpertScore.objects.filter(user_id=instance.pk).delete()


def experts_fill(*, log=None) -> tuple[int, int]:
    """Rebuild the sources and totals from the rows, in one transaction: after bulk jobs that
    held the listeners (``seed_demo``), or to repair. Returns (threads, items) counted."""
    counted = []
    with transaction.atomic():
        ExpertSource.objects.all().delete()
        TagExpertScore.objects.all().delete()
        TagUse.objects.all().delete()
        for kind, model, compute in (
            (Kind.THREAD, Thread, _thread_contributions),
            (Kind.ITEM, Item, _item_contributions),
        ):
            ids = list(model.objects.order_by("pk").values_list("pk", flat=True))
            n = 0
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                sources, score_rows, tag_rows = [], [], []
                for pk, (scores, tags) in compute(chunk).items():
                    if scores or tags:
                        sources.append(
                            ExpertSource(kind=kind, object_id=pk, scores=scores, tags=tags)
                        )
                        score_rows += [(1, row) for row in scores]
                        tag_rows += [(1, row) for row in tags]
                ExpertSource.objects.bulk_create(sources, batch_size=BATCH)
                _add(score_rows, tag_rows)
                n += len(sources)
                if log:
                    log(f"{kind}: {min(start + BATCH, len(ids))} / {len(ids)}")
            counted.append(n)
    return counted[0], counted[1]
