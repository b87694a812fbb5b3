from django import forms
from django.utils.translation import gettext_lazy as _

MAX_UPLOAD_BYTES = 200 * 1024 * 1024


class UploadForm(forms.Form):
    source = forms.CharField(
        label=_("Source system"), max_length=100, help_text=_("E.g. Cosmic. A new name is created on first use.")
    )
    file = forms.FileField(label=_("File (canonical CSV, Excel .xlsx or a FHIR R4 Bundle .json)"))
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
