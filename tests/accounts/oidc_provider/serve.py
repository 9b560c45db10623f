"""Start the test OpenID Connect provider: migrate its SQLite file (OIDC_PROVIDER_DB), add the
users and the client of the JSON document given as the first argument, serve on a free
loopback port and print that port on one line.

    python -m tests.accounts.oidc_provider.serve '{"redirect_uri": ..., "client_id": ...,
        "client_secret": ..., "users": [{"username": ..., "password": ..., "email": ...,
        "first_name": ..., "last_name": ..., "email_verified": true}]}'
"""

import json
import os
import sys

import django

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.accounts.oidc_provider.settings"
django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.servers.basehttp import (  # noqa: E402
    ThreadedWSGIServer,
    WSGIRequestHandler,
    get_internal_wsgi_application,
)
from oauth2_provider.models import Application  # noqa: E402

from tests.accounts.oidc_provider.validator import UNVERIFIED_GROUP  # noqa: E402


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


def setup(config: dict) -> None:
    call_command("migrate", verbosity=0, interactive=False)
    unverified = Group.objects.create(name=UNVERIFIED_GROUP)
    for person in config["users"]:
        user = User.objects.create_user(
            username=person["username"],
            password=person["password"],
            email=person["email"],
            first_name=person.get("first_name", ""),
            last_name=person.get("last_name", ""),
        )
        if not person.get("email_verified", True):
            user.groups.add(unverified)
    Application.objects.create(
        name="Practica",
        client_id=config["client_id"],
        client_secret=config["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(config["redirect_uris"]),
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )


def main() -> None:
    setup(json.loads(sys.argv[1]))
    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler)
    server.set_app(get_internal_wsgi_application())
    print(server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
