from django.apps import AppConfig


class SearchConfig(AppConfig):
    """One search across threads, posts, repertoire items and members' expertise."""

    name = "search"
