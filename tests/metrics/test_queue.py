"""Metrics runs have a Celery queue of their own, so an email never waits behind them."""

import shlex
from pathlib import Path

import yaml
from celery import current_app

ROOT = Path(__file__).resolve().parents[2]


def queue_of(task_name: str) -> str:
    """Return the queue Celery's router sends *task_name* to (routes as configured)."""
    route = current_app.amqp.router.route({}, task_name)
    return route["queue"].name


def test_metrics_tasks_are_routed_to_the_metrics_queue():
    for name in (
        "metrics.recompute_community",
        "metrics.recompute_all",
        "metrics.sweep_requests",
        "metrics.refresh_network",
    ):
        assert name in current_app.tasks
        assert queue_of(name) == "metrics", name


def test_email_stays_on_the_default_queue():
    assert "core.send_email" in current_app.tasks
    assert queue_of("core.send_email") == "celery"


def _queues(command) -> set[str]:
    args = shlex.split(command) if isinstance(command, str) else [str(a) for a in command]
    assert args[:4] == ["celery", "-A", "config", "worker"], args
    return set(args[args.index("-Q") + 1].split(","))


def test_compose_runs_a_worker_per_queue():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert _queues(services["worker"]["command"]) == {"celery"}
    assert _queues(services["metrics-worker"]["command"]) == {"metrics"}
    assert services["metrics-worker"]["depends_on"] == services["worker"]["depends_on"]
