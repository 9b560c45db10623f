"""Closing an account (accounts.closure): the person's profile and memberships."""

from accounts.closure import FORMER_MEMBER_NAME
from communities.avatars import profile_avatar_remove
from communities.changes import member_changed
from communities.models import Membership, Profile


def identity_names(user) -> list[str]:
    return list(Profile.objects.filter(user=user).values_list("display_name", flat=True))


def erase_member(user, *, remove_posts: bool, old_names) -> None:
    profile_avatar_remove(user=user)  # the picture's files go after commit
    # The professional group stays: it is a category, not a person, and the cross-group
    # figures would jump without it.
    Profile.objects.filter(user=user).update(
        display_name=FORMER_MEMBER_NAME, occupation="", organisation="", location="", bio=""
    )
    Membership.objects.filter(user=user).exclude(state=Membership.State.LEFT).update(
        state=Membership.State.LEFT
    )
    member_changed(user.pk)
