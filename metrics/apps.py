from django.apps import AppConfig


class MetricsConfig(AppConfig):
    """Participation and tie-strength metrics computed in the background, and the dashboards."""

    name = "metrics"
