from django.apps import AppConfig


class CommunitiesConfig(AppConfig):
    name = "communities"
    verbose_name = "Communities and membership"

    def ready(self):
        # The member's data export and account closure (accounts): this app's part.
        from accounts.closure import register_account_eraser, register_identity_names  # noqa: PLC0415
        from accounts.data_export import (  # noqa: PLC0415
            register_export_files,
            register_export_section,
        )
        from communities import closure, data_export  # noqa: PLC0415

        register_export_section("communities", data_export.member_section)
        register_export_files(data_export.member_files)
        register_account_eraser(closure.erase_member)
        register_identity_names(closure.identity_names)

        # A signal, although services are the rule here: users are also created by code we do
        # not own (createsuperuser, the admin's "Add user", allauth, importers calling
        # create_user), and the user model is Django's, so no manager or save() of ours runs.
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_save

        post_save.connect(
            _profile_for_new_user,
            sender=get_user_model(),
            dispatch_uid="communities.profile_for_new_user",
        )


def _profile_for_new_user(sender, instance, created, raw=False, **kwargs):
    """Give every new user a profile (fixtures, loaded raw, bring their own rows)."""
    if created and not raw:
        from communities.services import profile_for

        profile_for(instance)
