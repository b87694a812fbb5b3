from __future__ import annotations

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from samverkan import limits
from samverkan.organisations.models import Organisation, Unit, UnitKind
from samverkan.organisations.roles import OrganisationKind
from samverkan.placements.models import EscalationStep, PlacementNeed, Urgency


class RequestForm(forms.Form):
    TARGETS = [("county", _("The whole county")), ("municipality", _("One municipality")), ("unit", _("One unit"))]

    from_organisation = forms.ModelChoiceField(label=_("Asking organisation"), queryset=Organisation.objects.none())
    places = forms.IntegerField(label=_("Number of places"), min_value=1, max_value=100)
    needs = forms.ModelMultipleChoiceField(
        label=_("Needs"), queryset=PlacementNeed.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    wanted_from = limits.DateField(label=_("Wanted from"), widget=forms.DateInput(attrs={"type": "date"}))
    wanted_until = limits.DateField(
        label=_("Wanted until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
    target = forms.ChoiceField(label=_("Send to"), choices=TARGETS, widget=forms.RadioSelect, initial="county")
    to_municipality = forms.ModelChoiceField(
        label=_("Municipality"), queryset=Organisation.objects.none(), required=False
    )
    to_unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none(), required=False)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the receiving unit needs to know. No names or personal identity numbers."),
    )

    def __init__(self, *args, county_code: str, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["from_organisation"]).queryset = organisations
        cast(forms.ModelChoiceField, self.fields["needs"]).queryset = PlacementNeed.objects.filter(
            county_id=county_code
        )
        cast(forms.ModelChoiceField, self.fields["to_municipality"]).queryset = Organisation.objects.filter(
            county_id=county_code, kind=OrganisationKind.MUNICIPALITY
        )
        cast(forms.ModelChoiceField, self.fields["to_unit"]).queryset = Unit.objects.filter(
            organisation__county_id=county_code, kind=UnitKind.SHORT_TERM, is_active=True
        ).select_related("municipality")

    def clean(self):
        data = super().clean()
        target = data.get("target")
        if target == "municipality" and not data.get("to_municipality"):
            self.add_error("to_municipality", _("Choose the municipality."))
        if target == "unit" and not data.get("to_unit"):
            self.add_error("to_unit", _("Choose the unit."))
        return data


class UnitChoiceField(forms.ModelChoiceField):
    """A unit to choose, with its free places now beside its name when `free` (unit id → free
    places) is given."""

    free: dict[int, int] | None = None

    def label_from_instance(self, obj: Unit) -> str:
        if self.free is None:
            return str(super().label_from_instance(obj))
        count = self.free.get(obj.pk, 0)
        return ngettext("%(unit)s (%(free)d free place)", "%(unit)s (%(free)d free places)", count) % {
            "unit": obj.name,
            "free": count,
        }


class OfferForm(forms.Form):
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    places = forms.IntegerField(label=_("Places"), min_value=1)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=300)

    def __init__(self, *args, units, free: dict[int, int] | None = None, **kwargs):
        """`units`: those to offer from; `free`: their free places now, shown beside each name."""
        super().__init__(*args, **kwargs)
        field = cast(UnitChoiceField, self.fields["unit"])
        field.queryset = Unit.objects.filter(pk__in=[u.pk for u in units])
        field.free = free
        self.free = free or {}
        if len(units) == 1:
            field.initial = units[0].pk
            field.empty_label = None

    def clean(self):
        data = super().clean()
        unit, places = data.get("unit"), data.get("places")
        # An offer beyond the unit's free places could never be accepted (accepting reserves them).
        if unit is not None and places is not None and unit.pk in self.free and places > self.free[unit.pk]:
            self.add_error(
                "places",
                ngettext(
                    "%(unit)s has %(free)d free place now; offer at most that.",
                    "%(unit)s has %(free)d free places now; offer at most that.",
                    self.free[unit.pk],
                )
                % {"unit": unit.name, "free": self.free[unit.pk]},
            )
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class EscalationForm(forms.Form):
    step = forms.ModelChoiceField(label=_("Step"), queryset=EscalationStep.objects.none(), empty_label=None)
    comment = forms.CharField(label=_("Comment"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, steps, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["step"]).queryset = steps
