"""The member's data export (accounts.data_export): their profile and memberships."""

from accounts.data_export import rows
from communities.models import MembershipEvent, Profile


def member_section(user) -> dict:
    profile = Profile.objects.filter(user=user)
    memberships = user.memberships.select_related("community").order_by("joined_at", "pk")
    return {
        "profile": rows(profile)[0] if profile.exists() else None,
        "memberships": [
            {"community": membership.community.slug, **row}
            for membership, row in zip(memberships, rows(memberships), strict=True)
        ],
        "membership_history": rows(
            MembershipEvent.objects.filter(user=user).order_by("occurred_at", "pk")
        ),
    }
