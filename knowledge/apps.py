from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    """The shared repertoire of curated items (filled by the knowledge issue)."""

    name = "knowledge"
