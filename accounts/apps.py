from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Sign-in security: two-factor policy, the member's security log, active sessions."""

    name = "accounts"
    verbose_name = "Sign-in security"

    def ready(self):
        # allauth and django.contrib.auth announce sign-ins and account changes only by
        # signals; the receivers turn each into one security-log row. The tasks register in
        # every process, web included (services enqueue them by name).
        from accounts import receivers, sso, tasks  # noqa: F401, PLC0415
        from accounts.closure import register_account_eraser  # noqa: PLC0415
        from accounts.data_export import account_section, register_export_section  # noqa: PLC0415

        receivers.connect()
        register_export_section("account", account_section)
        # Single sign-on: linking is logged, exported and erased like the rest of the account.
        sso.connect()
        register_export_section("single_sign_on", sso.export_section)
        register_account_eraser(sso.erase)
