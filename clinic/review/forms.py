from django import forms

from advice.levels import TriageLevel
from clinic.review.models import CaseStatus, Disposition
from clinic.staff.selectors import clinicians

NOTE_MAX = 2000


class QueueFilterForm(forms.Form):
    level = forms.ChoiceField(
        required=False,
        choices=[("", "All levels"), *TriageLevel.choices(flagged_only=True)],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
        error_messages={"invalid_choice": "Choose a level from the list."},
    )
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Open (new and acknowledged)"), *CaseStatus.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
        error_messages={"invalid_choice": "Choose a status from the list."},
    )
    mine = forms.BooleanField(
        required=False,
        label="Assigned to me",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    day = forms.DateField(
        required=False,
        label="Appointment date",
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}),
        error_messages={"invalid": "Enter the appointment date as YYYY-MM-DD."},
    )
    q = forms.CharField(
        required=False,
        max_length=100,
        label="Patient name",
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
        error_messages={"max_length": "Search for at most 100 characters."},
    )
    after = forms.CharField(required=False, max_length=80, widget=forms.HiddenInput)


class CaseActionForm(forms.Form):
    """Every action carries the version the clinician saw, so a stale page can't overwrite."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


class NoteForm(CaseActionForm):
    note = forms.CharField(
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Write the note before saving it.",
            "max_length": f"A note can be at most {NOTE_MAX} characters.",
        },
    )

    def clean_note(self):
        note = self.cleaned_data["note"].strip()
        if not note:
            raise forms.ValidationError("Write the note before saving it.")
        return note


class ResolveForm(CaseActionForm):
    disposition = forms.ChoiceField(
        choices=Disposition.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose what was done.",
            "invalid_choice": "Choose one of the listed outcomes.",
        },
    )
    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": f"A note can be at most {NOTE_MAX} characters."},
    )


class ReassignForm(CaseActionForm):
    to = forms.ModelChoiceField(
        queryset=clinicians(),
        label="Assign to",
        error_messages={"invalid_choice": "Choose a clinician from the list."},
    )


class SearchText(forms.CharField):
    """Words to look for, as typed: cut to 100 characters with unprintable ones dropped, so a
    search on the appointment board is never refused (a NUL byte would reach PostgreSQL)."""

    def to_python(self, value):
        text = super().to_python(value)
        return "".join(ch for ch in text[:100] if ch.isprintable()).strip()


class BoardSearchForm(forms.Form):
    q = SearchText(required=False, label="Patient name")
