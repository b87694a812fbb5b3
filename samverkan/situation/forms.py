from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from samverkan import limits
from samverkan.organisations.models import Organisation
from samverkan.situation.models import MAX_FIGURE, SECTIONS, Indicator, SituationSettings
from samverkan.situation.services import MAX_COMMENT

SECTION_LABELS = {
    "capacity": _("Comment on capacity"),
    "placements": _("Comment on place requests and escalation"),
    "flow": _("Comment on patient flow"),
    "resources": _("Comment on equipment and supplies"),
    "forecast": _("Comment on the forecast"),
    "epidemiology": _("Comment on epidemiology"),
}


class DayFiguresForm(forms.Form):
    """One day's figures, a field per indicator of the county (empty: not recorded)."""

    date = limits.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, indicators: list[Indicator], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.indicators = indicators
        for indicator in indicators:
            self.fields[f"indicator_{indicator.code}"] = forms.IntegerField(
                label=indicator.name, required=False, min_value=0, max_value=MAX_FIGURE
            )

    def values(self) -> dict[str, int]:
        return {
            indicator.code: self.cleaned_data[f"indicator_{indicator.code}"]
            for indicator in self.indicators
            if self.cleaned_data.get(f"indicator_{indicator.code}") is not None
        }


class FiguresFileForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("First column date (YYYY-MM-DD), then one column per indicator code; comma or semicolon."),
    )


class IndicatorForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40, help_text=_("For example influenza or rs."))
    name = forms.CharField(label=_("Name"), max_length=100)


class CommentsForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for section in SECTIONS:
            self.fields[section] = forms.CharField(
                label=SECTION_LABELS[section],
                required=False,
                max_length=MAX_COMMENT,
                widget=forms.Textarea(attrs={"rows": 3}),
            )


class ScheduleForm(forms.ModelForm):
    class Meta:
        model = SituationSettings
        fields = ["enabled", "weekday", "time", "public"]
        widgets = {"time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}


class SubscriptionForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), required=False)
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        label=_("Organisation"),
        required=False,
        help_text=_("With an address: the organisation it belongs to. Alone: add all the organisation's members."),
    )

    def __init__(self, *args: Any, county_code: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        if isinstance(field, forms.ModelChoiceField):
            field.queryset = Organisation.objects.filter(county_id=county_code, is_active=True).order_by("kind", "name")

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        if data and not data.get("email") and not data.get("organisation"):
            raise forms.ValidationError(_("Give an address, an organisation, or both."))
        return data
