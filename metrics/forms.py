from django import forms

from communities.models import ProfessionalGroup
from metrics.models import Level, Trajectory


class MemberFilterForm(forms.Form):
    """Filters of the moderator's levels table; every field optional, junk is ignored."""

    q = forms.CharField(label="Name", required=False, max_length=80)
    level = forms.ChoiceField(
        label="Level", required=False, choices=[("", "Any level"), *Level.choices]
    )
    trajectory = forms.ChoiceField(
        label="Trajectory",
        required=False,
        choices=[("", "Any trajectory")]
        + [(value, label) for value, label in Trajectory.choices if value],
    )
    group = forms.ModelChoiceField(
        label="Professional group",
        required=False,
        queryset=ProfessionalGroup.objects.all(),
        empty_label="Any group",
    )
    order = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=[
            ("level", "Level"),
            ("betweenness", "Betweenness"),
            ("ties", "Strong ties"),
            ("active_days", "Active days"),
        ],
    )
