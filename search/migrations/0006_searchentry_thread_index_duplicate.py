"""Drop the entry table's second index on ``thread_id``.

``SearchEntry.Meta`` declared ``Index(fields=["thread"])`` while the foreign key already has its
own index on the same single column (``search_searchentry_thread_id_…``, db_index=True): two
identical b-trees, both written on every entry write, one never chosen over the other. The
foreign key's index stays (cascades and ``thread_changed`` read by thread).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("search", "0005_search_match_gin_pending_list")]

    operations = [
        migrations.RemoveIndex(model_name="searchentry", name="search_sear_thread__d83ae5_idx")
    ]
