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
        from knowledge.digests import new_in_library_section
        from practice.services.digests import WEEKLY_DIGEST_SECTIONS

        if new_in_library_section not in WEEKLY_DIGEST_SECTIONS:
            WEEKLY_DIGEST_SECTIONS.append(new_in_library_section)
        # --- end knowledge: evidence ---
