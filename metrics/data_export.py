"""The member's data export (accounts.data_export): what the dashboards computed about them.

Another person appears only as the pseudonym the pseudonymised dashboard exports give them in
that community (``metrics.exports.pseudonym``), never by name or account id.
"""

from collections import defaultdict

from django.db.models import Q

from communities.models import Community, Interaction
from metrics.exports import MEMBER_FIGURES, pseudonyms
from metrics.models import MemberMetrics, TieStrength

_TIE_FIELDS = (
    "score",
    "tie_class",
    "reciprocity",
    "multiplexity",
    "duration",
    "first_at",
    "last_at",
)


def _pseudonymise(rows: list[dict], other_of) -> None:
    """Replace each row's other person by their pseudonym in the row's community."""
    others = defaultdict(set)
    for row in rows:
        others[row["community_id"]].add(other_of(row))
    names = {cid: pseudonyms(cid, ids) for cid, ids in others.items()}
    for row in rows:
        row["other"] = names[row["community_id"]][other_of(row)]


def member_section(user) -> dict:
    slugs = dict(Community.objects.values_list("pk", "slug"))
    levels = list(
        MemberMetrics.objects.filter(user=user)
        .order_by("snapshot__as_of", "pk")
        .values("snapshot__community_id", "snapshot__as_of", *MEMBER_FIGURES)
    )
    ties = list(
        TieStrength.objects.filter(Q(user_a=user) | Q(user_b=user))
        .order_by("community_id", "pk")
        .values("community_id", "user_a_id", "user_b_id", *_TIE_FIELDS)
    )
    _pseudonymise(
        ties,
        lambda row: row["user_b_id"] if row["user_a_id"] == user.pk else row["user_a_id"],
    )
    interactions = list(
        Interaction.objects.filter(Q(actor=user) | Q(target=user))
        .order_by("occurred_at", "pk")
        .values("community_id", "actor_id", "target_id", "kind", "occurred_at")
    )
    _pseudonymise(
        interactions,
        lambda row: row["target_id"] if row["actor_id"] == user.pk else row["actor_id"],
    )
    return {
        "level_history": [
            {
                "community": slugs.get(row.pop("snapshot__community_id")),
                "as_of": row.pop("snapshot__as_of"),
                **row,
            }
            for row in levels
        ],
        "ties": [
            {
                "community": slugs.get(row["community_id"]),
                "other": row["other"],
                **{name: row[name] for name in _TIE_FIELDS},
            }
            for row in ties
        ],
        "interactions": [
            {
                "community": slugs.get(row["community_id"]),
                "direction": "given" if row["actor_id"] == user.pk else "received",
                "other": row["other"],
                "kind": row["kind"],
                "occurred_at": row["occurred_at"],
            }
            for row in interactions
        ],
    }
