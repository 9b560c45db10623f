"""The notification models in the Django admin."""

import pytest
from django.urls import reverse

from tests.factories import make_admin
from tests.practice.factories import answer, ask, member_of

pytestmark = pytest.mark.django_db


# Moved from tests/practice/test_moderation.py with the models (the "notification" case).
@pytest.mark.parametrize("model", ["notification", "notificationpreference", "digestsubscription"])
def test_admin_changelists_of_notification_models_render(client, open_community, model):
    asker, helper = member_of(open_community), member_of(open_community)
    answer(ask(open_community, asker), helper)
    client.force_login(make_admin())
    response = client.get(reverse(f"admin:notifications_{model}_changelist"), {"q": "foam"})
    assert response.status_code == 200
