"""Reads for the evidence panel of an item page: the tally, the notes, the viewer's own report."""

from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Value, When, Window

from knowledge import permissions
from knowledge.models import Evidence, Item

Outcome = Evidence.Outcome
# Notes shown on the item page, newest first; a constant bound keeps the page's cost flat
# whatever the number of reports (the tally always counts all of them).
NOTES_SHOWN = 30


@dataclass
class EvidencePanel:
    item: Item
    worked: int = 0
    partly: int = 0
    failed: int = 0
    used: int = 0
    notes: list[Evidence] = field(default_factory=list)
    more_notes: int = 0
    mine: Evidence | None = None
    can_report: bool = False

    @property
    def needs_review(self) -> bool:
        """Disconfirming evidence deserves attention: any "did not work" report flags it."""
        return self.failed > 0

    @property
    def segments(self) -> list[tuple[str, str, int, int, int]]:
        """(outcome, label, count, x, width) of the tally bar, x and width in percent."""
        total = self.used or 1
        segments, x = [], 0
        for outcome, label, count in (
            ("worked", "Worked", self.worked),
            ("partly", "Partly worked", self.partly),
            ("failed", "Did not work", self.failed),
        ):
            width = round(100 * count / total)
            if outcome == "failed":  # the last segment fills the rounding gap
                width = 100 - x if count else 0
            segments.append((outcome, label, count, x, width))
            x += width
        return segments


def item_evidence(*, user, item: Item) -> EvidencePanel:
    """The evidence panel of *item* for *user* (who may already read the item): two queries."""
    panel = EvidencePanel(
        item=item,
        worked=item.worked_count,
        partly=item.partly_count,
        failed=item.failed_count,
        used=item.used_count,
    )
    if not permissions.can_see_evidence(user, item):
        return panel
    # "Did not work" first among the notes: that is what a reader most needs to weigh.
    notes = list(
        Evidence.objects.filter(item=item)
        .exclude(note="")
        .select_related("member__profile")
        # How many notes in all, in the same query (a window over the filtered rows).
        .annotate(notes_in_all=Window(Count("pk")))
        .order_by(_outcome_rank(), "-updated_at", "-pk")[:NOTES_SHOWN]
    )
    panel.notes = notes
    if notes:
        panel.more_notes = notes[0].notes_in_all - len(notes)
    if user.is_authenticated:
        panel.mine = next((n for n in notes if n.member_id == user.pk), None)
        if panel.mine is None:
            panel.mine = Evidence.objects.filter(item=item, member=user).first()
        panel.can_report = permissions.can_report_evidence(user, item)
    return panel


def _outcome_rank():
    """Did not work, then partly, then worked (the values' alphabetical order is an accident)."""
    return Case(
        When(outcome=Outcome.FAILED, then=Value(0)),
        When(outcome=Outcome.PARTLY, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
