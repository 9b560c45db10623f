"""Forms for notification settings."""

from django import forms

from notifications.email import EMAIL_KINDS
from notifications.models import Notification, NotificationPreference

Delivery = NotificationPreference.Delivery


class NotificationSettingsForm(forms.Form):
    """One choice of email delivery per kind, and the weekly digests of the member's communities."""

    def __init__(
        self, *args, deliveries: dict[str, str], communities, subscribed: set[int], **kwargs
    ):
        super().__init__(*args, **kwargs)
        for kind in EMAIL_KINDS:
            self.fields[f"kind_{kind}"] = forms.ChoiceField(
                label=Notification.Kind(kind).label,
                choices=Delivery.choices,
                widget=forms.RadioSelect,
                initial=deliveries[kind],
            )
        self.fields["digests"] = forms.ModelMultipleChoiceField(
            label="Weekly digest",
            help_text="Once a week: new threads and questions still waiting for an answer.",
            queryset=communities,
            required=False,
            widget=forms.CheckboxSelectMultiple,
            initial=sorted(subscribed),
        )

    def kind_fields(self):
        return [self[f"kind_{kind}"] for kind in EMAIL_KINDS]

    def deliveries(self) -> dict[str, str]:
        return {kind: self.cleaned_data[f"kind_{kind}"] for kind in EMAIL_KINDS}
