"""Portal forms, built from the questionnaire definition.

The fields here only render (widgets, labels, choices). Validation is the definition's own
`clean_page`, the same code that checks a FHIR QuestionnaireResponse on the command line, so
the browser and the command line can't disagree about what a valid answer is.
"""

import json
from datetime import date
from functools import cached_property

from django import forms

from intake.questionnaires.answers import fahrenheit_bounds
from intake.questionnaires.definition import Definition

FIELD_WIDGETS = {
    "string": lambda item: forms.TextInput(attrs={"maxlength": item.max_length or 200}),
    "text": lambda item: forms.Textarea(attrs={"rows": 3, "maxlength": item.max_length or 2000}),
    "date": lambda item: forms.DateInput(attrs={"type": "date", "max": date.today().isoformat()}),
}


class _RawMixin:
    """Hand the posted value through untouched: `PageForm.clean` validates it."""

    def clean(self, value):
        return value


class RawChoiceField(_RawMixin, forms.ChoiceField):
    pass


class RawMultipleChoiceField(_RawMixin, forms.MultipleChoiceField):
    pass


class RawCharField(_RawMixin, forms.CharField):
    pass


SCALE_STEPS = 11  # 0 to 10: a pain or severity scale


def is_scale(item) -> bool:
    """A whole number between two bounds at most ten apart (0-10 severity): a row of numbered
    buttons to tap, not an empty box to type in."""
    return (
        item.type == "integer"
        and item.min_value is not None
        and item.max_value is not None
        and 0 < item.max_value - item.min_value < SCALE_STEPS
    )


def _field_for(item) -> forms.Field:
    label = item.text
    if item.type == "boolean":
        return RawChoiceField(
            label=label, choices=[("true", "Yes"), ("false", "No")], widget=forms.RadioSelect
        )
    if item.type in ("choice", "open-choice"):
        choices = [(option.code, option.display) for option in item.options]
        if item.repeats:
            return RawMultipleChoiceField(
                label=label,
                choices=choices,
                widget=forms.CheckboxSelectMultiple,
                help_text="Choose all that apply.",
            )
        return RawChoiceField(label=label, choices=choices, widget=forms.RadioSelect)
    if is_scale(item):
        numbers = [str(n) for n in range(int(item.min_value), int(item.max_value) + 1)]
        return RawChoiceField(
            label=label, choices=[(n, n) for n in numbers], widget=forms.RadioSelect
        )
    if item.type in ("integer", "decimal"):
        attrs = {"inputmode": "numeric" if item.type == "integer" else "decimal"}
        if item.min_value is not None:
            attrs["min"] = item.min_value
        if item.max_value is not None:
            attrs["max"] = item.max_value
        if (fahrenheit := fahrenheit_bounds(item)) is not None:
            attrs["max"] = fahrenheit[1]  # a temperature may be typed in °F too
        if item.type == "decimal":
            attrs["step"] = "0.1"
        return RawCharField(label=label, widget=forms.NumberInput(attrs=attrs))
    widget = FIELD_WIDGETS.get(item.type, FIELD_WIDGETS["string"])(item)
    return RawCharField(label=label, widget=widget)


def _initial(item, value):
    if value is None:
        return None
    if item.type == "boolean":
        return "true" if value else "false"
    if isinstance(value, list):
        return [str(v) for v in value]
    return str(value)


def enable_when_json(item) -> str:
    """The item's enableWhen for the page script, which mirrors the server's evaluation."""
    return json.dumps(
        {
            "behavior": item.enable_behavior or "all",
            "conditions": [
                {"question": c.question, "operator": c.operator, "answer": c.answer}
                for c in item.enable_when
            ],
        }
    )


def short_message(message: str, item) -> str:
    """The message without the question it names: said under the question, it needn't be."""
    quoted = f"'{item.text}'"
    return (
        message.replace(f" for {quoted}", "")
        .replace(f"The answer to {quoted}", "The answer")
        .replace(f"The date for {quoted}", "The date")
        .replace(quoted, "this question")
    )


class PageForm(forms.Form):
    def __init__(self, *args, definition: Definition, page_id: str, answers: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.definition = definition
        self.page_id = page_id
        self.answers = answers
        self.page = definition.items_by_id[page_id]
        self.cleaned_answers: dict = {}
        for item in definition.page_questions(page_id):
            field = _field_for(item)
            field.required = False
            field.initial = _initial(item, answers.get(item.link_id))
            self.fields[item.link_id] = field

    # What the page's form sends besides the answers: the CSRF token, the button pressed, and
    # where Next leads ("from": "review" after a Change link).
    NOT_ANSWERS = frozenset({"csrfmiddlewaretoken", "action", "from"})

    def raw_data(self) -> dict[str, list[str]]:
        return {
            key: [value for value in self.data.getlist(key)]
            for key in self.data
            if key not in self.NOT_ANSWERS
        }

    def clean(self):
        cleaned, errors = self.definition.clean_page(self.page_id, self.raw_data(), self.answers)
        for link_id, message in errors.items():
            self.add_answer_error(link_id, message)
        self.cleaned_answers = cleaned
        return self.cleaned_data

    def add_answer_error(self, link_id: str, message: str) -> None:
        """A message from the questionnaire's checks, which names the question in quotes. Here
        it is said without it: under the question, and in the summary at the top beside a
        link with the question's words, so they don't appear again in quotes."""
        if link_id not in self.fields:
            self.add_error(None, message)
            return
        item = self.definition.items_by_id[link_id]
        short = short_message(message, item)
        self.summary.append({"field": self[link_id], "question": item.text, "message": short})
        self.add_error(link_id, short)

    @cached_property
    def summary(self) -> list[dict]:
        """The errors for the summary at the top: each field, its question and its message."""
        return []

    def rows(self):
        """The page as the template walks it: fields, notes and groups with their conditions."""
        return [self._row(child) for child in self.page.children]

    def _row(self, item):
        row = {
            "item": item,
            "enabled": self.definition.enabled(item.link_id, self.answers_for_display()),
            "enable_when": enable_when_json(item) if item.enable_when else "",
        }
        if item.type == "group":
            row["children"] = [self._row(child) for child in item.children]
        elif item.type == "display":
            row["display"] = item.text
        elif item.link_id in self.fields:
            row["field"] = self[item.link_id]
            row["scale"] = is_scale(item)
        return row

    def answers_for_display(self) -> dict:
        """Stored answers, overlaid with this post's valid answers so conditions match it."""
        if self.is_bound and self.cleaned_answers:
            return {**self.answers, **self.cleaned_answers}
        return self.answers


MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


class VerifyForm(forms.Form):
    """The date of birth as three labelled fields (month, day, year): a birth year is slow to
    reach in a phone's date picker. A whole date in `date_of_birth` (YYYY-MM-DD) is taken too,
    as browsers autofill one field and scripts and the load tests post one."""

    month = forms.TypedChoiceField(
        label="Month",
        choices=[("", "Choose")] + [(str(n), name) for n, name in enumerate(MONTHS, start=1)],
        coerce=int,
        required=False,
        error_messages={"invalid_choice": "Please choose the month from the list."},
        widget=forms.Select(
            attrs={"autocomplete": "bday-month", "class": "form-select form-select-lg"}
        ),
    )
    day = forms.CharField(
        label="Day",
        required=False,
        max_length=2,
        error_messages={"max_length": "Please enter the day as a number, like 14."},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "bday-day",
                "class": "form-control form-control-lg",
                "size": 2,
                "pattern": "[0-9]*",
            }
        ),
    )
    year = forms.CharField(
        label="Year",
        required=False,
        max_length=4,
        error_messages={"max_length": "Please enter all four numbers of the year, like 1984."},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "bday-year",
                "class": "form-control form-control-lg",
                "size": 4,
                "pattern": "[0-9]*",
            }
        ),
    )
    date_of_birth = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        whole = (data.get("date_of_birth") or "").strip()
        if whole:
            try:
                born = date.fromisoformat(whole) if len(whole) == 10 else None
            except ValueError:
                born = None
            if born is None:
                raise forms.ValidationError("Please enter a real date, like 1984-03-14.") from None
        else:
            born = self._from_parts(data)
        if born > date.today():
            raise forms.ValidationError("Your date of birth can't be in the future.")
        if born.year < 1900:
            self.add_error("year", "Please check the year you were born.")
            raise forms.ValidationError("Please check the year you were born.")
        data["born"] = born
        return data

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:  # each part that was refused says so to assistive technology
            for name in ("month", "day", "year"):
                if self.errors.get(name):
                    css = self.fields[name].widget.attrs["class"]
                    self.fields[name].widget.attrs.update(
                        {"aria-invalid": "true", "class": f"{css} is-invalid"}
                    )

    def _from_parts(self, data) -> date:
        month, day, year = (
            data.get("month"),
            (data.get("day") or "").strip(),
            (data.get("year") or "").strip(),
        )
        # A part its field already refused (too long, not on the list) is not also "missing".
        missing = [
            name
            for name, value in (("month", month), ("day", day), ("year", year))
            if not value and name not in self.errors
        ]
        if len(missing) == 3:
            raise forms.ValidationError("Please enter your date of birth.")
        for name in missing:
            self.add_error(name, f"Please enter the {name}.")
        if not day.isdigit() and day:
            self.add_error("day", "Please enter the day as a number, like 14.")
        if (not year.isdigit() or len(year) != 4) and year:
            self.add_error("year", "Please enter all four numbers of the year, like 1984.")
        if self.errors:
            raise forms.ValidationError("Please check your date of birth.")
        try:
            return date(int(year), month, int(day))
        except ValueError:
            self.add_error("day", f"{MONTHS[month - 1]} doesn't have a day {int(day)}.")
            raise forms.ValidationError("Please check your date of birth.") from None
