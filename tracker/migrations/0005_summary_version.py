import uuid

from django.db import migrations, models


def create_the_row(apps, schema_editor):
    apps.get_model("tracker", "SummaryVersion").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0004_commitment_made_on_id_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="SummaryVersion",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("token", models.UUIDField(default=uuid.uuid4)),
            ],
        ),
        migrations.RunPython(create_the_row, migrations.RunPython.noop),
    ]
