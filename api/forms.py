from django import forms
from django.utils import timezone

from api.models import AccessToken, WebhookEndpoint


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        max_length=80,
        label="Name",
        help_text="What the token is for, so you know which to revoke (e.g. “team chat bot”).",
    )
    scopes = forms.MultipleChoiceField(
        choices=AccessToken.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[AccessToken.Scope.READ],
        label="Scopes",
        help_text="A token can never do more than you can; scopes narrow it further.",
    )
    expires_at = forms.DateField(
        required=False,
        label="Expires on",
        help_text="Leave empty for a token that lasts until you revoke it (at most a year ahead).",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def expiry(self):
        day = self.cleaned_data.get("expires_at")
        if day is None:
            return None
        return timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()))


class WebhookCreateForm(forms.Form):
    url = forms.URLField(
        max_length=500,
        label="Payload URL",
        assume_scheme="https",
        help_text="A public http(s) address that accepts a JSON POST.",
    )
    events = forms.MultipleChoiceField(
        choices=WebhookEndpoint.Event.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Events",
        help_text="Only what the community's members see is sent: nothing hidden or unpublished.",
    )
    description = forms.CharField(
        max_length=100, required=False, label="Description", help_text="What it feeds (optional)."
    )
