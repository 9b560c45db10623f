from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The JSON API (``/api/v1/``) and the personal access tokens that open it.

    A layer above the content apps and below ``demo``: every read goes through their
    selectors and ``permissions`` modules, every write through their services; this app
    decides only who the caller is (token or session), which scopes the caller holds, and
    how answers, errors and pages look on the wire.
    """

    name = "api"
    verbose_name = "API"

    def ready(self):
        # The member's data export and account closure (accounts): this app's part.
        from accounts.closure import register_account_eraser  # noqa: PLC0415
        from accounts.data_export import register_export_section  # noqa: PLC0415
        from api import data_export  # noqa: PLC0415

        register_export_section("api", data_export.member_section)
        register_account_eraser(data_export.erase_member)

        # Webhooks hear of new threads, answers, acceptances, published items and joins through
        # the content apps' change registries; the ids are looked at after commit.
        from api import tasks, webhook_listeners  # noqa: F401, PLC0415 (tasks: register names)
        from communities.changes import register_member_changed_listener  # noqa: PLC0415
        from knowledge.changes import register_item_changed_listener  # noqa: PLC0415
        from practice.changes import (  # noqa: PLC0415
            register_post_changed_listener,
            register_thread_changed_listener,
        )

        register_thread_changed_listener(webhook_listeners.thread_changed)
        register_post_changed_listener(webhook_listeners.post_changed)
        register_item_changed_listener(webhook_listeners.item_changed)
        register_member_changed_listener(webhook_listeners.member_changed)
