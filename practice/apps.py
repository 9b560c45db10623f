from django.apps import AppConfig


class PracticeConfig(AppConfig):
    """Questions, answers, discussions, stories, follows, notifications, events, moderation."""

    name = "practice"

    def ready(self):
        from communities.interactions import register_interaction_source
        from practice import interaction_sources as sources

        for name in ("posts", "accepts", "votes", "adoption", "mentions", "attendance"):
            register_interaction_source(f"practice.{name}", getattr(sources, f"{name}_source"))
