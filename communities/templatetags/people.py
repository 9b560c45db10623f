"""Template filters and tags for showing people: one name (``display_name``) and one face
(``avatar``) wherever a member appears."""

from django import template

from communities import avatars
from communities.forms import AvatarForm
from communities.models import display_name as _display_name

register = template.Library()


@register.filter
def display_name(user) -> str:
    """Return the name to show for *user* (the profile's display name, else the username)."""
    return _display_name(user)


@register.simple_tag
def avatar(user, size=32):
    """*user*'s picture or initials, *size* pixels wide (load ``profile`` with the user)."""
    return avatars.avatar_for(user, int(size))


@register.simple_tag
def avatar_of(user_id, name, stem, size=32):
    """The same from values a page already read (the thread page's raw rows)."""
    return avatars.avatar_html(user_id=user_id, name=name, stem=stem or "", size=int(size))


@register.simple_tag
def avatar_upload_form(form=None):
    """The picture form of the profile page: the one the view refused, else an empty one."""
    return form or AvatarForm()
