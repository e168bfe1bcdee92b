"""The audit trail as CSV, for a clinic's own review or an auditor."""

import csv

from auditlog.models import LogEntry
from django.http import HttpResponse
from django.utils import timezone

from clinic.audit.selectors import who

CSV_COLUMNS = ["when", "who", "action", "what", "record", "object id", "patients", "ip", "changes"]


def _changes(entry: LogEntry) -> str:
    changes = entry.changes_dict or {}
    return "; ".join(sorted(changes))  # the fields that changed; values stay in the database


def audit_csv(queryset, *, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for entry in queryset.select_related("actor", "content_type").order_by("timestamp", "pk"):
        data = entry.additional_data or {}
        writer.writerow(
            [
                timezone.localtime(entry.timestamp).isoformat(),
                _cell(who(entry)),
                entry.get_action_display(),
                _cell(data.get("what", "")),
                _cell(f"{entry.content_type.app_label}.{entry.content_type.model}"),
                entry.object_pk,
                data.get("patients", "").strip(","),
                entry.remote_addr or "",
                _cell(_changes(entry)),
            ]
        )
    return response


def _cell(value: str) -> str:
    """No spreadsheet formulas: a cell starting with = + - @ is read as text (OWASP CSV)."""
    value = str(value)
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
