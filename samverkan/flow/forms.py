from django import forms
from django.utils.translation import gettext_lazy as _

MAX_UPLOAD_BYTES = 200 * 1024 * 1024


class UploadForm(forms.Form):
    source = forms.CharField(
        label=_("Source system"), max_length=100, help_text=_("E.g. Cosmic. A new name is created on first use.")
    )
    file = forms.FileField(
        label=_("File (canonical CSV or Excel .xlsx)"),
        help_text=_(
            "Other column names: you choose which column is which in a next step, saved for the source. "
            "Large files are imported in the background."
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


class ColumnMappingForm(forms.Form):
    """For each canonical column, the file column that holds it (or none); the required ones must
    be mapped, and no file column may be used twice."""

    def __init__(self, *args, header: list[str], **kwargs):
        from samverkan.flow.imports import CANONICAL_COLUMNS, REQUIRED_COLUMNS

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

    def clean(self):
        cleaned = super().clean()
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
