from django import forms
from django.utils import timezone

from api.models import AccessToken


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
