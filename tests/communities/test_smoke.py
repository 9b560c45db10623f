import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_directory_lists_communities(client, open_community, private_community):
    response = client.get(reverse("communities:directory"))
    assert response.status_code == 200
    assert b"Wound care nurses" in response.content
    assert b"SRE circle" in response.content


def test_private_home_hides_about(client, private_community):
    response = client.get(private_community.get_absolute_url())
    assert response.status_code == 200
    assert b"CANARY" not in response.content
