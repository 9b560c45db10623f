"""What both importers' bulk-versus-per-post tests compare, by content rather than by id: the
parts of a community's state that the two importers write alike."""

from datetime import UTC, datetime

from communities.models import Interaction
from metrics.models import MemberMetrics
from metrics.services import metrics_compute
from practice.models import Follow
from search.models import SearchEntry


def name_of(user) -> str | None:
    return user.profile.display_name if user is not None else None


def follows_of(community, titles: dict[int, str]) -> list:
    """Each follow: what, the followed thread's title (*titles* by thread id), who, when."""
    return sorted(
        (f.target, titles.get(f.thread_id), name_of(f.user), f.created_at)
        for f in Follow.objects.filter(community=community).select_related("user__profile")
    )


def interactions_of(community, bodies: dict[int, str]) -> list:
    """Each logged interaction, its source post by body (*bodies* by post id)."""
    return sorted(
        (
            i.kind,
            i.occurred_at,
            name_of(i.actor),
            name_of(i.target),
            bodies.get(i.source_id),
            i.group_size,
        )
        for i in Interaction.objects.filter(community=community).select_related(
            "actor__profile", "target__profile"
        )
    )


def search_of(community) -> list:
    return sorted(
        (e.kind, e.title, e.text, e.tag_names, e.is_solved, e.created_at, e.updated_at)
        for e in SearchEntry.objects.filter(community=community)
    )


def metrics_of(community) -> list:
    """The members' figures of a metrics run at a fixed moment after every imported date."""
    snapshot = metrics_compute(community_id=community.pk, as_of=datetime(2030, 1, 1, tzinfo=UTC))
    return sorted(
        (m.user.profile.display_name, m.level, m.active_days, m.helps, m.contributions,
         m.strong_ties, m.weak_ties, m.degree, round(m.strength, 6), round(m.betweenness, 6))
        for m in MemberMetrics.objects.filter(snapshot=snapshot).select_related("user__profile")
    )  # fmt: skip
