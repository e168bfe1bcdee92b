"""Reading the audit trail: who an entry names, and every entry about one patient."""

from auditlog.models import LogEntry


def who(entry: LogEntry) -> str:
    if entry.actor_id:
        return entry.actor.get_username() if entry.actor else f"user {entry.actor_id}"
    link = (entry.additional_data or {}).get("patient_link")
    if link is not None:
        return f"patient link {link}"
    return "system"


def for_patient(queryset, patient_id: int):
    return queryset.filter(additional_data__patients__icontains=f",{int(patient_id)},")
