from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    """The shared repertoire: curated items, curation, provenance and evidence of use."""

    name = "knowledge"

    def ready(self):
        # The member's data export (accounts.data_export): this app's section.
        from accounts.data_export import (  # noqa: PLC0415
            register_export_files,
            register_export_section,
        )
        from knowledge import data_export  # noqa: PLC0415

        register_export_section("knowledge", data_export.member_section)
        register_export_files(data_export.member_files)

        # Imported here, not at the top, as in every ready(): these modules import models, which
        # load only once the app registry is ready.
        from django.contrib.auth import get_user_model  # noqa: PLC0415
        from django.db.models.signals import post_delete  # noqa: PLC0415

        from communities.interactions import register_interaction_source  # noqa: PLC0415
        from communities.models import Community  # noqa: PLC0415
        from communities.panels import HomePanel, register_welcome_panel  # noqa: PLC0415
        from communities.tabs import (  # noqa: PLC0415
            CommunityTab,
            register_community_link,
            register_community_tab,
        )
        from knowledge import interaction_sources  # noqa: PLC0415
        from knowledge.changes import register_item_changed_listener  # noqa: PLC0415
        from knowledge.digests import new_in_library_section  # noqa: PLC0415
        from knowledge.models import Item  # noqa: PLC0415
        from knowledge.selectors.library import welcome_library_panel  # noqa: PLC0415
        from knowledge.selectors.promotion import thread_knowledge  # noqa: PLC0415
        from knowledge.services import experts  # noqa: PLC0415
        from knowledge.services.evidence import evidence_source  # noqa: PLC0415
        from notifications.digests import register_digest_section  # noqa: PLC0415
        from practice import changes as practice_changes  # noqa: PLC0415
        from practice.models import Post, Thread  # noqa: PLC0415
        from practice.selectors.threads import ThreadPanel, register_thread_panel  # noqa: PLC0415

        # Expert scores follow the content in its transaction (knowledge.services.experts).
        practice_changes.register_thread_changed_listener(
            experts.thread_refresh, batch=experts.threads_refresh
        )
        practice_changes.register_post_changed_listener(experts.post_refresh)
        practice_changes.register_post_votes_changed_listener(experts.post_refresh)
        register_item_changed_listener(experts.item_refresh)
        post_delete.connect(experts.on_thread_deleted, sender=Thread, dispatch_uid="experts.thread")
        post_delete.connect(experts.on_post_deleted, sender=Post, dispatch_uid="experts.post")
        post_delete.connect(experts.on_item_deleted, sender=Item, dispatch_uid="experts.item")
        post_delete.connect(
            experts.on_community_deleted, sender=Community, dispatch_uid="experts.community"
        )
        post_delete.connect(
            experts.on_user_deleted, sender=get_user_model(), dispatch_uid="experts.user"
        )

        register_welcome_panel(
            HomePanel(
                name="knowledge.best_items",
                template="knowledge/welcome/best_items.html",
                data=welcome_library_panel,
            )
        )
        register_community_tab(CommunityTab("library", "Library", "knowledge:library", order=30))
        register_community_tab(CommunityTab("experts", "Experts", "knowledge:experts", order=50))
        register_community_link("knowledge.experts", "knowledge:experts")
        register_interaction_source("knowledge.co_edit", interaction_sources.co_edit_source)
        register_interaction_source("knowledge.evidence", evidence_source)
        register_digest_section("knowledge.new_in_library", new_in_library_section)
        register_thread_panel(
            ThreadPanel(
                name="knowledge",
                data=thread_knowledge,
                templates={
                    "moderator_tools": "knowledge/thread_panels/promote_thread.html",
                    "header": "knowledge/thread_panels/provenance.html",
                    "answers": "knowledge/thread_panels/likely_answerers.html",
                    "post_tools": "knowledge/thread_panels/promote_post.html",
                },
                post_tools_if="can_promote",
            )
        )
