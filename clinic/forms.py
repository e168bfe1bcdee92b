from django import forms
from django.contrib.auth import get_user_model

from clinic.models import CaseLevel, CaseStatus, Disposition
from clinic.roles import Role

NOTE_MAX = 2000


class QueueFilterForm(forms.Form):
    level = forms.ChoiceField(
        required=False,
        choices=[("", "All levels"), *CaseLevel.choices],
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
        queryset=get_user_model()
        .objects.filter(is_active=True, groups__name=Role.CLINICIAN.value)
        .order_by("last_name", "username"),
        label="Assign to",
        error_messages={"invalid_choice": "Choose a clinician from the list."},
    )


class BellForm(forms.Form):
    """The count the page shows, sent back by the bell's poll."""

    seen = forms.IntegerField(required=False, min_value=0, max_value=1_000_000)
