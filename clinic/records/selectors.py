"""Reads of the clinic's records shared by the rooms that list patients."""

from django.db.models import Q

MAX_SEARCH_WORDS = 3


def name_search(text: str, *, via: str = "") -> Q:
    """Patients whose first or last name holds every word of `text` (the first three).

    `via` is the path to the patient from the model being filtered (`"appointment__patient__"`
    for cases). `text` comes from a form that has refused or dropped unprintable characters
    (PostgreSQL refuses a NUL byte). An empty search matches everyone.
    """
    query = Q()
    for word in text.split()[:MAX_SEARCH_WORDS]:
        query &= Q(**{f"{via}last_name__icontains": word}) | Q(
            **{f"{via}first_name__icontains": word}
        )
    return query
