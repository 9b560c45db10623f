from django import forms
from django.conf import settings


class AccountCloseForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    posts = forms.ChoiceField(
        label="Your posts",
        choices=[
            ("keep", 'Keep them, shown as written by "A former member"'),
            ("remove", "Remove their text"),
        ],
        initial="keep",
        widget=forms.RadioSelect,
    )
    confirm = forms.BooleanField(
        label="I understand that after the grace period my account cannot be brought back."
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if settings.PRACTICA_CLOSED_ACCOUNT_POSTS != "member_chooses":
            del self.fields["posts"]
        if not user.has_usable_password():
            # Members who only sign in through single sign-on have no password to type: they
            # confirm with their username (and the emailed link still undoes the closure).
            del self.fields["password"]
            self.fields["username"] = forms.CharField(
                label="Your username", help_text=f"Type {user.get_username()} to confirm."
            )
            self.order_fields(["username"])

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if username != self.user.get_username():
            raise forms.ValidationError("That is not your username.")
        return username

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password

    @property
    def remove_posts(self) -> bool:
        return self.cleaned_data.get("posts") == "remove"
