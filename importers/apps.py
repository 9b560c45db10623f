from django.apps import AppConfig


class ImportersConfig(AppConfig):
    """Bring a community's history in: Stack Exchange data dumps (mailing lists to come)."""

    name = "importers"
    verbose_name = "Importers"

    def ready(self):
        # Imported here, as in every ready(): these modules import models.
        from importers.selectors import thread_attribution  # noqa: PLC0415
        from practice.selectors.threads import ThreadPanel, register_thread_panel  # noqa: PLC0415

        register_thread_panel(
            ThreadPanel(
                name="importers",
                data=thread_attribution,
                templates={"header": "importers/thread_panels/attribution.html"},
            )
        )
