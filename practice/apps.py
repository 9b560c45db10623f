from django.apps import AppConfig


class PracticeConfig(AppConfig):
    """Questions, answers, discussions, stories, follows, notifications, events, moderation."""

    name = "practice"

    def ready(self):
        from communities.interactions import register_interaction_source
        from communities.panels import HomePanel, register_home_panel
        from practice import interaction_sources as sources
        from practice.panels import community_follow_panel

        for name in ("posts", "accepts", "votes", "adoption", "mentions", "attendance"):
            register_interaction_source(f"practice.{name}", getattr(sources, f"{name}_source"))
        register_home_panel(
            HomePanel(
                name="practice.follow",
                template="practice/follows/community_panel.html",
                data=community_follow_panel,
            )
        )
