from django.apps import AppConfig


class PracticeConfig(AppConfig):
    """Questions, answers, discussions, stories, follows, events, moderation."""

    name = "practice"

    def ready(self):
        # The member's data export and account closure (accounts): this app's part.
        from accounts.closure import register_account_eraser  # noqa: PLC0415
        from accounts.data_export import register_export_section  # noqa: PLC0415
        from practice import closure, data_export  # noqa: PLC0415

        register_export_section("practice", data_export.member_section)
        register_account_eraser(closure.erase_member)

        from communities.activity import register_recent_activity, register_since_last_visit
        from communities.interactions import register_interaction_source
        from communities.panels import HomePanel, register_home_panel, register_welcome_panel
        from communities.tabs import CommunityTab, register_community_link, register_community_tab
        from notifications.digests import register_digest_section
        from notifications.settings_panels import SettingsPanel, register_settings_panel
        from practice import activity, digests
        from practice import interaction_sources as sources
        from practice.panels import community_follow_panel, welcome_how_to_ask
        from practice.selectors import follows

        for name in ("posts", "accepts", "votes", "adoption", "mentions", "attendance"):
            register_interaction_source(f"practice.{name}", getattr(sources, f"{name}_source"))
        register_home_panel(
            HomePanel(
                name="practice.follow",
                template="practice/follows/community_panel.html",
                data=community_follow_panel,
            )
        )
        register_welcome_panel(
            HomePanel(
                name="practice.how_to_ask",
                template="practice/welcome/how_to_ask.html",
                data=welcome_how_to_ask,
            )
        )
        register_since_last_visit("practice", activity.since_last_visit)
        register_recent_activity("practice", activity.recent_activity)
        register_community_tab(CommunityTab("threads", "Threads", "practice:thread_list", order=20))
        register_community_tab(CommunityTab("events", "Events", "practice:events", order=60))
        register_community_tab(
            CommunityTab(
                "moderation",
                "Moderation",
                "practice:moderation_queue",
                order=80,
                moderators_only=True,
                active_tabs=("moderation", "moderation_log"),
            )
        )
        for name in ("thread_list", "unanswered", "member_activity"):
            register_community_link(f"practice.{name}", f"practice:{name}")
        register_digest_section("practice.new_threads", digests.new_threads_section)
        register_digest_section("practice.unanswered", digests.unanswered_questions_section)
        register_settings_panel(
            SettingsPanel(
                name="practice.follows",
                template="practice/follows/settings_panel.html",
                data=follows.followed,
            )
        )
