from django.apps import AppConfig


class MetricsConfig(AppConfig):
    """Participation and tie-strength metrics computed in the background, and the dashboards."""

    name = "metrics"

    def ready(self):
        # The member's data export (accounts.data_export): this app's section.
        from accounts.data_export import register_export_section  # noqa: PLC0415
        from metrics import data_export  # noqa: PLC0415

        register_export_section("metrics", data_export.member_section)

        # Imported here, not at the top, as in every ready(): these modules import models, which
        # load only once the app registry is ready.
        from communities.interactions import (  # noqa: PLC0415
            register_interactions_written_listener,
            register_log_changed_listener,
        )
        from communities.tabs import CommunityTab, register_community_tab  # noqa: PLC0415

        # Registers the Celery tasks in every process, web included: pipeline.schedule enqueues
        # the run by its name, since the tasks module calls into the schedule.
        from metrics import tasks  # noqa: F401, PLC0415
        from metrics.pipeline import schedule  # noqa: PLC0415

        register_interactions_written_listener(
            "metrics request", schedule.metrics_request_for_interactions
        )
        register_log_changed_listener(schedule.metrics_log_changed)
        register_community_tab(
            CommunityTab("dashboard", "Dashboard", "metrics:dashboard", order=70)
        )
