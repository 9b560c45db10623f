"""Panels the apps above add to a community's home page (practice: following the community).

Apps register them from ``ready()``; the home page shows them in its side column, in order.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class HomePanel:
    """*data* returns the panel's context (keyword arguments user and community), found in its
    *template* as ``panel``, or None to leave the panel out."""

    name: str
    template: str
    data: Callable[..., dict | None]


_home_panels: dict[str, HomePanel] = {}


def register_home_panel(panel: HomePanel) -> None:
    _home_panels[panel.name] = panel


def home_panels(*, user, community) -> list[tuple[str, dict]]:
    """Return (template, context) for each registered panel that has something to show."""
    shown = []
    for panel in _home_panels.values():
        data = panel.data(user=user, community=community)
        if data is not None:
            shown.append((panel.template, data))
    return shown


# --- the welcome a member sees on their first visit after joining ---------------------------------
# Same shape as the home panels: practice adds "how to ask", knowledge the library's best items.

_welcome_panels: dict[str, HomePanel] = {}


def register_welcome_panel(panel: HomePanel) -> None:
    _welcome_panels[panel.name] = panel


def welcome_panels(*, user, community) -> list[tuple[str, dict]]:
    """Return (template, context) for each registered welcome panel that has something to show."""
    shown = []
    for panel in _welcome_panels.values():
        data = panel.data(user=user, community=community)
        if data is not None:
            shown.append((panel.template, data))
    return shown
