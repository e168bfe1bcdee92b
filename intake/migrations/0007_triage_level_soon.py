"""Responses can carry the "soon" triage level."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0006_questionnaire_v2"),
    ]

    operations = [
        migrations.AlterField(
            model_name="response",
            name="triage_level",
            field=models.CharField(
                blank=True,
                choices=[
                    ("emergency", "Emergency"),
                    ("urgent", "Urgent"),
                    ("soon", "Soon"),
                    ("routine", "Routine"),
                ],
                max_length=16,
            ),
        ),
    ]
