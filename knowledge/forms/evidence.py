"""The "I used this" form. It only shapes input; the evidence service validates and decides."""

from django import forms

from knowledge.models import NOTE_MAX_LENGTH, Evidence


class EvidenceForm(forms.Form):
    outcome = forms.ChoiceField(
        label="How did it go?",
        choices=[
            (Evidence.Outcome.WORKED, "It worked"),
            (Evidence.Outcome.PARTLY, "It partly worked"),
            (Evidence.Outcome.FAILED, "It did not work"),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose how it went: worked, partly or did not work.",
            "invalid_choice": "Choose how it went: worked, partly or did not work.",
        },
    )
    note = forms.CharField(
        label="What was your context?",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Where and with whom you used it, what you changed, what got in the way. "
        "Others weigh your report by it.",
    )
