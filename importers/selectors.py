"""Reads for pages and the interaction log: where an imported thread came from, and which
imported accounts stand for no one."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from importers.models import Source, SourceRecord
from practice.models import Thread

Kind = SourceRecord.Kind
# The keys of Stack Exchange people who are no one we know: the placeholder of one post
# without an owner (``post:<id>``) and the site's bot (id -1, "Community").
STACKEXCHANGE_NOBODY_PREFIX = "post:"
STACKEXCHANGE_BOT_KEY = "community-bot"
# The key of the one mbox placeholder for messages with neither an address nor a name: every
# such message's author, so no one in particular (a hub in the metrics if it were a person).
MBOX_NOBODY_KEY = "nobody"


def stackexchange_nobody(key: str) -> bool:
    """Whether the person of *key* stands for no one (their interactions are not logged)."""
    return key.startswith(STACKEXCHANGE_NOBODY_PREFIX) or key == STACKEXCHANGE_BOT_KEY


def non_person_ids(community_ids: list[int] | None) -> list[int]:
    """The accounts of *community_ids* (None: all) standing for no one: Stack Exchange
    placeholders of a post without an owner and of the site's bot, and an mbox's placeholder
    for messages without an address or a name, unless an admin mapped them to a real account
    (``placeholder_map``). One query."""
    stackexchange = Q(source=Source.STACKEXCHANGE) & (
        Q(source_id__startswith=STACKEXCHANGE_NOBODY_PREFIX) | Q(source_id=STACKEXCHANGE_BOT_KEY)
    )
    records = SourceRecord.objects.filter(
        stackexchange | Q(source=Source.MBOX, source_id=MBOX_NOBODY_KEY),
        kind=Kind.PERSON,
        target_id__isnull=False,
    ).exclude(data__has_key="placeholder_id")
    if community_ids is not None:
        records = records.filter(community_id__in=community_ids)
    return list(records.values_list("target_id", flat=True))


def thread_attribution(*, user, thread: Thread, tag_names=()) -> dict:
    """The source of an imported thread (site, original link, licence, score, closing), as
    CC BY-SA asks; empty for a thread written here. One query."""
    # Written as SQL: every thread page asks, nearly always of a thread written here, and
    # composing the ORM's query cost more CPU than the answer.
    records = {
        r.kind: r
        for r in SourceRecord.objects.raw(
            "SELECT id, kind, site, source, score, data "
            f"FROM {SourceRecord._meta.db_table} "
            "WHERE target_type_id = %s AND target_id = %s AND kind IN (%s, %s, %s)",
            [
                ContentType.objects.get_for_model(Thread).pk,
                thread.pk,
                Kind.QUESTION.value,
                Kind.CLOSE.value,
                Kind.THREAD.value,
            ],
        )
    }
    question = records.get(Kind.QUESTION)
    thread_record = records.get(Kind.THREAD)
    if question is None and thread_record is not None:
        # A mailing-list thread: its list (the archive has no public link or licence).
        return {
            "source": {
                "kind": "thread",
                "site": thread_record.site,
                "source": thread_record.get_source_display(),
                "messages": thread.reply_count + 1,
            }
        }
    if question is None:
        return {}
    closed = records.get(Kind.CLOSE)
    return {
        "source": {
            "kind": "question",
            "site": question.site,
            "source": question.get_source_display(),
            "url": question.data.get("url", ""),
            "author": question.data.get("author", ""),
            "licence": question.data.get("licence", ""),
            "licence_url": question.data.get("licence_url", ""),
            "score": question.score,
            "links": question.data.get("links", []),
            "closed_at": closed.data.get("closed_at", "")[:10] if closed else "",
        }
    }
