"""allauth integration: Practica's forms, the signup in one transaction, account mail via the
outbox."""

from allauth import app_settings as allauth_settings
from allauth.account import forms as allauth_forms
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.db import transaction

from core.email import email_queue


class PracticaAccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        """Save the new user in one transaction with their profile (communities' post_save
        receiver creates it when the user row is inserted)."""
        if not commit:
            return super().save_user(request, user, form, commit=False)
        with transaction.atomic():
            return super().save_user(request, user, form, commit=True)

    def get_client_ip(self, request):
        """The client's address, as allauth finds it; for a request made inside the process
        (a test client's or a command's sign-in, which carries no REMOTE_ADDR and no proxy
        header) the loopback address rather than allauth's refusal. A request from outside
        always has REMOTE_ADDR, and a misconfigured proxy header is still refused."""
        internal = not (
            request.META.get("REMOTE_ADDR")
            or allauth_settings.TRUSTED_CLIENT_IP_HEADER
            or request.headers.get("x-forwarded-for")
        )
        if internal:
            return "127.0.0.1"
        return super().get_client_ip(request)

    def send_mail(self, template_prefix, email, context):
        """Queue the mail in the outbox; a Celery task sends it after the transaction commits."""
        # The same context allauth's own send_mail builds, so its templates find the site.
        # allauth sends some notices after commit (two-factor changes), where its request
        # context has ended: the adapter keeps the request it was made for.
        request = allauth_context.request or self.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        email_queue(message=message)


class VisibleLabelsMixin:
    """Show visible, sentence-case labels without allauth's placeholders.

    A grey placeholder repeating the label only looks like a value already typed in.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.pop("placeholder", None)
            # allauth's labels are title case ("New Password"); Practica writes sentence case.
            if field.label:
                label = str(field.label)
                field.label = label[:1].upper() + label[1:].lower()


class LoginForm(VisibleLabelsMixin, allauth_forms.LoginForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "Username or email"
        if "remember" in self.fields:
            self.fields["remember"].label = "Keep me logged in on this device"


class SignupForm(VisibleLabelsMixin, allauth_forms.SignupForm):
    pass


class AddEmailForm(VisibleLabelsMixin, allauth_forms.AddEmailForm):
    pass


class ChangePasswordForm(VisibleLabelsMixin, allauth_forms.ChangePasswordForm):
    pass


class SetPasswordForm(VisibleLabelsMixin, allauth_forms.SetPasswordForm):
    pass


class ResetPasswordForm(VisibleLabelsMixin, allauth_forms.ResetPasswordForm):
    pass


class ResetPasswordKeyForm(VisibleLabelsMixin, allauth_forms.ResetPasswordKeyForm):
    pass
