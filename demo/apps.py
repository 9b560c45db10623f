from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data and its ``seed_demo`` command: the top layer, which no other app imports."""

    name = "demo"
    verbose_name = "Demo data"
