from django import forms
from django.utils.translation import gettext_lazy as _

from samverkan import limits
from samverkan.audit.events import event_label
from samverkan.organisations.models import Organisation


class AuditFilterForm(forms.Form):
    event_type = forms.ChoiceField(label=_("Event type"), required=False)
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=Organisation.objects.none(), required=False)
    actor = forms.CharField(label=_("Actor"), required=False, max_length=200)
    since = limits.DateField(label=_("From date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = limits.DateField(label=_("To date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, event_types, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event_type"].choices = [("", _("All"))] + sorted(
            ((t, event_label(t)) for t in event_types), key=lambda choice: choice[1]
        )
        self.fields["organisation"].queryset = organisations
        self.fields["organisation"].empty_label = _("All")
