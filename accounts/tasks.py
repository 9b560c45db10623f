"""Background tasks of the accounts app: thin, named, idempotent; each calls one service."""

from celery import shared_task
from django.db import OperationalError

from accounts import services


@shared_task(
    name="accounts.build_data_export", autoretry_for=(OperationalError,), retry_backoff=True
)
def build_data_export_task(*, export_id: int) -> bool:
    return services.data_export_build(export_id=export_id)


@shared_task(name="accounts.expire_data_exports")
def expire_data_exports_task() -> int:
    return services.data_exports_expire()


@shared_task(name="accounts.erase_closed_accounts")
def erase_closed_accounts_task() -> int:
    return services.closures_erase_due()
