"""notifications URLs (filled by the practice issue work)."""

urlpatterns = []
