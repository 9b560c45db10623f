"""The JSON API, version 1: ``/api/v1/``, its OpenAPI 3 schema at ``/api/v1/openapi.json``
and its interactive documentation at ``/api/v1/docs`` (Swagger UI from django-ninja's own
static files: nothing from a CDN)."""

from django.http import HttpRequest
from django.utils.cache import patch_vary_headers
from ninja import NinjaAPI, Router

from api import permissions as api_permissions
from api.v1 import (
    communities,
    events,
    flags,
    library,
    links,
    metrics,
    moderation,
    notifications,
    schemas,
    search,
    threads,
    webhooks,
)
from api.v1.auth import AUTH, CallerThrottle
from api.v1.common import READ, caller_for, errors
from api.v1.errors import StrictJsonParser, install

DESCRIPTION = """
Read and write what members do in the browser, through the same permission checks.

**Authentication**: send a personal access token (create one under *Settings → Access
tokens*) as `Authorization: Bearer pra_…`; or, from the site's own pages, the session cookie
with the `X-CSRFToken` header on calls that change things. Without either, you read what a
visitor reads. A token has scopes: `read`, `write`, `moderate`.

**Errors** always look like `{"error": {"code": "…", "message": "…", "fields": {…}}}`:
400 bad input (nothing was written), 401 no or bad credentials, 403 refused, 404 not found or
not yours to see (as on the web: hidden and missing look the same), 429 too many calls (wait
`Retry-After` seconds).

**Lists** are paginated by cursor: pass `next_cursor` back as `cursor` until it is null.
**Details** send an `ETag`; send it back in `If-None-Match` for a bodiless 304.
"""


class PracticaAPI(NinjaAPI):
    def create_response(self, request, data, *args, **kwargs):
        response = super().create_response(request, data, *args, **kwargs)
        # Every answer depends on who asks: no shared cache may hand it to someone else.
        response.setdefault("Cache-Control", "private, no-cache")
        patch_vary_headers(response, ("Authorization", "Cookie"))
        return response

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        links.add_links(schema)
        # Anonymous calls read what visitors read: say that no credentials is also allowed.
        for path in schema["paths"].values():
            for operation in path.values():
                if isinstance(operation, dict) and "security" in operation:
                    operation["security"].append({})
        return schema


api = PracticaAPI(
    title="Practica API",
    version="1",
    description=DESCRIPTION,
    auth=AUTH,
    throttle=[CallerThrottle()],
    parser=StrictJsonParser(),
    urls_namespace="api_v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
)
install(api)

me = Router(tags=["me"])


@me.get(
    "/me",
    response={200: schemas.Me, **errors(400, 401, 403, 429)},
    summary="Who the call is made as",
)
def whoami(request: HttpRequest):
    caller = caller_for(request, READ)
    user = caller.user
    api_permissions.require_signed_in(caller=caller)
    profile = getattr(user, "profile", None)
    return {
        "username": user.username,
        "name": (profile.display_name if profile else "") or user.username,
        "scopes": sorted(caller.scopes),
        "token": f"pra_{caller.token.prefix}" if caller.token else None,
    }


api.add_router("", me)
api.add_router("", communities.router)
api.add_router("", threads.router)
api.add_router("", search.router)
api.add_router("", notifications.router)
api.add_router("", events.router)
api.add_router("", library.router)
api.add_router("", metrics.router)
api.add_router("", flags.router)
api.add_router("", moderation.router)
api.add_router("", webhooks.router)
