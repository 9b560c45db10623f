from django import forms
from taggit.forms import TagField

from communities.models import Invitation, Membership, ProfessionalGroup, Profile


class DirectorySearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search communities")


class MemberFilterForm(forms.Form):
    tag = forms.CharField(required=False, max_length=100, label="Expertise")
    group = forms.ModelChoiceField(
        queryset=ProfessionalGroup.objects.all(),
        required=False,
        to_field_name="slug",
        label="Professional group",
        empty_label="Any group",
    )
    q = forms.CharField(required=False, max_length=100, label="Name")


class JoinRequestForm(forms.Form):
    message = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="A note for the moderators",
        help_text="Say who you are and why you want to join.",
    )


class DecisionForm(forms.Form):
    message = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Message to the applicant (optional)",
    )


class BanForm(forms.Form):
    reason = forms.CharField(required=False, max_length=500, label="Reason (kept in the history)")


class InvitationForm(forms.ModelForm):
    days = forms.IntegerField(min_value=1, max_value=90, initial=14, label="Valid for (days)")

    class Meta:
        model = Invitation
        fields = ["note", "max_uses"]
        labels = {"note": "Who is it for? (only moderators see this)", "max_uses": "Uses"}
        widgets = {"max_uses": forms.NumberInput(attrs={"min": 1, "max": 500})}

    def clean_max_uses(self):
        value = self.cleaned_data["max_uses"]
        if not 1 <= value <= 500:
            raise forms.ValidationError("An invitation can be used between 1 and 500 times.")
        return value


class ProfileForm(forms.ModelForm):
    expertise = TagField(
        required=False,
        label="Expertise",
        help_text="Comma-separated topics you know about, e.g. pressure ulcers, triage.",
    )

    class Meta:
        model = Profile
        fields = [
            "display_name",
            "occupation",
            "professional_group",
            "organisation",
            "location",
            "bio",
            "details_visible_to",
            "dashboard_naming",
        ]
        widgets = {"bio": forms.Textarea(attrs={"rows": 4})}
        labels = {"details_visible_to": "Who sees these details"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left out of a submitted form (an older page, a script), the choice stays as it was.
        self.fields["dashboard_naming"].required = False

    def clean_dashboard_naming(self):
        return self.cleaned_data["dashboard_naming"] or self.instance.dashboard_naming

    def clean_expertise(self):
        tags = self.cleaned_data["expertise"]
        if len(tags) > 20:
            raise forms.ValidationError("List at most 20 topics.")
        for tag in tags:
            if len(tag) > 50:
                raise forms.ValidationError(f"“{tag[:20]}…” is too long: 50 characters at most.")
        return tags


MEMBERSHIP_STATE_LABELS = dict(Membership.State.choices)


class AvatarForm(forms.Form):
    """A member's picture; communities.avatars checks and processes the file."""

    avatar = forms.FileField(
        label="Upload a picture",
        help_text="PNG, JPEG, GIF or WebP, up to 5 MB. It is cropped to a square.",
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
    )
