"""The metric definitions and pipeline knobs, read from Django settings in one place."""

from dataclasses import dataclass

from django.conf import settings

from metrics.compute.config import MetricsConfig, config_from_settings


def metrics_config() -> MetricsConfig:
    """Return the definitions: every ``METRICS_<FIELD>`` setting over the documented defaults."""
    return config_from_settings(lambda name, default: getattr(settings, name, default))


@dataclass(frozen=True)
class PipelineSettings:
    schedule_seconds: int
    debounce_seconds: int
    request_stale_seconds: int
    request_sweep_after_seconds: int
    full_every_seconds: int
    keep_all_days: int
    keep_daily_days: int
    demo_history_months: int
    eager: bool


def pipeline_settings() -> PipelineSettings:
    """Return the scheduling and retention settings (defaults in config/settings/base.py)."""
    return PipelineSettings(
        schedule_seconds=getattr(settings, "METRICS_SCHEDULE_SECONDS", 3600),
        debounce_seconds=getattr(settings, "METRICS_DEBOUNCE_SECONDS", 30),
        request_stale_seconds=getattr(settings, "METRICS_REQUEST_STALE_SECONDS", 900),
        request_sweep_after_seconds=getattr(settings, "METRICS_REQUEST_SWEEP_AFTER_SECONDS", 120),
        full_every_seconds=getattr(settings, "METRICS_FULL_EVERY_SECONDS", 86400),
        keep_all_days=getattr(settings, "METRICS_KEEP_ALL_DAYS", 2),
        keep_daily_days=getattr(settings, "METRICS_KEEP_DAILY_DAYS", 90),
        demo_history_months=getattr(settings, "METRICS_DEMO_HISTORY_MONTHS", 6),
        eager=bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False)),
    )
