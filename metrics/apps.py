from django.apps import AppConfig


class MetricsConfig(AppConfig):
    """Participation and tie-strength metrics computed in the background, and the dashboards."""

    name = "metrics"

    def ready(self):
        # Registers the Celery tasks in every process, web included: pipeline.schedule enqueues
        # the run by its name, since the tasks module calls into the schedule.
        from metrics import tasks  # noqa: F401, PLC0415
