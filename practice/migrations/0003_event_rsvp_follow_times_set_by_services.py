"""Event, RSVP and Follow times are set by the services (``at=``, or now) instead of auto_now.

Only the Python side changes (a default instead of auto_now/auto_now_add): ``sqlmigrate`` on
PostgreSQL shows a no-op, while SQLite would copy each table for nothing, so the database is
left alone.
"""

import django.utils.timezone
from django.db import migrations, models


def _set_by_services():
    return models.DateTimeField(blank=True, default=django.utils.timezone.now, editable=False)


class Migration(migrations.Migration):
    dependencies = [
        ("practice", "0002_notifications_move_out"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField("event", "created_at", _set_by_services()),
                migrations.AlterField("event", "updated_at", _set_by_services()),
                migrations.AlterField("follow", "created_at", _set_by_services()),
                migrations.AlterField("rsvp", "created_at", _set_by_services()),
            ],
            database_operations=[],
        ),
    ]
