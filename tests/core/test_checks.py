"""The static files check: with DEBUG off and no collectstatic, fail early and say what to run."""

import pytest
from django.core import checks

from tests.core.conftest import PRODUCTION_STATIC_STORAGES
from tests.core.test_settings import manage, production_env


@pytest.fixture
def manifest_storage(settings):
    """Serve static files as production does; return a function that sets STATIC_ROOT."""

    def with_root(root):
        settings.STATIC_ROOT = root
        settings.STORAGES = PRODUCTION_STATIC_STORAGES

    return with_root


def static_errors():
    return [message for message in checks.run_checks() if message.id == "core.E001"]


def test_static_check_without_collectstatic_names_the_missing_step(manifest_storage, tmp_path):
    manifest_storage(tmp_path)

    errors = static_errors()

    assert len(errors) == 1
    assert errors[0].level == checks.ERROR
    assert "manifest" in errors[0].msg and str(tmp_path) in errors[0].msg
    assert "manage.py collectstatic" in errors[0].hint


def test_static_check_runs_with_check_deploy(manifest_storage, tmp_path):
    manifest_storage(tmp_path)

    deploy = checks.run_checks(include_deployment_checks=True)

    assert "core.E001" in {message.id for message in deploy}


def test_static_check_passes_after_collectstatic(manifest_storage, collected_static_root):
    manifest_storage(collected_static_root)

    assert static_errors() == []


def test_static_check_names_files_added_since_collectstatic(
    manifest_storage, collected_static_root, settings, tmp_path
):
    added = tmp_path / "added"
    (added / "css").mkdir(parents=True)
    (added / "css" / "late.css").write_text("body { color: black; }\n")
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, str(added)]
    manifest_storage(collected_static_root)

    errors = static_errors()

    assert len(errors) == 1
    assert "css/late.css" in errors[0].msg
    assert "collectstatic" in errors[0].hint


def test_static_check_is_silent_without_manifest_storage(settings):
    # The test and development storage serves from the app folders: nothing to collect.
    assert "Manifest" not in settings.STORAGES["staticfiles"]["BACKEND"]

    assert static_errors() == []


def test_static_check_from_the_shell_fails_every_command_until_collectstatic_ran(tmp_path):
    env = production_env(
        STATIC_ROOT=str(tmp_path / "static"), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}"
    )

    check = manage("check", **env)
    assert check.returncode != 0
    assert "core.E001" in check.stderr and "manage.py collectstatic" in check.stderr
    migrate = manage("migrate", "--noinput", **env)
    assert migrate.returncode != 0 and "core.E001" in migrate.stderr
    # The health command reports instead of refusing to run.
    health = manage("health", **env)
    assert health.returncode == 1
    static_line = health.stdout.splitlines()[-1]
    assert static_line.startswith("static") and "manage.py collectstatic" in static_line

    collect = manage("collectstatic", "--noinput", "--verbosity", "0", **env)
    assert collect.returncode == 0, collect.stderr

    deploy = manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    health = manage("health", **env)
    assert health.returncode == 0, health.stdout + health.stderr
    assert health.stdout.splitlines()[-1].split()[:2] == ["static", "ok"]
