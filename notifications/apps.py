from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Notices in the app, their email (at once, daily or never), and weekly community digests.

    Apps above fill its registries from their ``ready()``: the weekly digest's sections
    (``notifications.digests.register_digest_section``) and the settings page's panels
    (``notifications.settings_panels.register_settings_panel``).
    """

    name = "notifications"

    def ready(self):
        # The member's data export and account closure (accounts): this app's part.
        from accounts.closure import register_account_eraser  # noqa: PLC0415
        from accounts.data_export import register_export_section  # noqa: PLC0415
        from notifications import closure, data_export  # noqa: PLC0415

        register_export_section("notifications", data_export.member_section)
        register_account_eraser(closure.erase_member)

        # Imported here, not at the top, as in every ready(): these modules import models, which
        # load only once the app registry is ready.
        from communities import membership_events  # noqa: PLC0415
        from notifications import membership  # noqa: PLC0415

        membership_events.register_join_requested_listener(membership.join_request_to_moderators)
        membership_events.register_membership_decided_listener(membership.membership_decision)
