from django.apps import AppConfig


class PracticeConfig(AppConfig):
    """Questions, answers, discussions, stories and events (filled by the practice issue)."""

    name = "practice"
