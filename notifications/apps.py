from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Notices in the app, their email (at once, daily or never), and weekly community digests.

    Apps above fill its registries from their ``ready()``: the weekly digest's sections
    (``notifications.digests.register_digest_section``) and the settings page's panels
    (``notifications.settings_panels.register_settings_panel``).
    """

    name = "notifications"

    def ready(self):
        # Imported here, not at the top, as in every ready(): these modules import models, which
        # load only once the app registry is ready.
        from django.contrib.auth import get_user_model  # noqa: PLC0415
        from django.db.models.signals import post_save  # noqa: PLC0415

        from communities import membership_events  # noqa: PLC0415
        from communities.models import Community, Membership  # noqa: PLC0415
        from notifications import membership, unread  # noqa: PLC0415
        from notifications.models import Notification  # noqa: PLC0415

        membership_events.register_join_requested_listener(membership.join_request_to_moderators)
        membership_events.register_membership_decided_listener(membership.membership_decision)

        # The header's cached unread count (notifications.unread) is counted anew after a
        # change to what it depends on. Saves only: a delete receiver would stop Django's fast
        # cascade deletes (see notifications.unread on deleted notices).
        for sender, receiver in (
            (Notification, unread.notification_saved),
            (Membership, unread.membership_saved),
            (get_user_model(), unread.user_saved),
            (Community, unread.community_saved),
        ):
            post_save.connect(receiver, sender=sender, dispatch_uid=f"unread:{sender.__name__}")
