"""One display name everywhere (issue #13, item 5): the function, and the places that once
wrote the username where the thread shows the display name."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.template import Context, Template

from communities import services
from communities.models import Profile, display_name
from notifications.email import Delivery
from notifications.models import Notification, NotificationPreference
from tests.factories import UserFactory
from tests.practice.factories import answer, ask, member_of

pytestmark = pytest.mark.django_db
User = get_user_model()


def named(user, name: str):
    services.profile_update(profile=services.profile_for(user), display_name=name)
    return User.objects.select_related("profile").get(pk=user.pk)


def test_display_name_is_the_profile_name_else_the_username():
    sam = named(UserFactory(username="sam"), "Sam Rivera")
    assert display_name(sam) == "Sam Rivera"
    plain = UserFactory(username="plain")
    assert display_name(User.objects.get(pk=plain.pk)) == "plain"
    assert display_name(None) == ""


def test_display_name_without_a_profile_row_is_the_username():
    ghost = UserFactory(username="ghost")
    Profile.objects.filter(user=ghost).delete()
    assert display_name(User.objects.get(pk=ghost.pk)) == "ghost"


def test_display_name_filter_is_the_same_function():
    sam = named(UserFactory(username="sam"), "Sam <Rivera>")
    rendered = Template("{% load people %}{{ u|display_name }}").render(Context({"u": sam}))
    assert rendered == "Sam &lt;Rivera&gt;"  # escaped like any text


def test_reply_notification_and_email_use_the_display_name(
    open_community, django_capture_on_commit_callbacks
):
    # The thread showed "Sam Rivera" where the notification said "sam answered".
    asker = named(member_of(open_community), "Ada Lovelace")
    sam = named(member_of(open_community, username="sam"), "Sam Rivera")
    NotificationPreference.objects.create(
        user=asker, kind=Notification.Kind.REPLY, delivery=Delivery.IMMEDIATE
    )
    thread = ask(open_community, asker, title="Heel dressings")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answer(thread, sam)
    note = Notification.objects.get(recipient=asker)
    assert note.text == "Sam Rivera answered “Heel dressings”"
    bodies = [m.body for m in mail.outbox if asker.email in m.to]
    assert bodies and bodies[0].startswith("Hello Ada Lovelace,")
    assert "Sam Rivera answered" in bodies[0]
