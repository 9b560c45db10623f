from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The JSON API (``/api/v1/``) and the personal access tokens that open it.

    A layer above the content apps and below ``demo``: every read goes through their
    selectors and ``permissions`` modules, every write through their services; this app
    decides only who the caller is (token or session), which scopes the caller holds, and
    how answers, errors and pages look on the wire.
    """

    name = "api"
    verbose_name = "API"
