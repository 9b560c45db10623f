"""Reads for pages: where an imported thread came from."""

from django.contrib.contenttypes.models import ContentType

from importers.models import SourceRecord
from practice.models import Thread

Kind = SourceRecord.Kind


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
