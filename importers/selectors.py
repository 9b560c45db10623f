"""Reads for pages: where an imported thread came from."""

from django.contrib.contenttypes.models import ContentType

from importers.models import SourceRecord
from practice.models import Thread

Kind = SourceRecord.Kind


def thread_attribution(*, user, thread: Thread, tag_names=()) -> dict:
    """The source of an imported thread (site, original link, licence, score, closing), as
    CC BY-SA asks; empty for a thread written here. One query."""
    records = {
        r.kind: r
        for r in SourceRecord.objects.filter(
            target_type=ContentType.objects.get_for_model(Thread),
            target_id=thread.pk,
            kind__in=[Kind.QUESTION, Kind.CLOSE, Kind.THREAD],
        ).only("kind", "site", "source", "score", "data")
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
