"""The authentication backends, loading each request's user with their profile.

The header names the signed-in member by their display name (``communities.models.
display_name``), which lives on the profile: loading it in the same query as the user keeps
every page's query count as it was. Otherwise they are Django's and allauth's backends.
"""

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


def _user_with_profile(backend, user_id):
    # Not .first(): ordering one row by its primary key only costs composing the ORDER BY.
    found = get_user_model()._default_manager.select_related("profile").filter(pk=user_id)[:1]
    user = next(iter(found), None)
    return user if user is not None and backend.user_can_authenticate(user) else None


class ProfileLoadingModelBackend(ModelBackend):
    def get_user(self, user_id):
        return _user_with_profile(self, user_id)


class ProfileLoadingAllauthBackend(AuthenticationBackend):
    def get_user(self, user_id):
        return _user_with_profile(self, user_id)
