"""Sections that apps above add to the notification settings page (practice: what you follow).

An app registers a panel from its ``AppConfig.ready()``: a template, included with ``data`` set
to what the panel's ``data`` function returns for the member viewing the page.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SettingsPanel:
    name: str
    template: str
    data: Callable[..., Any]  # called with keyword argument ``user``


_panels: dict[str, SettingsPanel] = {}


def register_settings_panel(panel: SettingsPanel) -> None:
    """Add *panel* to the settings page (registering a name again replaces it in place)."""
    _panels[panel.name] = panel


def settings_panels(*, user) -> list[dict[str, Any]]:
    """Each registered panel's template and its data for *user*, in order of registration."""
    return [{"template": p.template, "data": p.data(user=user)} for p in _panels.values()]
