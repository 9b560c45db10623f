"""Give every existing user without a profile an empty one.

Users made before profiles were created for every new user (createsuperuser, the admin's "Add
user", create_user) have none; from now on CommunitiesConfig.ready gives each new user one.
"""

from django.conf import settings
from django.db import migrations

# Rows per insert: small enough for any database's parameter limit, few round trips.
BATCH_SIZE = 500


def create_missing_profiles(apps, schema_editor):
    app_label, model_name = settings.AUTH_USER_MODEL.split(".")
    User = apps.get_model(app_label, model_name)
    Profile = apps.get_model("communities", "Profile")
    missing = User.objects.filter(profile__isnull=True).order_by("pk").values_list("pk", flat=True)
    ids = list(missing)
    for start in range(0, len(ids), BATCH_SIZE):
        Profile.objects.bulk_create(
            [Profile(user_id=pk) for pk in ids[start : start + BATCH_SIZE]],
            ignore_conflicts=True,  # a profile made meanwhile (a signup) is kept as it is
        )


class Migration(migrations.Migration):
    dependencies = [
        ("communities", "0003_profile_details_include_expertise"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(create_missing_profiles, migrations.RunPython.noop),
    ]
