from django.apps import AppConfig


class SearchConfig(AppConfig):
    """One search across threads, posts, repertoire items and members' expertise."""

    name = "search"

    def ready(self):
        # Imported here, not at the top, as in every ready(): these modules import models, which
        # load only once the app registry is ready.
        from communities.changes import register_member_changed_listener  # noqa: PLC0415
        from knowledge.changes import register_item_changed_listener  # noqa: PLC0415
        from practice.changes import (  # noqa: PLC0415
            register_post_changed_listener,
            register_thread_changed_listener,
        )
        from search import indexing  # noqa: PLC0415

        # The index is written in the content's transaction: the listeners run inside it.
        register_member_changed_listener(indexing.member_changed)
        register_thread_changed_listener(indexing.thread_changed, batch=indexing.threads_changed)
        register_post_changed_listener(indexing.post_changed)
        register_item_changed_listener(indexing.item_changed)
