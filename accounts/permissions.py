"""Who may do what with account data: only the member, with their own."""

from django.http import Http404
from django.utils import timezone

from accounts.models import DataExport


def access_data_export_file(user, export_id: int) -> DataExport:
    """The member's own ready, unexpired export; 404 for anything else (another member's export
    and a missing one look the same)."""
    export = (
        DataExport.objects.filter(
            pk=export_id,
            user_id=user.pk,
            status=DataExport.Status.READY,
            expires_at__gt=timezone.now(),
        )
        .exclude(file_name="")
        .first()
    )
    if export is None:
        raise Http404("No such archive.")
    return export
