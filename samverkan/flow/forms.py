from django import forms
from django.utils.translation import gettext_lazy as _

MAX_UPLOAD_BYTES = 200 * 1024 * 1024


class UploadForm(forms.Form):
    source = forms.CharField(
        label=_("Source system"), max_length=100, help_text=_("E.g. Cosmic. A new name is created on first use.")
    )
    file = forms.FileField(label=_("File (canonical CSV or Excel .xlsx)"))
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


class EpisodeFilterForm(forms.Form):
    municipality = forms.ChoiceField(label=_("Home municipality"), required=False)
    reason = forms.CharField(
        label=_("Why you need patient-level data"),
        max_length=200,
        help_text=_("Recorded in the access log, as patient-data law requires."),
    )

    def __init__(self, *args, municipalities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].choices = [("", _("All you may see"))] + [(m.code, m.name) for m in municipalities]


class StatisticsForm(forms.Form):
    """Period, granularity and filters of the statistics page (GET); every field optional."""

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

    def __init__(self, *args, county_name: str, municipalities, hospital_units, **kwargs):
        from samverkan.flow.models import CareType
        from samverkan.flow.statistics import AGE_BANDS, Granularity

        super().__init__(*args, **kwargs)
        # "from" and "to" as in the API (and the page's earlier links); not valid attribute names.
        dates = {
            "from": forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})),
            "to": forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})),
        }
        self.fields = {**dates, **self.fields}
        self.fields["granularity"].choices = Granularity.choices
        self.fields["municipality"].choices = [("", county_name)] + [(code, name) for code, name in municipalities]
        self.fields["care_type"].choices = [("", _("All"))] + CareType.choices
        self.fields["age_band"].choices = [("", _("All"))] + [
            (key, label) for key, (label, _l, _h) in AGE_BANDS.items()
        ]
        self.fields["hospital_unit"].choices = [("", _("All"))] + [(str(pk), name) for pk, name in hospital_units]

    def clean(self):
        import datetime

        from django.utils import timezone

        from samverkan.flow.statistics import Granularity, bucket_starts

        data = super().clean()
        today = timezone.localdate()
        data["granularity"] = data.get("granularity") or Granularity.WEEK
        end = data.get("to") or today
        start = data.get("from") or (end - datetime.timedelta(days=end.weekday() + 7 * 12))
        if end < start:
            self.add_error("to", _("The period ends before it starts."))
        elif len(bucket_starts(start, end, data["granularity"])) > self.MAX_BUCKETS:
            self.add_error("granularity", _("Too many periods to show; choose a shorter period or weeks or months."))
        data["start"], data["end"] = start, end
        return data

    def filters(self):
        from samverkan.flow.statistics import Filters

        data = self.cleaned_data
        return Filters(
            care_type=data.get("care_type") or "",
            age_band=data.get("age_band") or "",
            covid={"yes": True, "no": False}.get(data.get("covid") or ""),
            hospital_unit=int(data["hospital_unit"]) if data.get("hospital_unit") else None,
        )
