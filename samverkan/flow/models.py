"""Episodes (one inpatient stay each) imported from the region's systems, with only what
statistics and follow-up need: no names, and a keyed pseudonym instead of the personnummer."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from samverkan.organisations.models import County, Municipality, Unit
from samverkan.organisations.policy import PolicyQuerySet


class CareType(models.TextChoices):
    SOMATIC = "somatic", _("Somatic")
    PSYCHIATRIC = "psychiatric", _("Psychiatric")


class Destination(models.TextChoices):
    """Where the patient went after discharge: a fixed list (docs/architecture.md); sources map onto it."""

    HOME = "home", _("Home without services")
    HOME_CARE = "home_care", _("Home with home care")
    SHORT_TERM = "short_term", _("Short-term place")
    NURSING_HOME = "nursing_home", pgettext_lazy("destination", "Nursing home")
    OTHER_REGION = "other_region", _("Other region")
    DECEASED = "deceased", _("Deceased")
    OTHER = "other", pgettext_lazy("destination", "Other")


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    UNKNOWN = "U", _("Unknown")


class Source(models.Model):
    """A system that sends episodes for a county's region (e.g. Cosmic at Region Dalarna)."""

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="episode_sources")
    name = models.CharField(_("name"), max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["county_id", "name"]
        verbose_name = _("source system")
        verbose_name_plural = _("source systems")
        constraints = [models.UniqueConstraint(fields=["county", "name"], name="flow_source_unique_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.county_id})"


class UnitMapping(models.Model):
    """A source's code for one of our units."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="unit_mappings")
    code = models.CharField(_("source code"), max_length=60)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("unit mapping")
        verbose_name_plural = _("unit mappings")
        constraints = [models.UniqueConstraint(fields=["source", "code"], name="flow_unit_mapping_unique")]

    def __str__(self) -> str:
        return f"{self.source.name}:{self.code} → {self.unit}"


class DestinationMapping(models.Model):
    """A source's code for one of the fixed destinations."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="destination_mappings")
    code = models.CharField(_("source code"), max_length=60)
    destination = models.CharField(_("destination"), max_length=20, choices=Destination.choices)

    class Meta:
        verbose_name = _("destination mapping")
        verbose_name_plural = _("destination mappings")
        constraints = [models.UniqueConstraint(fields=["source", "code"], name="flow_destination_mapping_unique")]

    def __str__(self) -> str:
        return f"{self.source.name}:{self.code} → {self.destination}"


class EncounterClassMapping(models.Model):
    """A source's own code for an inpatient stay in FHIR's `Encounter.class` (besides HL7's IMP,
    ACUTE and NONAC): Encounters of that class are episodes, like those (samverkan/flow/fhir.py)."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="class_mappings")
    code = models.CharField(_("source code"), max_length=60)

    class Meta:
        verbose_name = _("inpatient encounter class")
        verbose_name_plural = _("inpatient encounter classes")
        constraints = [models.UniqueConstraint(fields=["source", "code"], name="flow_class_mapping_unique")]

    def __str__(self) -> str:
        return f"{self.source.name}:{self.code} → inpatient"


class Episode(models.Model):
    """One inpatient stay, admission to discharge."""

    # No index of its own: flow_episode_unique_record starts with it. Every index costs each of the
    # million rows a large import writes (benchmarks/bench_flow_import.py), so there are none twice.
    # No foreign-key constraints in the database (db_constraint=False) on the three references: the
    # import checks them set-based and locks the rows they name (imports.check_references), where
    # the constraints' triggers checked each of a million rows one by one at commit. Deleting a
    # referenced row is refused by on_delete=PROTECT as before.
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="episodes", db_index=False, db_constraint=False
    )
    # The source's own identifier of the stay (the CSV's source_id; `source_id` is the foreign key).
    record_id = models.CharField(_("source id"), max_length=64)
    pseudonym = models.CharField(_("patient pseudonym"), max_length=64, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    home_municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )  # flow_episode_municipality_time starts with it
    hospital_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_constraint=False
    )
    care_type = models.CharField(_("care type"), max_length=12, choices=CareType.choices)
    covid = models.BooleanField(_("covid"), default=False)
    admitted_at = models.DateTimeField(_("admitted"))
    admission_notice_at = models.DateTimeField(_("admission notice"), null=True, blank=True)
    estimated_discharge_date = models.DateField(_("estimated discharge date"), null=True, blank=True)
    ready_at = models.DateTimeField(_("ready for discharge"), null=True, blank=True)
    sip_called_at = models.DateTimeField(_("SIP called"), null=True, blank=True)
    discharged_at = models.DateTimeField(_("discharged"), null=True, blank=True)
    destination = models.CharField(_("destination"), max_length=20, choices=Destination.choices, blank=True)
    # When primary care appointed the patient's named care contact (fast vårdkontakt), if known.
    care_contact_at = models.DateTimeField(_("named care contact appointed"), null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = PolicyQuerySet.as_manager()  # who reads which rows: policy.RULES["flow.view_episodes"]

    class Meta:
        ordering = ["-admitted_at", "id"]
        verbose_name = _("episode")
        verbose_name_plural = _("episodes")
        constraints = [
            models.UniqueConstraint(fields=["source", "record_id"], name="flow_episode_unique_record"),
        ]
        indexes = [
            # Statistics per municipality and period.
            models.Index(fields=["home_municipality", "admitted_at"], name="flow_episode_municipality_time"),
            # The same patient's episodes (a plain B-tree: no LIKE index, nothing searches by prefix).
            models.Index(fields=["pseudonym"], name="flow_episode_pseudonym"),
        ]

    def __str__(self) -> str:
        return f"{self.source.name}:{self.record_id}"


class ImportStatus(models.TextChoices):
    MAPPING = "mapping", _("Waiting for column mapping")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Imported")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


# Imports that have not finished: their uploaded file is kept (privately) until they do.
OPEN_IMPORT_STATUSES = (ImportStatus.MAPPING, ImportStatus.QUEUED, ImportStatus.RUNNING)


class ColumnLayout(models.Model):
    """How a source's files name their columns: file column (lower case) → canonical column.
    Saved on the upload page's mapping step and applied to the next file with the same header."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="column_layouts")
    # The file's header columns, lower case and stripped, in the file's order.
    header = models.JSONField(_("file columns"), default=list)
    # SHA-256 of the header's columns, sorted: what a new file's header is matched on.
    header_key = models.CharField(max_length=64)
    mapping = models.JSONField(_("column mapping"), default=dict)
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    saved_at = models.DateTimeField(_("saved"), default=timezone.now)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["source_id", "-saved_at"]
        verbose_name = _("column layout")
        verbose_name_plural = _("column layouts")
        constraints = [models.UniqueConstraint(fields=["source", "header_key"], name="flow_column_layout_unique")]

    def __str__(self) -> str:
        return f"{self.source.name}: {len(self.header)} columns"


class ImportRun(models.Model):
    """One import of a file or API call: who, what, counts and every error."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="imports")
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    imported_via = models.CharField(max_length=120, blank=True)
    filename = models.CharField(_("file"), max_length=255, blank=True)
    file_format = models.CharField(_("format"), max_length=10)
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.RUNNING)
    dry_run = models.BooleanField(_("check only"), default=False)
    layout = models.ForeignKey(
        ColumnLayout, on_delete=models.SET_NULL, null=True, blank=True, related_name="imports", verbose_name=_("layout")
    )
    # An upload kept between steps (mapping, background import): a random name in
    # settings.IMPORT_UPLOAD_DIR, emptied when the file is deleted.
    stored_file = models.CharField(max_length=64, blank=True)
    file_size = models.PositiveBigIntegerField(_("file size"), default=0)
    # How to read the stored file: encoding, delimiter, sheet.
    read_options = models.JSONField(default=dict, blank=True)
    rows_estimate = models.PositiveIntegerField(_("estimated rows"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("new"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    # Read but not episodes, so not imported: FHIR Encounters that are not inpatient stays.
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.source} {self.started_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_IMPORT_STATUSES


WAITED_DAYS_KEPT = 7  # days ready counted one by one in DailyFlow (0 … 7); grace days up to this


class DailyFlow(models.Model):
    """One home municipality's flow on one local day, per care type and covid: what the statistics
    need unfiltered or filtered by care type or covid, kept current by every import (samverkan/flow/daily.py) so that the county statistics
    read a few thousand rows instead of every episode.

    Admissions and ready notices count on the local day they happened; discharges (with their days
    ready and destination) on the local day of discharge."""

    # Written only by daily.py from episodes whose references the import checked; no constraint
    # trigger per row, and no index of its own (flow_dailyflow_unique_day starts with it).
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    day = models.DateField()
    # One row per care type and covid or not, so that filtering by them reads these rows too.
    care_type = models.CharField(max_length=12, choices=CareType.choices, default=CareType.SOMATIC)
    covid = models.BooleanField(default=False)
    admissions = models.PositiveIntegerField(default=0)
    ready_notices = models.PositiveIntegerField(default=0)
    discharges = models.PositiveIntegerField(default=0)
    discharged_ready = models.PositiveIntegerField(default=0)  # discharges after a ready notice
    days_ready = models.PositiveIntegerField(default=0)  # their days ready, summed
    # Of discharged_ready: how many waited exactly 0, 1, … WAITED_DAYS_KEPT days.
    waited_0 = models.PositiveIntegerField(default=0)
    waited_1 = models.PositiveIntegerField(default=0)
    waited_2 = models.PositiveIntegerField(default=0)
    waited_3 = models.PositiveIntegerField(default=0)
    waited_4 = models.PositiveIntegerField(default=0)
    waited_5 = models.PositiveIntegerField(default=0)
    waited_6 = models.PositiveIntegerField(default=0)
    waited_7 = models.PositiveIntegerField(default=0)
    # Of discharged_ready: discharged no later than their first liable day, and their days after it
    # summed, by the county's grace-day rules (samverkan/flow/grace.py) when the rows were built.
    within_grace = models.PositiveIntegerField(default=0)
    days_beyond_grace = models.PositiveIntegerField(default=0)
    # Discharges by destination (Destination's values).
    to_home = models.PositiveIntegerField(default=0)
    to_home_care = models.PositiveIntegerField(default=0)
    to_short_term = models.PositiveIntegerField(default=0)
    to_nursing_home = models.PositiveIntegerField(default=0)
    to_other_region = models.PositiveIntegerField(default=0)
    to_deceased = models.PositiveIntegerField(default=0)
    to_other = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "day", "care_type", "covid"], name="flow_dailyflow_unique_day_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id} {self.day}"


class DailyFlowCounty(models.Model):
    """A county whose DailyFlow rows are complete: built once from all its episodes, then kept
    current by every import. Without this row the statistics read the episodes themselves."""

    county = models.OneToOneField(County, on_delete=models.CASCADE, primary_key=True, related_name="+")
    built_at = models.DateTimeField(default=timezone.now)
    refreshed_at = models.DateTimeField(default=timezone.now)
    grace_rules = models.CharField(max_length=64, blank=True)  # grace.Rules.fingerprint() the rows were built with

    def __str__(self) -> str:
        return f"{self.county_id} (built {self.built_at:%Y-%m-%d %H:%M})"
