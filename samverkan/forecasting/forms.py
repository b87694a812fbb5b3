from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from samverkan import limits
from samverkan.forecasting.models import Method, Scenario, SeriesKind
from samverkan.forecasting.services import SCENARIO_FIELDS
from samverkan.organisations.models import Municipality


class AreaForm(forms.Form):
    area = forms.ChoiceField(label=_("Area"), required=False)
    kind = forms.ChoiceField(
        label=_("Forecast of"), required=False, choices=SeriesKind.choices, initial=SeriesKind.SHORT_TERM_OCCUPANCY
    )
    method = forms.ChoiceField(label=_("Method"), required=False, choices=[("", _("The one we use")), *Method.choices])

    def __init__(self, *args: Any, municipalities: list[Municipality], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area = self.fields["area"]
        if isinstance(area, forms.ChoiceField):
            area.choices = [("", _("The whole county")), *((m.code, m.name) for m in municipalities)]


class ScenarioForm(forms.ModelForm):
    start_date = limits.DateField(label=_("Start date"), widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = Scenario
        fields = SCENARIO_FIELDS

    def __init__(self, *args: Any, county: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["outbreak_municipality"]
        if isinstance(field, forms.ModelChoiceField):
            field.queryset = Municipality.objects.filter(county_id=county).order_by("name")

    def _post_clean(self) -> None:
        """The service validates the scenario (with its county); nothing to do here."""
