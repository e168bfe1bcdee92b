"""A level between urgent and routine: "soon" (the clinic contacts the patient within 2 working
days). The stored ranks move up to make room: soon 1, urgent 2 (was 1), emergency 3 (was 2)."""

from django.conf import settings
from django.db import migrations, models

RANKS = {"urgent": 2, "emergency": 3}
OLD_RANKS = {"urgent": 1, "emergency": 2}


def _set_ranks(ranks):
    def run(apps, schema_editor):
        Case = apps.get_model("clinic", "Case")
        if ranks is OLD_RANKS:
            # Going back: a soon case has no place on the old scale; it counts as urgent.
            Case.objects.filter(level="soon").update(level="urgent")
        # Highest first, so two levels never share a rank on the way.
        for level, rank in sorted(ranks.items(), key=lambda item: -item[1]):
            Case.objects.filter(level=level).update(level_rank=rank)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0006_triage_rank_order"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="case",
            name="case_level_rank_matches_level",
        ),
        migrations.RunPython(_set_ranks(RANKS), _set_ranks(OLD_RANKS)),
        migrations.AlterField(
            model_name="case",
            name="level",
            field=models.CharField(
                choices=[("emergency", "Emergency"), ("urgent", "Urgent"), ("soon", "Soon")],
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="level",
            field=models.CharField(
                blank=True,
                choices=[("emergency", "Emergency"), ("urgent", "Urgent"), ("soon", "Soon")],
                max_length=16,
            ),
        ),
        migrations.AddConstraint(
            model_name="case",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("level", "emergency"), ("level_rank", 3)),
                    models.Q(("level", "urgent"), ("level_rank", 2)),
                    models.Q(("level", "soon"), ("level_rank", 1)),
                    _connector="OR",
                ),
                name="case_level_rank_matches_level",
            ),
        ),
    ]
