"""One gate: only the apps' ``permissions`` modules refuse with ``PermissionDenied``."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = sorted(path.parent for path in ROOT.glob("*/apps.py"))
RAISE = re.compile(r"\braise\s+(?:\w+\.)*PermissionDenied\b")


def test_permission_denied_is_raised_only_in_permission_modules():
    assert {app.name for app in APPS} >= {"communities", "practice", "knowledge", "metrics"}
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for app in APPS
        for path in sorted(app.rglob("*.py"))
        if path.name != "permissions.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if RAISE.search(line)
    ]
    assert offenders == []


def test_every_app_with_checks_has_a_permissions_module():
    for app in ("communities", "notifications", "practice", "knowledge", "search", "metrics"):
        assert (ROOT / app / "permissions.py").is_file(), app
