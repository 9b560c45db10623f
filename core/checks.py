"""System checks for what a deployment must have done before it serves a page."""

import os

from django.conf import STATICFILES_STORAGE_ALIAS, settings
from django.contrib.staticfiles.finders import get_finders
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.checks import Error, register
from django.core.files.storage import storages
from django.utils.module_loading import import_string

COLLECTSTATIC = "Run `python manage.py collectstatic --noinput` with the production settings."
# collectstatic's own defaults: files it never copies cannot be missing from the manifest.
IGNORED_STATIC = ["CVS", ".*", "*~"]
NAMED_AT_MOST = 5


def uses_static_manifest() -> bool:
    """Return whether static files are served by hashed name from a collected manifest."""
    backend = import_string(storages.backends[STATICFILES_STORAGE_ALIAS]["BACKEND"])
    return issubclass(backend, ManifestFilesMixin)


def static_manifest_problem() -> str | None:
    """Return why pages cannot name their static files, or None when they can."""
    if not uses_static_manifest():
        return None
    try:
        if staticfiles_storage.read_manifest() is None:
            return (
                f"The static files manifest ({staticfiles_storage.manifest_name}) is missing "
                f"from STATIC_ROOT ({settings.STATIC_ROOT}): every page would answer 500."
            )
        listed, _hash = staticfiles_storage.load_manifest()
    except ValueError as exc:  # the storage loads the manifest when it is first used
        return f"The static files manifest cannot be read ({exc})."
    missing = sorted(set(_found_static_files()) - set(listed))
    if missing:
        more = ", ..." if len(missing) > NAMED_AT_MOST else ""
        named = ", ".join(missing[:NAMED_AT_MOST]) + more
        return (
            f"{len(missing)} static file(s) are not in the manifest ({named}): collectstatic "
            "has not run since they were added, and pages that use them would answer 500."
        )
    return None


def _found_static_files():
    for finder in get_finders():
        for path, storage in finder.list(IGNORED_STATIC):
            prefix = getattr(storage, "prefix", None)
            name = os.path.join(prefix, path) if prefix else path
            yield name.replace(os.sep, "/")


# No tag on purpose: collectstatic runs only the checks tagged "staticfiles", so this one cannot
# stop the command that fixes what it reports; every other command that runs checks (check,
# check --deploy, migrate, runserver, createsuperuser) fails with it.
@register()
def static_files_collected(app_configs, **kwargs):
    """Fail when the hashed static files storage has no manifest to serve from."""
    problem = static_manifest_problem()
    if problem is None:
        return []
    return [Error(problem, hint=COLLECTSTATIC, id="core.E001")]
