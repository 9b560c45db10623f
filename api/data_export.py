"""The member's data export and account closure (accounts): their API tokens."""

from accounts.data_export import rows
from api.models import AccessToken


def member_section(user) -> dict:
    # Never the hash: the name, prefix, scopes and dates say which token is which.
    tokens = AccessToken.objects.filter(user=user).order_by("created_at", "pk")
    return {"tokens": rows(tokens, exclude=("token_hash",))}


def erase_member(user, *, remove_posts: bool, old_names) -> None:
    AccessToken.objects.filter(user=user).delete()
