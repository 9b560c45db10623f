from django.db import migrations

MOVED = ["notification", "notificationpreference", "digestsubscription"]


def content_types_follow(apps, schema_editor):
    """Relabel the moved models' content types, so admin permissions and log entries follow."""
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not content_type.objects.filter(app_label="notifications", model=model).exists():
            content_type.objects.filter(app_label="practice", model=model).update(
                app_label="notifications"
            )


def content_types_return(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not content_type.objects.filter(app_label="practice", model=model).exists():
            content_type.objects.filter(app_label="notifications", model=model).update(
                app_label="practice"
            )


# Notification, NotificationPreference and DigestSubscription moved to the notifications app with
# their tables (notifications.0001 takes them into its state): practice only forgets them here.
class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("practice", "0001_initial"),
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Notification"),
                migrations.DeleteModel(name="NotificationPreference"),
                migrations.DeleteModel(name="DigestSubscription"),
            ],
            database_operations=[
                migrations.RunPython(content_types_follow, content_types_return, elidable=True)
            ],
        ),
    ]
