from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from samverkan import limits
from samverkan.accounts.models import User
from samverkan.organisations.models import Municipality, Organisation, Unit
from samverkan.resources.models import (
    Competence,
    EquipmentItem,
    EquipmentType,
    ItemStatus,
    LoanRequest,
    Profession,
    ReturnCondition,
    Shift,
)
from samverkan.resources.services import MAX_QUANTITY, MAX_STAFF

DATE = forms.DateInput(attrs={"type": "date"})


class EquipmentTypeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    code = forms.SlugField(
        label=_("Code"), max_length=40, help_text=_("Short, without spaces, e.g. syrgaskoncentrator.")
    )
    description = forms.CharField(label=_("Description"), max_length=300, required=False)


class ItemForm(forms.Form):
    type = forms.ModelChoiceField(label=_("Type"), queryset=EquipmentType.objects.none())
    serial = forms.CharField(label=_("Serial number"), max_length=60)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=Organisation.objects.none())
    home_municipality = forms.ModelChoiceField(label=_("Kept in municipality"), queryset=Municipality.objects.none())
    home_site = forms.CharField(
        label=_("Kept at"), max_length=200, required=False, help_text=_("Store, ward or address.")
    )
    last_service_on = limits.DateField(label=_("Last serviced"), required=False, widget=DATE)
    next_service_on = limits.DateField(label=_("Next service"), required=False, widget=DATE)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(
        self,
        *args: Any,
        types: QuerySet[EquipmentType],
        owners: QuerySet[Organisation],
        county_code: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].queryset = types  # type: ignore[attr-defined]
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
        self.fields["home_municipality"].queryset = Municipality.objects.filter(  # type: ignore[attr-defined]
            county_id=county_code
        ).order_by("name")


class ItemUpdateForm(forms.Form):
    STATUSES = [(s.value, s.label) for s in ItemStatus if s != ItemStatus.ON_LOAN]

    status = forms.ChoiceField(label=_("Status"), choices=STATUSES)
    last_service_on = limits.DateField(label=_("Last serviced"), required=False, widget=DATE)
    next_service_on = limits.DateField(label=_("Next service"), required=False, widget=DATE)
    home_site = forms.CharField(label=_("Kept at"), max_length=200, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, item: EquipmentItem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if item.status == ItemStatus.ON_LOAN:
            self.fields["status"].choices = [(ItemStatus.ON_LOAN.value, ItemStatus.ON_LOAN.label)]  # type: ignore[attr-defined]


class LoanRequestForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("For the unit"), queryset=Unit.objects.none())
    type = forms.ModelChoiceField(label=_("Equipment"), queryset=EquipmentType.objects.none())
    quantity = forms.IntegerField(label=_("Number"), min_value=1, max_value=MAX_QUANTITY, initial=1)
    lender = forms.ModelChoiceField(
        label=_("Ask"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("The owner of most such items"),
    )
    needed_from = limits.DateField(label=_("Needed from"), widget=DATE)
    needed_until = limits.DateField(label=_("Needed until"), widget=DATE)
    purpose = forms.CharField(
        label=_("Purpose"),
        max_length=LoanRequest._meta.get_field("purpose").max_length,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What the equipment is for. No names or personal identity numbers."),
    )

    def __init__(
        self,
        *args: Any,
        units: QuerySet[Unit],
        types: QuerySet[EquipmentType],
        lenders: QuerySet[Organisation],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["type"].queryset = types  # type: ignore[attr-defined]
        self.fields["lender"].queryset = lenders  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("needed_from"), data.get("needed_until")
        if first and last and last < first:
            self.add_error("needed_until", _("The end date is before the start date."))
        return data


class ApproveForm(forms.Form):
    items = forms.ModelMultipleChoiceField(
        label=_("Items to lend"), queryset=EquipmentItem.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label=_("Note to the borrower"), max_length=300, required=False)

    def __init__(self, *args: Any, items: QuerySet[EquipmentItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = items  # type: ignore[attr-defined]


class ReturnForm(forms.Form):
    condition = forms.ChoiceField(label=_("Condition"), choices=ReturnCondition.choices)
    note = forms.CharField(label=_("Condition note"), max_length=300, required=False)


class SupplyItemForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    code = forms.SlugField(label=_("Code"), max_length=40, help_text=_("Short, without spaces, e.g. ffp2."))
    unit_label = forms.CharField(label=_("Counted in"), max_length=20, initial="st")
    order = forms.IntegerField(label=_("Order"), min_value=0, max_value=1000, initial=0)


class SharingForm(forms.Form):
    share_details = forms.BooleanField(
        label=_("Members of the county see each other's stock in detail"),
        required=False,
        help_text=_("Otherwise a municipality sees its own stock in detail and the county's only as totals."),
    )


class SupplyContactForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Person"), queryset=User.objects.none())
    area = forms.CharField(label=_("Part of the county"), max_length=100)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    municipalities = forms.ModelMultipleChoiceField(
        label=_("Municipalities"),
        queryset=Municipality.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: the whole county."),
    )

    def __init__(self, *args: Any, county_code: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(is_active=True, memberships__organisation__county_id=county_code)
            .distinct()
            .order_by("full_name")
        )
        self.fields["municipalities"].queryset = Municipality.objects.filter(  # type: ignore[attr-defined]
            county_id=county_code
        ).order_by("name")


class StockUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File (CSV or Excel)"),
        help_text=_(
            "Header row: organisation, unit, item, on_hand, used_7_days, on_order, expected_on, can_obtain. "
            "Every row is checked; nothing is stored unless every row is right."
        ),
    )


class StaffRequestForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    profession = forms.ChoiceField(label=_("Profession"), choices=Profession.choices)
    competences = forms.MultipleChoiceField(
        label=_("Competence"), choices=Competence.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    competence_note = forms.CharField(label=_("Other competence"), max_length=200, required=False)
    number = forms.IntegerField(label=_("Number of staff"), min_value=1, max_value=MAX_STAFF, initial=1)
    starts_on = limits.DateField(label=_("From"), widget=DATE)
    ends_on = limits.DateField(label=_("Until"), widget=DATE)
    shifts = forms.MultipleChoiceField(label=_("Shifts"), choices=Shift.choices, widget=forms.CheckboxSelectMultiple)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the staff are needed. No names or personal identity numbers."),
    )

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("starts_on"), data.get("ends_on")
        if first and last and last < first:
            self.add_error("ends_on", _("The end date is before the start date."))
        return data


class StaffProposalForm(forms.Form):
    proposed_number = forms.IntegerField(label=_("Proposed number"), min_value=0, max_value=MAX_STAFF)
    staff_from = forms.CharField(label=_("Staff from"), max_length=200, required=False)
    proposal = forms.CharField(label=_("Proposal"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class StaffDecisionForm(forms.Form):
    number = forms.IntegerField(
        label=_("Number approved"), min_value=0, max_value=MAX_STAFF, help_text=_("0 declines the request.")
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed when fewer than asked for are approved."),
    )
    decided_by_body = forms.CharField(label=_("Decided by"), max_length=200, initial=_("Regional management"))
