from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from samverkan import limits
from samverkan.accounts.models import User
from samverkan.meetings.models import (
    AgendaItem,
    ApplicationDecision,
    AssignmentStatus,
    AttendanceStatus,
    Decision,
    ItemKind,
    Meeting,
    SplitMethod,
)
from samverkan.organisations.models import Organisation

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"})


class DateTimeField(forms.DateTimeField):
    """A date and time within samverkan.limits' years."""

    def clean(self, value: Any) -> Any:
        cleaned = super().clean(value)
        if cleaned is not None:
            limits.validate_date(cleaned.date())
        return cleaned


def _choices(form: forms.Form, name: str) -> forms.ModelChoiceField[Any]:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - the form's own field
    return field


class ForumForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    organisations = forms.ModelMultipleChoiceField(
        label=_("Member organisations"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "organisations").queryset = organisations


class MeetingForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = DateTimeField(label=_("Starts"), widget=DATETIME)
    ends_at = DateTimeField(label=_("Ends"), widget=DATETIME, required=False)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    remote_link = forms.URLField(
        label=_("Link for remote attendance"), max_length=500, required=False, assume_scheme="https"
    )
    series = forms.CharField(
        label=_("Series"), max_length=100, required=False, help_text=_("For example 'weekly during the pandemic'.")
    )
    chair = forms.ModelChoiceField(label=_("Chair"), queryset=User.objects.none(), required=False)
    checker = forms.ModelChoiceField(label=_("Minutes checker"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "chair").queryset = people
        _choices(self, "checker").queryset = people


class SeriesForm(forms.Form):
    """How many meetings to plan at once (a new meeting only); without an answer, one."""

    every = forms.ChoiceField(
        label=_("Repeat"),
        choices=[("week", _("Every week")), ("month", _("Every month"))],
        initial="week",
        required=False,
        widget=forms.RadioSelect,
    )
    count = forms.IntegerField(
        label=_("Number of meetings"),
        min_value=1,
        max_value=26,
        initial=1,
        required=False,
        help_text=_("1 for a single meeting."),
    )

    def clean_every(self) -> str:
        return str(self.cleaned_data.get("every") or "week")

    def clean_count(self) -> int:
        return int(self.cleaned_data.get("count") or 1)


class ItemForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=ItemKind.choices, widget=forms.RadioSelect)
    presenter = forms.CharField(label=_("Presenter"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class MinutesForm(ItemForm):
    minutes = forms.CharField(
        label=_("Minutes"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What was said and reported. No patient identities."),
    )


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Document title"), max_length=200)
    url = forms.URLField(label=_("Link to the document"), max_length=500, assume_scheme="https")


class DecisionForm(forms.Form):
    text = forms.CharField(
        label=_("Decision"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Written as the forum decided: 'That …'."),
    )


class AssignmentForm(forms.Form):
    title = forms.CharField(label=_("Assignment"), max_length=300)
    description = forms.CharField(
        label=_("Description"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    owner_organisation = forms.ModelChoiceField(
        label=_("Owner organisation"), queryset=Organisation.objects.none(), required=False
    )
    owner_person = forms.ModelChoiceField(label=_("Owner person"), queryset=User.objects.none(), required=False)
    due_date = limits.DateField(label=_("Due date"), required=False, widget=DATE)
    due_meeting = forms.ModelChoiceField(label=_("Or by meeting"), queryset=Meeting.objects.none(), required=False)

    def __init__(
        self,
        *args: Any,
        organisations: QuerySet[Organisation],
        people: QuerySet[User],
        meetings: QuerySet[Meeting],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "owner_organisation").queryset = organisations
        _choices(self, "owner_person").queryset = people
        _choices(self, "due_meeting").queryset = meetings


class AttendanceAddForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=Organisation.objects.none(), required=False)
    status = forms.ChoiceField(label=_("Attendance"), choices=AttendanceStatus.choices)
    substitute_for = forms.CharField(label=_("Substitute for"), max_length=200, required=False)

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "organisation").queryset = organisations


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=AssignmentStatus.choices)
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SignForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class CorrectionForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the correction"), max_length=1000)


def item_initial(item: AgendaItem) -> dict[str, Any]:
    return {
        "title": item.title,
        "kind": item.kind,
        "presenter": item.presenter,
        "description": item.description,
        "minutes": item.minutes,
    }


class TrackerForm(forms.Form):
    question = forms.CharField(label=_("Question"), max_length=300)
    options = forms.CharField(
        label=_("Statuses"),
        widget=forms.Textarea(attrs={"rows": 4}),
        initial="Redo\nNästan redo\nInga uppgifter",
        help_text=_("One a line, best first."),
        max_length=1100,
    )


class AnswerForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Municipality"), queryset=Organisation.objects.none())
    status = forms.ChoiceField(label=_("Status"), choices=())
    as_of = limits.DateField(label=_("As of"), widget=DATE)
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], options: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "organisation").queryset = organisations
        status = self.fields["status"]
        assert isinstance(status, forms.ChoiceField)  # noqa: S101 - the form's own field
        status.choices = [(o, o) for o in options]


def parse_share(text: str) -> Fraction:
    """A share such as "5/6", "0,5" or "50 %" as an exact fraction."""
    cleaned = text.strip().replace(",", ".").replace(" ", "").replace("\u00a0", "")
    percent = cleaned.endswith("%")
    try:
        value = Fraction(cleaned.rstrip("%"))
    except (ValueError, ZeroDivisionError):
        raise forms.ValidationError(
            _("Write the share as a fraction (5/6), a decimal (0,5) or a percentage (50 %).")
        ) from None
    value = value / 100 if percent else value
    if not 0 <= value <= 1 or value.denominator > 1000:
        raise forms.ValidationError(_("The share is between 0 and 1, with a denominator of at most 1 000."))
    return value


class SharedCostForm(forms.Form):
    description = forms.CharField(label=_("What the cost is for"), max_length=300)
    amount = forms.DecimalField(label=_("Amount (kronor)"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2)
    region_share = forms.CharField(
        label=_("The region's share"),
        max_length=20,
        initial="5/6",
        help_text=_("For example 5/6; the municipalities pay the rest."),
    )
    method = forms.ChoiceField(
        label=_("The municipalities split their part"),
        choices=SplitMethod.choices,
        widget=forms.RadioSelect,
        initial=SplitMethod.POPULATION,
    )

    def clean_region_share(self) -> Fraction:
        return parse_share(self.cleaned_data["region_share"])


class FundingRoundForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    budget = forms.IntegerField(label=_("Budget (kronor)"), min_value=1, max_value=10**12)
    criteria = forms.CharField(
        label=_("Criteria"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    closes_on = limits.DateField(label=_("Last day to apply"), required=False, widget=DATE)


class ApplicationForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Applying organisation"), queryset=Organisation.objects.none())
    project = forms.CharField(label=_("Project"), max_length=300)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=3000, widget=forms.Textarea(attrs={"rows": 3})
    )
    amount = forms.IntegerField(label=_("Amount applied for (kronor)"), min_value=1, max_value=10**12)
    starts_on = limits.DateField(label=_("Project starts"), widget=DATE)
    ends_on = limits.DateField(label=_("Project ends"), widget=DATE)

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "organisation").queryset = organisations


class DecideForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=ApplicationDecision.choices)
    granted = forms.IntegerField(label=_("Granted (kronor)"), min_value=0, max_value=10**12)
    assessment = forms.CharField(
        label=_("Assessment"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    forum_decision = forms.ModelChoiceField(
        label=_("The forum's decision"), queryset=Decision.objects.none(), required=False
    )

    def __init__(self, *args: Any, decisions: QuerySet[Decision], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "forum_decision").queryset = decisions


class ForumPersonForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Person"), queryset=User.objects.none())
    organisation = forms.ModelChoiceField(
        label=_("For organisation"), queryset=Organisation.objects.none(), required=False
    )
    title = forms.CharField(
        label=_("Title"), max_length=100, required=False, help_text=_("For example chair or secretary.")
    )

    def __init__(
        self, *args: Any, people: QuerySet[User], organisations: QuerySet[Organisation], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "user").queryset = people
        _choices(self, "organisation").queryset = organisations
