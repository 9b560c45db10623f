"""Evidence, promotion, the content-health queue and who-knows-what (namespace "knowledge")."""

from django.urls import path

from knowledge.views import evidence, experts, health, promotion

urlpatterns = [
    path("c/<slug:slug>/library/health/", health.health_view, name="health"),
    path(
        "c/<slug:slug>/library/<int:item_id>/evidence/",
        evidence.evidence_report_view,
        name="evidence_report",
    ),
    path("c/<slug:slug>/experts/", experts.experts_view, name="experts"),
    path(
        "c/<slug:slug>/t/<int:thread_id>/promote/",
        promotion.promote_thread_view,
        name="promote_thread",
    ),
    path(
        "c/<slug:slug>/p/<int:post_id>/promote/", promotion.promote_post_view, name="promote_post"
    ),
]
