from django import forms


class BellForm(forms.Form):
    """The count the page shows, sent back by the bell's poll."""

    seen = forms.IntegerField(required=False, min_value=0, max_value=1_000_000)


class MarkReadForm(forms.Form):
    """The notifications the list showed, marked read when their reader says so."""

    shown = forms.TypedMultipleChoiceField(
        coerce=int,
        error_messages={
            "required": "There was nothing to mark as read.",
            "invalid_choice": "Those notifications are not in your list any more.",
        },
    )

    def __init__(self, *args, shown_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shown"].choices = [(pk, pk) for pk in shown_ids]
