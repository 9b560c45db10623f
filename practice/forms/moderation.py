"""Forms of the moderation pages: flags, moderator actions and the audit log filter."""

from django import forms

from communities.models import Community
from practice.models import Flag, ModerationAction

REASON_MAX_LENGTH = 500


class FlagForm(forms.Form):
    reason = forms.ChoiceField(
        choices=Flag.Reason.choices,
        widget=forms.RadioSelect,
        label="What is wrong with it?",
        error_messages={"required": "Choose a reason.", "invalid_choice": "Choose a reason."},
    )
    note = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="A note for the moderators",
        help_text="Only moderators see it. Up to 500 characters.",
    )


class ActionForm(forms.Form):
    """An optional reason, written to the audit log with the action."""

    reason = forms.CharField(
        required=False,
        max_length=REASON_MAX_LENGTH,
        label="Reason",
        help_text="Kept in the moderation log.",
    )


class MoveForm(ActionForm):
    to = forms.ModelChoiceField(
        queryset=Community.objects.all(),
        to_field_name="slug",
        label="Move to",
        empty_label=None,
        error_messages={"invalid_choice": "Choose a community you moderate."},
    )

    def __init__(self, *args, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        # The select offers only the communities the moderator moderates; any existing community
        # validates here so that the service, not the form, refuses the others (a 403).
        self.fields["to"].widget.choices = [(c.slug, c.name) for c in targets]


class LogFilterForm(forms.Form):
    action = forms.ChoiceField(
        required=False,
        choices=[("", "Every action"), *ModerationAction.Action.choices],
        label="Action",
    )
