from django.db import migrations


# Step 3 of 3: the foreign keys to practice go (with their indexes). From here on
# notifications' state names no model above it; 0001 keeps its dependency on practice.0001,
# which created this table before the models moved here.
class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0003_notification_target_data'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='notification',
            name='event',
        ),
        migrations.RemoveField(
            model_name='notification',
            name='post',
        ),
        migrations.RemoveField(
            model_name='notification',
            name='thread',
        ),
    ]
