from django import forms


class CodeForm(forms.Form):
    """The second factor: a 6-digit code from the authenticator app, or one backup code."""

    code = forms.CharField(
        label="Code",
        max_length=16,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text="The 6-digit code from your authenticator app, or one of your backup codes.",
    )

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split()).lower()
