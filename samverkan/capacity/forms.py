from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from samverkan import limits
from samverkan.capacity.models import ClosureReason, PlannedChange, ReportingSchedule
from samverkan.organisations.models import UnitKind


def _number(label, help_text=""):
    return forms.IntegerField(
        label=label,
        min_value=0,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "class": "input-number"}),
        error_messages={"min_value": _("Cannot be negative."), "invalid": _("Enter a whole number.")},
    )


class QuickReportForm(forms.Form):
    """The report a unit member sends in half a minute, prefilled with the last report."""

    occupied = _number(_("Occupied places"))
    staffed = _number(_("Staffed places"), _("Places with staff, usable now."))
    physical = _number(_("Physical places"), _("Places that exist, staffed or not."))
    surge = _number(_("Surge places"), _("Can be opened within 24 hours."))
    open_for_admission = forms.TypedChoiceField(
        label=_("Admissions"),
        choices=[("1", _("Open for admission")), ("0", _("Closed for admission"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    closure_reason = forms.ChoiceField(
        label=_("Reason for closing"), choices=[("", "–"), *ClosureReason.choices], required=False
    )
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = list(categories)
        for category in self.categories:
            self.fields[f"cat_{category.code}_staffed"] = _number(
                _("%(category)s: staffed") % {"category": category.name}
            )
            self.fields[f"cat_{category.code}_staffed"].required = False
            self.fields[f"cat_{category.code}_occupied"] = _number(
                _("%(category)s: occupied") % {"category": category.name}
            )
            self.fields[f"cat_{category.code}_occupied"].required = False

    def category_figures(self) -> dict[str, tuple[int, int]]:
        figures = {}
        for category in self.categories:
            staffed = self.cleaned_data.get(f"cat_{category.code}_staffed")
            occupied = self.cleaned_data.get(f"cat_{category.code}_occupied")
            if staffed is not None or occupied is not None:
                figures[category.code] = (staffed or 0, occupied or 0)
        return figures

    def main_fields(self):
        return [self[name] for name in ("occupied", "staffed", "physical", "surge")]

    def category_fields(self):
        return [self[name] for name in self.fields if name.startswith("cat_")]


class PlannedChangeForm(forms.ModelForm):
    class Meta:
        model = PlannedChange
        fields = ["effective_from", "staffed_change", "physical_change", "description"]
        widgets = {"effective_from": forms.DateInput(attrs={"type": "date"})}
        field_classes = {"effective_from": limits.DateField}
        help_texts = {
            "staffed_change": _("E.g. 10 for ten more staffed places, −4 for four fewer."),
            "description": _("E.g. 'Ten new places open' or 'New unit opens'."),
        }


class ScheduleForm(forms.ModelForm):
    weekday_choices = forms.MultipleChoiceField(
        label=_("Reporting days"),
        choices=[
            ("0", _("Monday")),
            ("1", _("Tuesday")),
            ("2", _("Wednesday")),
            ("3", _("Thursday")),
            ("4", _("Friday")),
            ("5", _("Saturday")),
            ("6", _("Sunday")),
        ],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    kind_choices = forms.MultipleChoiceField(
        label=_("Unit kinds that report"), choices=UnitKind.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ReportingSchedule
        fields = ["due_time", "reminders_enabled"]
        widgets = {"due_time": forms.TimeInput(attrs={"type": "time"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["weekday_choices"].initial = sorted(str(d) for d in self.instance.weekday_numbers)
        self.fields["kind_choices"].initial = sorted(self.instance.kinds)

    def changes(self) -> dict:
        return {
            "weekdays": ",".join(sorted(self.cleaned_data["weekday_choices"])),
            "unit_kinds": ",".join(sorted(self.cleaned_data["kind_choices"])),
            "due_time": self.cleaned_data["due_time"],
            "reminders_enabled": self.cleaned_data["reminders_enabled"],
        }
