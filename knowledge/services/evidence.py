"""Evidence from practice: members say how a repertoire item went when they used it.

One report per member and item (a unique constraint), changeable and withdrawable. The item's
counters are recomputed from the rows under a lock on the item, so they stay exact however the
reports race. A "worked" report logs a ``worked`` interaction from the reporter to each author
and source contributor of the item; ``evidence_source`` regenerates exactly those rows for
``rebuild_interactions``.
"""

from collections.abc import Iterable
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from communities.interactions import InteractionSpec, interactions_retract, interactions_write
from communities.models import Interaction
from knowledge import permissions
from knowledge.models import NOTE_MAX_LENGTH, Evidence, Item, ItemContributor

Outcome = Evidence.Outcome
# Whose work a "worked" report thanks: the people who wrote the item or the discussion it came
# from (editors who fixed a typo are credited on the item, but not thanked for its substance).
CREDITED_ROLES = (ItemContributor.Role.AUTHOR, ItemContributor.Role.SOURCE)
# Rows read per round trip while rebuilding a large community.
CHUNK = 2000


def item_recount_evidence(item_id: int) -> None:
    """Recompute *item_id*'s evidence counters from its Evidence rows."""
    tally = Evidence.objects.filter(item_id=item_id).aggregate(
        worked_n=Count("pk", filter=Q(outcome=Outcome.WORKED)),
        partly_n=Count("pk", filter=Q(outcome=Outcome.PARTLY)),
        failed_n=Count("pk", filter=Q(outcome=Outcome.FAILED)),
        used_n=Count("pk"),
    )
    Item.objects.filter(pk=item_id).update(
        worked_count=tally["worked_n"],
        partly_count=tally["partly_n"],
        failed_count=tally["failed_n"],
        used_count=tally["used_n"],
    )


def _clean_note(note: str) -> str:
    # Keep the member's line breaks (context often comes as a short list); drop trailing space.
    note = "\n".join(line.rstrip() for line in (note or "").strip().splitlines())
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError(
            {"note": f"Keep the note under {NOTE_MAX_LENGTH:,} characters (it has {len(note):,})."}
        )
    return note


def _credited_ids(item_id: int) -> list[int]:
    return list(
        ItemContributor.objects.filter(item_id=item_id, role__in=CREDITED_ROLES)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def _worked_specs(report: Evidence, community_id: int, target_ids: Iterable[int]):
    evidence_type = ContentType.objects.get_for_model(Evidence).pk
    for target_id in target_ids:
        yield InteractionSpec(
            community_id=community_id,
            actor_id=report.member_id,
            target_id=target_id,
            kind=Interaction.Kind.WORKED,
            occurred_at=report.updated_at,
            source_type_id=evidence_type,
            source_id=report.pk,
        )


def evidence_report(
    *, item: Item, member, outcome: str, note: str = "", at: datetime | None = None
) -> Evidence:
    """Record (or change) how *item* went in *member*'s practice at *at* (default now); return
    the report.

    Sending the same outcome and note again changes nothing, so a double click is harmless.
    """
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": "Choose worked, partly worked or did not work."})
    note = _clean_note(note)
    with transaction.atomic():
        # The item row is the lock: reports on one item serialise, so the counters stay exact.
        item = Item.objects.select_for_update().select_related("community").get(pk=item.pk)
        permissions.require_can_report_evidence(user=member, item=item)
        now = at or timezone.now()
        report = Evidence.objects.filter(item=item, member=member).first()
        if report is not None and report.outcome == outcome and report.note == note:
            return report
        if report is None:
            try:
                with transaction.atomic():
                    report = Evidence.objects.create(
                        item=item,
                        member=member,
                        outcome=outcome,
                        note=note,
                        created_at=now,
                        updated_at=now,
                    )
            except IntegrityError:  # only without the lock (never here): the other one stands
                return Evidence.objects.get(item=item, member=member)
        else:
            interactions_retract(source=report)
            report.outcome, report.note, report.updated_at = outcome, note, now
            report.save(update_fields=["outcome", "note", "updated_at"])
        if report.outcome == Outcome.WORKED:
            interactions_write(_worked_specs(report, item.community_id, _credited_ids(item.pk)))
        item_recount_evidence(item.pk)
    return report


def evidence_withdraw(*, item: Item, member) -> bool:
    """Take back *member*'s report on *item*; return whether there was one."""
    with transaction.atomic():
        item = Item.objects.select_for_update().get(pk=item.pk)
        report = Evidence.objects.filter(item=item, member=member).first()
        if report is None:
            return False
        interactions_retract(source=report)
        report.delete()
        item_recount_evidence(item.pk)
    return True


def evidence_source(community_ids: list[int] | None) -> Iterable[InteractionSpec]:
    """Every ``worked`` interaction the evidence reports imply (for ``rebuild_interactions``)."""
    reports = Evidence.objects.filter(outcome=Outcome.WORKED)
    credits = ItemContributor.objects.filter(role__in=CREDITED_ROLES)
    if community_ids is not None:
        reports = reports.filter(item__community_id__in=community_ids)
        credits = credits.filter(item__community_id__in=community_ids)
    credited: dict[int, list[int]] = {}
    for item_id, user_id in (
        credits.order_by("item_id", "user_id").values_list("item_id", "user_id").iterator(CHUNK)
    ):
        credited.setdefault(item_id, []).append(user_id)
    rows = reports.values_list("pk", "item_id", "item__community_id", "member_id", "updated_at")
    for pk, item_id, community_id, member_id, at in rows.iterator(CHUNK):
        report = Evidence(pk=pk, member_id=member_id, updated_at=at)
        yield from _worked_specs(report, community_id, credited.get(item_id, ()))
