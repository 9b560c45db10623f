from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    """The shared repertoire: curated items, curation, provenance and evidence of use."""

    name = "knowledge"

    def ready(self):
        from communities.interactions import register_interaction_source
        from knowledge import interaction_sources

        register_interaction_source("knowledge.co_edit", interaction_sources.co_edit_source)
        # --- knowledge: evidence (KB) ---
        from knowledge.services.evidence import evidence_source

        register_interaction_source("knowledge.evidence", evidence_source)
        # --- end knowledge: evidence ---
