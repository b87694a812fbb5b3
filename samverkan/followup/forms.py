from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from samverkan import limits
from samverkan.followup.models import INDICATOR_CHOICES, Agreement
from samverkan.followup.services import AGREEMENT_FIELDS


class AgreementForm(forms.ModelForm):
    valid_from = limits.DateField(
        label=_("Valid from"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Applies to ready-for-discharge notices from this date. The same date changes that version."),
    )

    class Meta:
        model = Agreement
        fields = AGREEMENT_FIELDS
        widgets = {"cutoff_time": forms.TimeInput(attrs={"type": "time"})}

    def _post_clean(self) -> None:
        """The service validates the row (with the county and the date); nothing to do here."""


class DayRateForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=limits.EARLIEST_DATE.year, max_value=limits.LATEST_DATE.year)
    amount = forms.DecimalField(label=_("Price per day (SEK)"), min_value=1, max_digits=9, decimal_places=2)


class DisputeForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the line is wrong"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("No names or personal identity numbers."),
    )
    attachment = forms.FileField(
        label=_("Attachment"), required=False, help_text=_("For example the admission notice's log; at most 5 MB.")
    )


class AnswerForm(forms.Form):
    DECISIONS = [("accept", _("Accept: credit the line on the next statement")), ("reject", _("Reject"))]

    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS, widget=forms.RadioSelect)
    answer = forms.CharField(
        label=_("Answer"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when rejecting."),
    )


class TargetForm(forms.Form):
    indicator = forms.ChoiceField(label=_("Indicator"), choices=INDICATOR_CHOICES)
    valid_from = limits.DateField(
        label=_("Valid from"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Applies to the months from this date's month."),
    )
    target = forms.DecimalField(
        label=_("Target"), min_value=0, max_digits=14, decimal_places=2, help_text=_("Shares in per cent.")
    )
