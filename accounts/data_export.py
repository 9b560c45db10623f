"""What a member's data export contains: each app registers the sections it owns.

``register_export_section(name, collect)``: *collect(user)* returns JSON-able data about the
member (lists of rows made by ``rows``), from the app that owns the tables. ``register_export_files
(collect)``: *collect(user)* yields ``(name in the archive, open())`` pairs for the member's own
files. Apps register from ``AppConfig.ready()``; ``build_archive`` asks every registered app.

The archive names nobody but the member: ``rows`` leaves out every reference to a user account
(the member's own rows need none, and other people's ids are theirs); where another person is
part of the member's data (ties, interactions) the owning app writes a pseudonym instead.
"""

import json
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

FORMAT_VERSION = 1


@dataclass(frozen=True)
class _Section:
    name: str
    collect: Callable


_sections: dict[str, _Section] = {}
_file_sources: list[Callable] = []


def register_export_section(name: str, collect: Callable) -> None:
    _sections[name] = _Section(name, collect)


def register_export_files(collect: Callable) -> None:
    if collect not in _file_sources:
        _file_sources.append(collect)


def _is_user_reference(field) -> bool:
    return (
        isinstance(field, models.ForeignKey)
        and field.related_model._meta.label == settings.AUTH_USER_MODEL
    )


def rows(queryset, *, exclude: Iterable[str] = ()) -> list[dict]:
    """The rows of *queryset* as dicts of their own columns, without references to accounts
    (a foreign key to another model is kept as its id, named ``<field>_id``)."""
    model = queryset.model
    skip = set(exclude)
    names = [
        field.attname
        for field in model._meta.concrete_fields
        if field.name not in skip and not _is_user_reference(field)
    ]
    return list(queryset.values(*names))


def collect(user) -> dict:
    """Every registered section's data about *user*."""
    data = {
        "format": FORMAT_VERSION,
        "generated_at": timezone.now(),
        "site": settings.SITE_URL,
    }
    for section in _sections.values():
        data[section.name] = section.collect(user)
    return data


def build_archive(user, path) -> int:
    """Write the member's archive (``practica-data.json`` and their files) to *path*; return
    the number of files added beside the JSON."""
    files = 0
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "practica-data.json",
            json.dumps(collect(user), cls=DjangoJSONEncoder, indent=1, ensure_ascii=False),
        )
        seen = set()
        for source in _file_sources:
            for name, opener in source(user):
                if name in seen:
                    continue
                seen.add(name)
                with opener() as handle, archive.open(f"files/{name}", "w") as out:
                    while chunk := handle.read(1 << 20):
                        out.write(chunk)
                files += 1
    return files


def account_section(user) -> dict:
    """The account itself: names, addresses, sign-in history."""
    from_user = {
        "id": user.pk,
        "username": user.get_username(),
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
    }
    return {
        "user": from_user,
        "email_addresses": list(
            user.emailaddress_set.values("email", "verified", "primary").order_by("email")
        ),
        "security_events": rows(user.security_events.order_by("at", "id")),
        "data_exports": rows(user.data_exports.order_by("requested_at", "id")),
    }
