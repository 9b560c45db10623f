import pytest
from django.core.management import call_command
from django.test import override_settings

# Static files as production serves them (config/settings/production.py); other files in memory,
# as in the rest of the tests.
PRODUCTION_STATIC_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.fixture(scope="session")
def collected_static_root(tmp_path_factory):
    """Return a STATIC_ROOT that collectstatic filled as in production, once per test run."""
    root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STATIC_ROOT=root, STORAGES=PRODUCTION_STATIC_STORAGES):
        # skip_checks=False: the command runs its own checks, as from the shell, and the
        # static files check must not stop the one command that fixes what it reports.
        call_command("collectstatic", interactive=False, verbosity=0, skip_checks=False)
    return root
