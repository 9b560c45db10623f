from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Practica core"

    def ready(self):
        # Registers the system checks, and the Celery tasks in every process, web included:
        # core.email enqueues its task by name.
        from core import checks, tasks  # noqa: F401, PLC0415
