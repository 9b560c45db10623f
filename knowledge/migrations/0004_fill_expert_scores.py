"""Fill the stored expert scores from the existing threads, posts and items.

It calls the service with the current models: it reads only columns that exist at this point
(threads, posts, items, their tags and credits). Should a later migration rename one of them,
make this a no-op (``manage.py experts_fill`` does the same work).
"""

from django.db import migrations

from knowledge.services.experts import experts_fill


def fill(apps, schema_editor):
    experts_fill()


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0003_expert_scores"),
        ("practice", "0003_event_rsvp_follow_times_set_by_services"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop, elidable=True)]
