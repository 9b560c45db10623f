"""allauth integration: account mail goes through the outbox and Celery."""

from allauth.account.adapter import DefaultAccountAdapter

from core.email import email_queue


class PracticaAccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        message = self.render_mail(template_prefix, email, context)
        email_queue(message=message)
