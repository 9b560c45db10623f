from django.urls import path, register_converter

from communities import avatar_views, views


class DecisionConverter:
    regex = "approve|decline"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(DecisionConverter, "decision")

app_name = "communities"

urlpatterns = [
    path("", views.directory_view, name="directory"),
    path("c/<slug:slug>/", views.community_home_view, name="home"),
    path("c/<slug:slug>/join/", views.join_view, name="join"),
    path("c/<slug:slug>/request/", views.request_view, name="request"),
    path("c/<slug:slug>/leave/", views.leave_view, name="leave"),
    path("c/<slug:slug>/members/", views.members_view, name="members"),
    path("c/<slug:slug>/moderate/", views.moderate_view, name="moderate"),
    path(
        "c/<slug:slug>/moderate/requests/<int:membership_id>/<decision:decision>/",
        views.decide_view,
        name="decide",
    ),
    path("c/<slug:slug>/moderate/ban/<int:membership_id>/", views.ban_view, name="ban"),
    path("c/<slug:slug>/moderate/unban/<int:membership_id>/", views.unban_view, name="unban"),
    path(
        "c/<slug:slug>/moderate/invitations/",
        views.invitation_create_view,
        name="invitation_create",
    ),
    path(
        "c/<slug:slug>/moderate/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke_view,
        name="invitation_revoke",
    ),
    path("invite/<str:token>/", views.invitation_view, name="invitation"),
    path("u/<str:username>/", views.profile_view, name="profile"),
    path("profile/edit/", views.profile_edit_view, name="profile_edit"),
    path("profile/avatar/", avatar_views.profile_avatar_view, name="profile_avatar"),
    path("avatars/<str:name>", avatar_views.avatar_view, name="avatar"),
]
