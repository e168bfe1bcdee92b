"""One triage scale for the whole product (advice.levels.TriageLevel): a case's stored rank
now rises with urgency (urgent 1, emergency 2) instead of emergency 0, and the database checks
that the rank matches the level."""

from django.conf import settings
from django.db import migrations, models

RANKS = {"urgent": 1, "emergency": 2}
OLD_RANKS = {"urgent": 1, "emergency": 0}


def _set_ranks(ranks):
    def run(apps, schema_editor):
        Case = apps.get_model("clinic", "Case")
        for level, rank in ranks.items():
            Case.objects.filter(level=level).update(level_rank=rank)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0005_security"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="case",
            options={"ordering": ["-level_rank", "flagged_at"]},
        ),
        migrations.RemoveConstraint(
            model_name="case",
            name="case_level_rank_known",
        ),
        migrations.RunPython(_set_ranks(RANKS), _set_ranks(OLD_RANKS)),
        migrations.RemoveIndex(
            model_name="case",
            name="clinic_case_status_5bfbe9_idx",
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["status", "-level_rank", "flagged_at"], name="case_status_rank_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="case",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("level", "emergency"), ("level_rank", 2)),
                    models.Q(("level", "urgent"), ("level_rank", 1)),
                    _connector="OR",
                ),
                name="case_level_rank_matches_level",
            ),
        ),
    ]
