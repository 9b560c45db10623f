"""How dashboards show a person: by name, or as "A member" where they chose not to be named
(communities.permissions.dashboard_name). The user's profile is loaded with the rows."""

from django import template

from communities.models import UNNAMED_MEMBER
from communities.permissions import dashboard_name as name_on_dashboard

register = template.Library()


@register.filter
def dashboard_name(user, community) -> str:
    return name_on_dashboard(user, community)


@register.filter
def dashboard_named(user, community) -> bool:
    return name_on_dashboard(user, community) != UNNAMED_MEMBER
