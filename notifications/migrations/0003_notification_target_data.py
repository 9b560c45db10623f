from django.db import migrations
from django.db.models import F, OuterRef, Subquery

# Step 2 of 3: each notice's target is the most specific thing it named: its post if it had
# one (a reply, an answer, a mention, an accepted answer: the thread is the post's), else its
# thread (a new thread), else its event; a membership decision has none. The target models come
# from the old foreign keys themselves, so this file names no app above notifications. At most
# three UPDATEs each way, whatever the number of rows.
OLD_FIELDS = ("post", "thread", "event")  # most specific first


def _target_meta(notification, field):
    return notification._meta.get_field(field).related_model._meta


def targets_from_foreign_keys(apps, schema_editor):
    notification = apps.get_model("notifications", "Notification")
    content_type = apps.get_model("contenttypes", "ContentType")
    done = []
    for field in OLD_FIELDS:
        rows = notification.objects.filter(**{f"{field}__isnull": False})
        rows = rows.filter(**{f"{earlier}__isnull": True for earlier in done})
        done.append(field)
        if not rows.exists():  # a new database: its content types come after migrate
            continue
        meta = _target_meta(notification, field)
        target_type, _ = content_type.objects.get_or_create(
            app_label=meta.app_label, model=meta.model_name
        )
        rows.update(target_type=target_type, target_id=F(f"{field}_id"))


def foreign_keys_from_targets(apps, schema_editor):
    """Back to the three foreign keys; a post's notice names its thread again. A target that no
    longer exists (the old cascade never left one) leaves the keys empty."""
    notification = apps.get_model("notifications", "Notification")
    content_type = apps.get_model("contenttypes", "ContentType")
    for field in OLD_FIELDS:
        meta = _target_meta(notification, field)
        target_type = content_type.objects.filter(
            app_label=meta.app_label, model=meta.model_name
        ).first()
        if target_type is None:
            continue
        related = meta.model
        changes = {f"{field}_id": F("target_id")}
        if field == "post":
            changes["thread_id"] = Subquery(
                related.objects.filter(pk=OuterRef("target_id")).values("thread_id")
            )
        notification.objects.filter(
            target_type=target_type, target_id__in=related.objects.values("pk")
        ).update(**changes)


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0002_notification_target'),
    ]

    operations = [
        migrations.RunPython(targets_from_foreign_keys, foreign_keys_from_targets),
    ]
