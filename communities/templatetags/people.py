"""Template filters for showing people."""

from django import template

from communities.models import display_name as _display_name

register = template.Library()


@register.filter
def display_name(user) -> str:
    """Return the name to show for *user* (the profile's display name, else the username)."""
    return _display_name(user)
