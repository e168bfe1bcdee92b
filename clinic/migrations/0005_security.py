"""The audit log is append-only in the database too: PostgreSQL refuses UPDATE and DELETE on it.

(Also: a notification kind for clinic admins when a patient link locks itself.)

The admin already offers no change or delete; this stops the application's database user (and
so any bug, shell session or SQL injection running as it) from rewriting history. TRUNCATE is
left to the table's owner: test runs and `flush` use it, and the app never does (see
docs/security.md, "Audit trail"). SQLite, for trying the app, has no such guard.
"""

from django.db import migrations, models

TABLE = "auditlog_logentry"

CREATE = f"""
CREATE OR REPLACE FUNCTION previsit_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS previsit_audit_append_only ON {TABLE};
CREATE TRIGGER previsit_audit_append_only
    BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION previsit_audit_append_only();
"""

DROP = f"""
DROP TRIGGER IF EXISTS previsit_audit_append_only ON {TABLE};
DROP FUNCTION IF EXISTS previsit_audit_append_only();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)  # no parameters: the % in RAISE stay as they are

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0004_notifications"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP), elidable=False),
        migrations.AlterField(
            model_name="notification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("case_flagged", "Case flagged"),
                    ("case_escalated", "Case escalated"),
                    ("reminder_48h", "Reminder 48 hours before"),
                    ("reminder_2h", "Reminder 2 hours before"),
                    ("delivery_failed", "A notification failed"),
                    ("link_locked", "A patient link was locked"),
                ],
                max_length=20,
            ),
        ),
    ]
