from django.apps import AppConfig


class ImportersConfig(AppConfig):
    """Bring a community's history in: Stack Exchange data dumps and mailing-list archives."""

    name = "importers"
    verbose_name = "Importers"

    def ready(self):
        # Imported here, as in every ready(): these modules import models.
        from allauth.account.signals import email_confirmed  # noqa: PLC0415

        from communities.interactions import register_non_person_source  # noqa: PLC0415
        from importers.mbox_import import placeholders_claim  # noqa: PLC0415
        from importers.selectors import non_person_ids, thread_attribution  # noqa: PLC0415
        from practice.selectors.threads import ThreadPanel, register_thread_panel  # noqa: PLC0415

        # A rebuild of the interaction log leaves out imported accounts that stand for no one,
        # as the imports themselves do.
        register_non_person_source("importers", non_person_ids)
        register_thread_panel(
            ThreadPanel(
                name="importers",
                data=thread_attribution,
                templates={"header": "importers/thread_panels/attribution.html"},
            )
        )

        # allauth's own signal (no model signal of ours): a person who verifies an address
        # gets the mailing-list placeholders of that address, in every community.
        def claim_placeholders(sender, request=None, email_address=None, **kwargs):
            if email_address is not None:
                placeholders_claim(user=email_address.user, email=email_address.email)

        email_confirmed.connect(
            claim_placeholders, weak=False, dispatch_uid="importers.claim_placeholders"
        )
