"""docker-compose.yml and the Dockerfile refer only to things that exist in the project.

No Docker engine runs here, so the file is checked offline: against the Compose
specification's JSON schema (check-jsonschema), and every command, module path, host name and
environment variable against the project itself.
"""

import importlib
import re
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import pytest
import yaml
from django.core.management import get_commands
from django.urls import resolve

BASE_DIR = Path(__file__).resolve().parents[1]
COMPOSE_FILE = BASE_DIR / "docker-compose.yml"
DOCKERFILE = BASE_DIR / "Dockerfile"
APP_SERVICES = ("migrate", "web", "worker", "metrics-worker", "beat")
ENV_READER = re.compile(r"env_(?:str|bool|int|list|choice)\(\s*\"([A-Z0-9_]+)\"")
INTERPOLATION = re.compile(r"\$\{([A-Z0-9_]+)(?::?[-?][^}]*)?\}")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE_FILE.read_text())


def command_args(command) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(a) for a in command]


def env_names_read_by_settings() -> set[str]:
    sources = [*sorted((BASE_DIR / "config" / "settings").glob("*.py")), BASE_DIR / "config/env.py"]
    return {name for path in sources for name in ENV_READER.findall(path.read_text())}


def interpolated(value: str) -> str:
    """Substitute ``${NAME...}`` with a stand-in, as Compose would with NAME set."""
    return INTERPOLATION.sub(lambda m: f"x{m.group(1).lower().replace('_', '')}", value)


def check_manage_py(args):
    assert args[:2] == ["python", "manage.py"], args
    assert args[2] in get_commands(), f"manage.py has no {args[2]!r} command"


def check_gunicorn(args):
    from gunicorn.config import Config

    parsed = Config().parser().parse_args(args[1:])  # exits on an unknown option
    (target,) = parsed.args
    module_name, attribute = target.split(":")
    application = getattr(importlib.import_module(module_name), attribute)
    assert callable(application)
    assert target == "config.wsgi:application"


def check_celery(args):
    from celery.app.utils import find_app
    from celery.bin.base import CLIContext
    from celery.bin.celery import celery

    from config.celery import app

    assert args[1] == "-A", args
    assert find_app(args[2]) is app, f"-A {args[2]} does not name config.celery.app"
    subcommand, *options = args[3:]
    assert subcommand in celery.commands, f"celery has no {subcommand!r} command"
    obj = CLIContext(app=app, no_color=True, workdir=None, quiet=True)
    celery.commands[subcommand].make_context(subcommand, options, obj=obj)  # raises if unknown


def check_command(args):
    {"python": check_manage_py, "gunicorn": check_gunicorn, "celery": check_celery}[args[0]](args)


def test_compose_validates_against_the_compose_specification():
    check_jsonschema = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(check_jsonschema), "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_has_the_production_shape(compose):
    services = compose["services"]
    assert set(services) == {"postgres", "redis", *APP_SERVICES}
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]["test"], name
        (volume,) = services[name]["volumes"]
        assert volume.split(":")[0] in compose["volumes"]
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["redis"]["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]
    for name in APP_SERVICES:
        assert services[name]["build"] == "."
        assert services[name]["environment"]["DEBUG"] == "0"


def test_compose_runs_migrations_before_web_worker_and_beat(compose):
    services = compose["services"]
    assert command_args(services["migrate"]["command"])[2:] == ["migrate", "--noinput"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        depends_on = services[name]["depends_on"]
        assert depends_on["migrate"]["condition"] == "service_completed_successfully", name
        assert depends_on["redis"]["condition"] == "service_healthy", name


def test_compose_depends_on_and_volumes_name_what_exists(compose):
    for name, service in compose["services"].items():
        for dependency in service.get("depends_on", {}):
            assert dependency in compose["services"], f"{name} depends on unknown {dependency}"
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in compose["volumes"], f"{name}: {volume}"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_compose_command_refers_to_what_exists(compose, service):
    check_command(command_args(compose["services"][service]["command"]))


def test_compose_worker_command_is_a_celery_worker_of_config(compose):
    services = compose["services"]
    assert command_args(services["worker"]["command"])[:4] == ["celery", "-A", "config", "worker"]
    assert command_args(services["beat"]["command"])[:4] == ["celery", "-A", "config", "beat"]


def test_compose_worker_healthcheck_pings_the_worker(compose):
    kind, script = compose["services"]["worker"]["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    args = shlex.split(script.replace("$$", "$"))
    assert args[4:] == ["ping", "--destination", "celery@$HOSTNAME", "--timeout", "5"]
    check_celery(args)


def test_compose_web_healthcheck_reads_health_json(compose):
    kind, python, flag, code = compose["services"]["web"]["healthcheck"]["test"]
    assert (kind, python, flag) == ("CMD", "python", "-c")
    compile(code, "web-healthcheck", "exec")
    url = re.search(r'"(http://127\.0\.0\.1:8000[^"]+)"', code).group(1)
    assert resolve(urlsplit(url).path).url_name == "health"
    assert "format=json" in url
    assert "ALLOWED_HOSTS" in code  # a Host the production settings accept
    assert "X-Forwarded-Proto" in code  # no redirect to HTTPS


def test_compose_environment_is_read_by_settings(compose):
    read = env_names_read_by_settings()
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"} <= read  # the regex works
    for name in APP_SERVICES:
        unknown = set(compose["services"][name]["environment"]) - read
        assert not unknown, f"{name} sets variables no setting reads: {sorted(unknown)}"


def test_compose_environment_has_production_essentials(compose):
    environment = compose["services"]["web"]["environment"]
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS"):
        assert name in environment
    for name in ("CSRF_TRUSTED_ORIGINS", "EMAIL_BACKEND", "EMAIL_HOST", "DEFAULT_FROM_EMAIL"):
        assert name in environment
    # Secrets are required from the operator, never defaulted in the file.
    assert re.fullmatch(r"\$\{SECRET_KEY:\?[^}]+\}", environment["SECRET_KEY"])
    assert ":?" in environment["DATABASE_URL"]


def test_compose_database_and_redis_urls_point_at_compose_services(compose):
    environment = compose["services"]["web"]["environment"]
    database = dj_database_url.parse(interpolated(environment["DATABASE_URL"]))
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["HOST"] == "postgres"
    assert database["NAME"] == compose["services"]["postgres"]["environment"]["POSTGRES_DB"]
    assert database["USER"] == compose["services"]["postgres"]["environment"]["POSTGRES_USER"]
    redis_url = urlsplit(environment["REDIS_URL"])
    assert (redis_url.scheme, redis_url.hostname) == ("redis", "redis")


def test_dockerfile_builds_a_non_root_python_311_image():
    text = DOCKERFILE.read_text()
    assert (BASE_DIR / ".dockerignore").exists()
    froms = re.findall(r"^FROM\s+(\S+)", text, re.MULTILINE)
    assert froms and all(image == "python:3.11-slim" for image in froms)
    assert re.search(r"^RUN pip install .*", text, re.MULTILINE)
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}


def test_dockerfile_commands_refer_to_what_exists():
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    for line in re.findall(r"manage\.py [^\n]+", text):
        check_manage_py(["python", *shlex.split(line)])
    cmd = re.search(r"^CMD\s+(\[.*\])$", text, re.MULTILINE).group(1)
    check_command(yaml.safe_load(cmd))
    for variable in re.findall(r"^\s+([A-Z_]+)=", text, re.MULTILINE):
        assert variable in env_names_read_by_settings() | {
            "PYTHONDONTWRITEBYTECODE",
            "PYTHONUNBUFFERED",
            "PYTHONPATH",
            "DJANGO_SETTINGS_MODULE",
        }
