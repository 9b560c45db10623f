"""The content-health queue: what in a community's repertoire needs a moderator's attention.

Sections: proposals waiting, proposed changes to published items, items sent back for changes
(waiting on their proposers), published items nobody has reviewed for
``KNOWLEDGE_REVIEW_AFTER_MONTHS``, published items with "did not work" or "partly worked"
reports since their last review (did-not-work first), and thread tags with questions but no
published item. Each section shows its first ``SECTION_ROWS`` rows and its full count; the
whole queue takes a fixed number of queries.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, Max, OuterRef, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from communities.models import Community
from knowledge.models import ChangeProposal, Evidence, Item, RepertoireTag
from practice.models import Thread, ThreadTag

SECTION_ROWS = 25
TAG_ROWS = 40
EPOCH = datetime(2000, 1, 1, tzinfo=timezone.get_fixed_timezone(0))
NEGATIVE = (Evidence.Outcome.FAILED, Evidence.Outcome.PARTLY)


@dataclass
class Section:
    key: str
    title: str
    explanation: str
    empty: str
    rows: list = field(default_factory=list)
    count: int = 0

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.rows))


@dataclass
class TagGap:
    name: str
    questions: int
    unanswered: int


@dataclass
class HealthQueue:
    sections: list[Section]
    review_after_months: int
    stale_before: datetime

    @property
    def total(self) -> int:
        return sum(s.count for s in self.sections)

    def __getitem__(self, key: str) -> Section:
        # A KeyError (not StopIteration) lets templates fall back to attribute lookup.
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(key)


def review_cutoff(now: datetime | None = None, months: int | None = None) -> datetime:
    """Items last reviewed before this moment are due for review (months of 30.44 days)."""
    months = settings.KNOWLEDGE_REVIEW_AFTER_MONTHS if months is None else months
    return (now or timezone.now()) - timedelta(days=round(months * 30.44))


def _last_review():
    """When a moderator last looked at the item: review, else publication, else creation."""
    return Coalesce("last_reviewed_at", "published_at", "created_at")


def _new_negative_evidence():
    """Has the item a "did not work" or "partly" report newer than its last review?"""
    return Exists(
        Evidence.objects.filter(
            item=OuterRef("pk"),
            outcome__in=NEGATIVE,
            updated_at__gt=Coalesce(OuterRef("last_reviewed_at"), Value(EPOCH)),
        )
    )


def _items_by_state(community: Community, state: str):
    return Item.objects.filter(community=community, state=state).select_related(
        "proposed_by__profile", "source_thread"
    )


def health_queue(*, community: Community, now: datetime | None = None) -> HealthQueue:
    """The content-health queue of *community* (the caller checked the viewer moderates it)."""
    months = settings.KNOWLEDGE_REVIEW_AFTER_MONTHS
    stale_before = review_cutoff(now, months)
    published = Item.objects.filter(community=community, state=Item.State.PUBLISHED)
    published = published.annotate(last_review=_last_review(), needs_look=_new_negative_evidence())

    # One query for the item-based counts.
    counts = Item.objects.filter(community=community).aggregate(
        proposed=Count("pk", filter=Q(state=Item.State.PROPOSED)),
        changes_requested=Count("pk", filter=Q(state=Item.State.CHANGES_REQUESTED)),
    )
    published_counts = published.aggregate(
        stale=Count("pk", filter=Q(last_review__lt=stale_before)),
        negative=Count("pk", filter=Q(needs_look=True)),
    )

    proposals = Section(
        "proposals",
        "Proposals waiting",
        "New items proposed by members or promoted from discussions, oldest first.",
        "No proposal is waiting.",
        rows=list(
            _items_by_state(community, Item.State.PROPOSED).order_by("created_at", "pk")[
                :SECTION_ROWS
            ]
        ),
        count=counts["proposed"],
    )
    changes_qs = ChangeProposal.objects.filter(
        item__community=community, state=ChangeProposal.State.PENDING
    )
    changes = Section(
        "changes",
        "Proposed changes",
        "Members' changes to published items, waiting for a decision, oldest first.",
        "No change is waiting.",
        rows=list(
            changes_qs.select_related("item", "proposed_by__profile").order_by("created_at", "pk")[
                :SECTION_ROWS
            ]
        ),
        count=changes_qs.count(),
    )
    sent_back = Section(
        "changes_requested",
        "Sent back for changes",
        "Proposals you asked to be changed; they wait on their proposers. Nudge or archive "
        "the ones that have stalled.",
        "Nothing is waiting on its proposer.",
        rows=list(
            _items_by_state(community, Item.State.CHANGES_REQUESTED).order_by("updated_at", "pk")[
                :SECTION_ROWS
            ]
        ),
        count=counts["changes_requested"],
    )
    negative = Section(
        "negative",
        "Reported not to work",
        "Published items with “did not work” or “partly worked” reports since their last "
        "review: did-not-work first. Read the notes, then improve, archive or mark reviewed.",
        "No item has new negative reports.",
        rows=list(
            published.filter(needs_look=True)
            .annotate(
                last_negative_at=Max(
                    "evidence__updated_at", filter=Q(evidence__outcome__in=NEGATIVE)
                )
            )
            .order_by("-failed_count", "-partly_count", "-last_negative_at", "pk")[:SECTION_ROWS]
        ),
        count=published_counts["negative"],
    )
    stale = Section(
        "stale",
        "Not reviewed for a while",
        f"Published items nobody has reviewed for {months} months or more, the longest first.",
        f"Every published item was reviewed in the last {months} months.",
        rows=list(
            published.filter(last_review__lt=stale_before).order_by("last_review", "pk")[
                :SECTION_ROWS
            ]
        ),
        count=published_counts["stale"],
    )
    gaps = tag_gaps(community=community)
    tags = Section(
        "tags",
        "Tags without an item",
        "Thread tags with questions but no published item: the library's blank spots, most "
        "asked first.",
        "Every tag with questions has at least one published item.",
        rows=gaps[:TAG_ROWS],
        count=len(gaps),
    )
    return HealthQueue(
        sections=[proposals, changes, sent_back, negative, stale, tags],
        review_after_months=months,
        stale_before=stale_before,
    )


def tag_gaps(*, community: Community) -> list[TagGap]:
    """Thread tags with visible questions and no published item of the same name (two queries),
    most questions first."""
    questions = Thread.objects.filter(
        community=community, is_hidden=False, kind=Thread.Kind.QUESTION
    ).values("pk")
    rows = (
        ThreadTag.objects.filter(
            items__content_type=ContentType.objects.get_for_model(Thread),
            items__object_id__in=questions,
        )
        .annotate(
            questions=Count("items", distinct=True),
            unanswered=Count(
                "items",
                distinct=True,
                filter=Q(items__object_id__in=questions.filter(answer_count=0)),
            ),
        )
        .values_list("name", "questions", "unanswered")
    )
    covered = {
        name.casefold()
        for name in RepertoireTag.objects.filter(
            items__content_type=ContentType.objects.get_for_model(Item),
            items__object_id__in=Item.objects.filter(
                community=community, state=Item.State.PUBLISHED
            ).values("pk"),
        ).values_list("name", flat=True)
    }
    gaps = [TagGap(n, q, u) for n, q, u in rows if n.casefold() not in covered]
    gaps.sort(key=lambda g: (-g.questions, -g.unanswered, g.name.casefold()))
    return gaps
