from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from samverkan.accounts.models import ApiKeyRole
from samverkan.organisations import policy
from samverkan.organisations.models import Organisation


class LoginForm(forms.Form):
    username = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=_("Six-digit code from your authenticator app"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Enter the six digits shown in your authenticator app.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "size": 8}
        ),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].strip()


class ApiKeyForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(), label=_("Organisation"))
    name = forms.CharField(label=_("Label"), max_length=100, help_text=_("Which system uses the key."))
    role = forms.ChoiceField(
        label=_("Acts as"),
        help_text=_("A role you hold in the organisation yourself, and one its kind can hold."),
    )

    def __init__(self, *args, organisations, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        # Only the roles a key of one of these organisations may act with, made by this user.
        offered = set().union(*(policy.api_key_roles(user, organisation) for organisation in organisations))
        self.fields["role"].choices = [(value, label) for value, label in ApiKeyRole.choices if value in offered]
