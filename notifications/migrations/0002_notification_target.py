import django.db.models.deletion
from django.db import migrations, models


# Step 1 of 3 (the generic target): the new columns and their index, empty. The data moves in
# 0003 and the old foreign keys go in 0004, each in its own transaction: on PostgreSQL a table
# cannot be altered in the transaction that updated its rows (pending foreign-key checks).
class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('notifications', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='notification',
            name='target_id',
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='notification',
            name='target_type',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='contenttypes.contenttype'),
        ),
        migrations.AddIndex(
            model_name='notification',
            index=models.Index(fields=['target_type', 'target_id'], name='notification_target'),
        ),
    ]
