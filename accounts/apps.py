from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Sign-in security: two-factor policy, the member's security log, active sessions."""

    name = "accounts"
    verbose_name = "Sign-in security"

    def ready(self):
        # allauth and django.contrib.auth announce sign-ins and account changes only by
        # signals; the receivers turn each into one security-log row.
        from accounts import receivers  # noqa: PLC0415

        receivers.connect()
