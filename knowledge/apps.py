from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    """The shared repertoire: curated items, curation, provenance and evidence of use."""

    name = "knowledge"
