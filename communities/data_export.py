"""The member's data export (accounts.data_export): their profile and memberships."""

from django.core.files.storage import default_storage

from accounts.data_export import rows
from communities.avatars import SIZES, stored_name
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


def member_files(user):
    """The member's picture, at its largest size, when they uploaded one."""
    stem = Profile.objects.filter(user=user).values_list("avatar", flat=True).first()
    if stem:
        name = stored_name(stem, max(SIZES))
        if default_storage.exists(name):
            yield "avatar.webp", (lambda: default_storage.open(name, "rb"))
