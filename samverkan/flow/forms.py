import datetime
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samverkan import limits
from samverkan.flow.imports import CANONICAL_COLUMNS, REQUIRED_COLUMNS
from samverkan.flow.models import CareType
from samverkan.flow.selectors import EpisodeFilters, EpisodeStatus
from samverkan.flow.statistics import (
    AGE_BANDS,
    READERS_GET_NO_DAYS,
    Filters,
    Granularity,
    PeriodRefused,
    bucket_starts,
    up_to_today,
    whole_periods,
)

MAX_UPLOAD_BYTES = 200 * 1024 * 1024


class UploadForm(forms.Form):
    source = forms.CharField(
        label=_("Source system"), max_length=100, help_text=_("E.g. Cosmic. A new name is created on first use.")
    )
    file = forms.FileField(
        label=_("File (canonical CSV, Excel .xlsx or a FHIR R4 Bundle .json)"),
        help_text=_(
            "Other column names: you choose which column is which in a next step, saved for the source. "
            "Large files and Excel workbooks are imported in the background."
        ),
    )
    sheet = forms.CharField(
        label=_("Excel sheet"),
        max_length=100,
        required=False,
        help_text=_("Only for Excel files; default: the first sheet."),
    )
    encoding = forms.ChoiceField(
        label=_("Encoding"),
        choices=[("", _("Detect (UTF-8, else Windows-1252)")), ("utf-8", "UTF-8"), ("cp1252", "Windows-1252")],
        required=False,
    )
    delimiter = forms.ChoiceField(
        label=_("Delimiter"), choices=[("", _("Detect")), (",", _("Comma")), (";", _("Semicolon"))], required=False
    )
    dry_run = forms.BooleanField(label=_("Only check the file, import nothing"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 200 MB; split it or send it through the API."))
        return upload


class MunicipalityInScopeField(forms.ChoiceField):
    """The municipalities a reader may see; one of the county's others is refused as "no access",
    so that it never reads as a list with no patients."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outside: dict[str, str] = {}

    def validate(self, value):
        if value in self.outside:
            raise forms.ValidationError(
                _("You have no access to the episodes of residents of %(name)s.") % {"name": self.outside[value]},
                code="no_access",
            )
        super().validate(value)


class EpisodeFilterForm(forms.Form):
    municipality = MunicipalityInScopeField(label=_("Home municipality"), required=False)
    status = forms.ChoiceField(
        label=_("Where in the stay"),
        required=False,
        choices=[
            ("", _("All")),
            (EpisodeStatus.IN_HOSPITAL, _("In hospital")),
            (EpisodeStatus.WAITING, _("Ready for discharge, still in hospital")),
            (EpisodeStatus.DISCHARGED, _("Discharged")),
        ],
    )
    care_type = forms.ChoiceField(label=_("Care type"), required=False, choices=[("", _("All")), *CareType.choices])
    hospital_unit = forms.TypedChoiceField(label=_("Hospital unit"), required=False, coerce=int, empty_value=None)
    admitted_from = limits.DateField(
        label=_("Admitted from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    admitted_to = limits.DateField(
        label=_("Admitted to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(
        label=_("Why you need patient-level data"),
        max_length=200,
        help_text=_("Recorded in the access log, as patient-data law requires."),
    )

    def __init__(self, *args, municipalities, hospital_units, county_municipalities=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(MunicipalityInScopeField, self.fields["municipality"])
        field.choices = [("", _("All you may see"))] + [(m.code, m.name) for m in municipalities]
        allowed = {m.code for m in municipalities}
        field.outside = {m.code: m.name for m in county_municipalities if m.code not in allowed}
        cast(forms.ChoiceField, self.fields["hospital_unit"]).choices = [("", _("All"))] + [
            (u.pk, u.name) for u in hospital_units
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("admitted_from"), data.get("admitted_to")
        if start and end and end < start:
            self.add_error("admitted_to", _("The end date is before the start date."))
        return data

    def filters(self) -> EpisodeFilters:
        data = self.cleaned_data
        return EpisodeFilters(
            municipality=data["municipality"] or None,
            care_type=data["care_type"] or None,
            status=data["status"] or None,
            hospital_unit=data["hospital_unit"],
            admitted_from=data["admitted_from"],
            admitted_to=data["admitted_to"],
        )


class ColumnMappingForm(forms.Form):
    """For each canonical column, the file column that holds it (or none); the required ones must
    be mapped, and no file column may be used twice."""

    def __init__(self, *args, header: list[str], **kwargs):

        super().__init__(*args, **kwargs)
        choices = [("", _("Not in the file"))] + [(c, c) for c in dict.fromkeys(header) if c]
        for column in CANONICAL_COLUMNS:
            required = column in REQUIRED_COLUMNS
            self.fields[column] = forms.ChoiceField(
                label=column,
                choices=choices,
                required=required,
                error_messages={
                    "required": _("Required: choose the file column that holds %(column)s.") % {"column": column}
                },
            )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        used: dict[str, str] = {}
        for column, file_column in list(cleaned.items()):
            if not file_column:
                continue
            if file_column in used:
                self.add_error(
                    column,
                    _("The file column %(file)s is already used for %(other)s; each file column can be used once.")
                    % {"file": file_column, "other": used[file_column]},
                )
            else:
                used[file_column] = column
        return cleaned

    def mapping(self) -> dict[str, str]:
        """File column → canonical column, as the readers' `layout` takes it."""
        return {file_column: column for column, file_column in self.cleaned_data.items() if file_column}

    @staticmethod
    def initial_for(mapping: dict[str, str]) -> dict[str, str]:
        """The form's initial values (canonical column → file column) from a layout's mapping."""
        return {column: file_column for file_column, column in mapping.items()}


class StatisticsForm(forms.Form):
    """Period, granularity and filters of the statistics page (GET); every field optional. For a
    reader (not `exact`) weeks or months only, and the period widened to whole ones that have
    ended (`cleaned_data["start"]`, `["end"]`; see flow.statistics.whole_periods)."""

    MAX_BUCKETS = 800

    granularity = forms.ChoiceField(label=_("Per"), required=False)
    municipality = forms.ChoiceField(label=_("Over time for"), required=False)
    care_type = forms.ChoiceField(label=_("Care type"), required=False)
    age_band = forms.ChoiceField(label=_("Age"), required=False)
    covid = forms.ChoiceField(
        label=_("Covid"),
        required=False,
        choices=[("", _("All")), ("yes", _("Covid only")), ("no", _("Without covid"))],
    )
    hospital_unit = forms.ChoiceField(label=_("Hospital unit"), required=False)

    def __init__(self, data=None, *args, county_name: str, municipalities, hospital_units, exact: bool, **kwargs):

        if data is not None:
            data = self._with_defaults(data)
        super().__init__(data, *args, **kwargs)
        # "from" and "to" as in the API (and the page's earlier links); not valid attribute names.
        dates = {
            "from": limits.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})),
            "to": limits.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})),
        }
        self.fields = {**dates, **self.fields}
        self.exact = exact
        cast(forms.ChoiceField, self.fields["granularity"]).choices = [
            (value, label) for value, label in Granularity.choices if exact or value != Granularity.DAY
        ]
        if not exact:
            self.fields["granularity"].error_messages["invalid_choice"] = READERS_GET_NO_DAYS
        cast(forms.ChoiceField, self.fields["municipality"]).choices = [("", county_name)] + [
            (code, name) for code, name in municipalities
        ]
        cast(forms.ChoiceField, self.fields["care_type"]).choices = [("", _("All"))] + CareType.choices
        cast(forms.ChoiceField, self.fields["age_band"]).choices = [("", _("All"))] + [
            (key, label) for key, (label, _l, _h) in AGE_BANDS.items()
        ]
        cast(forms.ChoiceField, self.fields["hospital_unit"]).choices = [("", _("All"))] + [
            (str(pk), name) for pk, name in hospital_units
        ]

    @staticmethod
    def _with_defaults(data):
        """The query with what is left out filled in (weeks, the last twelve full weeks and this
        one), so that the form shows what the page shows."""

        data = data.copy()
        today = timezone.localdate()
        if not data.get("granularity"):
            data["granularity"] = Granularity.WEEK
        if not data.get("to"):
            data["to"] = today.isoformat()
        if not data.get("from"):
            try:
                end = datetime.date.fromisoformat(data["to"])
            except ValueError:
                end = today
            if not limits.date_in_range(end):  # the field says so; the default must not leave the calendar
                end = today
            data["from"] = (end - datetime.timedelta(days=end.weekday() + 7 * 12)).isoformat()
        return data

    def clean(self):

        data = super().clean()
        today = timezone.localdate()
        data["granularity"] = data.get("granularity") or Granularity.WEEK
        end = data.get("to") or today
        start = data.get("from") or (end - datetime.timedelta(days=end.weekday() + 7 * 12))
        if end < start:
            self.add_error("to", _("The period ends before it starts."))
            return data
        try:
            up_to_today(start, end, today)  # the end is cut at today by the selector, which says so
        except PeriodRefused as refused:
            self.add_error("from", str(refused))
            return data
        if not self.exact:
            try:
                start, end = whole_periods(start, end, data["granularity"], today)
            except PeriodRefused as refused:
                self.add_error("to", str(refused))
                return data
        if len(bucket_starts(start, end, data["granularity"])) > self.MAX_BUCKETS:
            self.add_error("granularity", _("Too many periods to show; choose a shorter period or weeks or months."))
        data["start"], data["end"] = start, end
        return data

    def filters(self):

        data = self.cleaned_data
        return Filters(
            care_type=data.get("care_type") or "",
            age_band=data.get("age_band") or "",
            covid={"yes": True, "no": False}.get(data.get("covid") or ""),
            hospital_unit=int(data["hospital_unit"]) if data.get("hospital_unit") else None,
        )
