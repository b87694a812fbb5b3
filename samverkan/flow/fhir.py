"""Episodes from a FHIR R4 Bundle of Encounter resources, read into the canonical columns.

`read_fhir` yields (entry index, EntryRow: {canonical column: text} and each column's element path)
like `read_csv` yields its rows, so validation,
pseudonymisation, the upsert on (source, source id) and the audit are those of every import
(samverkan/flow/imports.py). The bundle and every entry are parsed and validated with the
fhir.resources package (R4B models, which fit R4's Encounter, Patient, Location, Organization and
Condition). Every Encounter entry is one row; the other entries are only looked up through the
Encounters' references (by `fullUrl`, or by "Type/id"). Entries are numbered from 0, as in
`Bundle.entry[N]`, and every error names the entry and an element path (FHIRPath; what was read
through a reference is `….resolve().…`), e.g. `entry 3, Encounter.period.end: Discharge is before
admission.`

The mapping (canonical column ← element):

- source_id ← `Encounter.identifier[i].value` (the first with a value), else `Encounter.id`.
- personnummer ← the identifier with system `urn:oid:1.2.752.129.2.1.3.1` in `Encounter.subject.identifier`,
  else in the referenced Patient's `identifier`. Checked and pseudonymised like the CSV's.
- birth_year, sex ← the Patient's `birthDate` (its year) and `gender` (female F, male M, other and
  unknown U).
- home_municipality ← the Patient's extension `HOME_MUNICIPALITY_URL` (valueCoding.code, valueCode or
  valueString: the four-digit SCB code), else the `district` of its home address (`use` home, else
  the first address with a district): a four-digit SCB code or a municipality's name (e.g. Falun).
- hospital_unit ← the last `Encounter.location[i].location` (its identifier, or the referenced
  Location's first identifier), else `Encounter.serviceProvider` likewise (an Organization): a unit
  code mapped for the source, as in the CSV.
- care_type ← the code of a coding with system `CARE_TYPE_SYSTEM` in `Encounter.serviceType`, else in
  `Encounter.type`: somatic or psychiatric.
- admitted_at, discharged_at ← `Encounter.period.start`, `.end` (an ongoing stay has no end).
- admission_notice_at, ready_at, sip_called_at, estimated_discharge_date, care_contact_at ← Encounter
  extensions (see EXTENSIONS) with valueDateTime (valueDate for the estimated discharge date).
- destination ← `Encounter.hospitalization.dischargeDisposition`: the coding with system
  `DESTINATION_SYSTEM` (a canonical destination), else the first coding's code, which must then be a
  canonical destination or a code mapped for the source (e.g. HL7's `exp` mapped to deceased).
- covid ← 1 when a coding of `Encounter.reasonCode` or of a Condition referenced by
  `Encounter.diagnosis[i].condition` has the ICD-10 code U07.1 or U07.2, else 0.

Encounters with status cancelled or entered-in-error are skipped (never imported; an episode
imported earlier stays as it was). Only inpatient stays are episodes: an Encounter whose `class`
is not one of INPATIENT_CLASSES (HL7 v3 ActCode IMP, ACUTE, NONAC: inpatient, inpatient acute,
inpatient non-acute) nor one of the source's own codes mapped as inpatient
(`EncounterClassMapping`, on the admin pages with the unit and destination codes) is an outpatient visit, a home visit, an emergency visit that ended without
admission, … and is skipped and counted ("12 encounters were not inpatient stays and were
skipped", ImportRun.skipped), never an error and never an episode."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from samverkan.flow.imports import FileRejected
from samverkan.flow.models import EncounterClassMapping, Source
from samverkan.flow.validation import EntryRow, Row, RowError, SkippedRow, UnreadRow
from samverkan.organisations.models import Municipality

PERSONNUMMER_SYSTEM = "urn:oid:1.2.752.129.2.1.3.1"
SAMVERKAN = "https://samverkan.se/fhir"
HOME_MUNICIPALITY_URL = f"{SAMVERKAN}/StructureDefinition/home-municipality"
CARE_TYPE_SYSTEM = f"{SAMVERKAN}/CodeSystem/care-type"
DESTINATION_SYSTEM = f"{SAMVERKAN}/CodeSystem/destination"
EXTENSIONS = {
    f"{SAMVERKAN}/StructureDefinition/admission-notice": "admission_notice_at",
    f"{SAMVERKAN}/StructureDefinition/ready-for-discharge": "ready_at",
    f"{SAMVERKAN}/StructureDefinition/sip-called": "sip_called_at",
    f"{SAMVERKAN}/StructureDefinition/estimated-discharge-date": "estimated_discharge_date",
    f"{SAMVERKAN}/StructureDefinition/care-contact-appointed": "care_contact_at",
}
COVID_CODES = {"U071", "U072"}
SKIPPED_STATUSES = {"cancelled", "entered-in-error"}
INPATIENT_CLASSES = {"IMP", "ACUTE", "NONAC"}  # http://terminology.hl7.org/CodeSystem/v3-ActCode
GENDER = {"female": "F", "male": "M", "other": "U", "unknown": "U"}
SUBJECT = "Encounter.subject.resolve()"

# Where each column's errors point when the element the value would come from is absent.
DEFAULT_PATHS = {
    "source_id": "Encounter.identifier",
    "personnummer": "Encounter.subject.identifier",
    "birth_year": f"{SUBJECT}.birthDate",
    "sex": f"{SUBJECT}.gender",
    "home_municipality": f"{SUBJECT}.address.district",
    "hospital_unit": "Encounter.location.location",
    "care_type": "Encounter.serviceType",
    "admitted_at": "Encounter.period.start",
    "discharged_at": "Encounter.period.end",
    "destination": "Encounter.hospitalization.dischargeDisposition",
    "covid": "Encounter.reasonCode",
    **{column: f"Encounter.extension('{url}')" for url, column in EXTENSIONS.items()},
}


def _rejected(message: str, where: str | None = None) -> FileRejected:
    return FileRejected([RowError(None, where, message, "entry")])


def _path(resource_type: str, loc: tuple) -> str:
    """A pydantic error location as an element path: ('period', 'end') → Encounter.period.end."""
    path = resource_type
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part != "resource_type":
            path += "." + ("class" if part == "class_fhir" else str(part))
    return path


def _message(problem: Mapping[str, Any]) -> str:
    text = str(problem["msg"]).removeprefix("Value error, ")
    if problem["type"] == "extra_forbidden":
        return "Not an element of this resource in FHIR R4."
    return text if text.endswith(".") else text + "."


def _invalid(index: int | None, resource_type: str, invalid: ValidationError) -> list[RowError]:
    return [RowError(index, _path(resource_type, p["loc"]), _message(p), "entry") for p in invalid.errors()]


def _load(data: bytes) -> dict:
    if not data.strip():
        raise _rejected("The file is empty.")
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise _rejected("The file is not UTF-8 text: a FHIR JSON bundle must be UTF-8.") from None
    except json.JSONDecodeError as bad:
        raise _rejected(f"The file is not JSON (line {bad.lineno}, column {bad.colno}: {bad.msg}).") from None
    if not isinstance(document, dict) or "resourceType" not in document:
        raise _rejected("The file is JSON but not a FHIR resource: it has no resourceType.")
    if document["resourceType"] != "Bundle":
        raise _rejected(
            f"The file holds a resource of type {document['resourceType']}, not a Bundle: send a Bundle of "
            "Encounter resources.",
            "resourceType",
        )
    return document


@dataclass
class _Entry:
    """One bundle entry: its resource parsed by fhir.resources, or the errors that stopped it."""

    index: int
    resource_type: str | None
    resource: Any = None  # a fhir.resources model (its attributes are the resource's elements), or None
    full_url: str | None = None
    errors: list[RowError] = field(default_factory=list)
    resource_id: str | None = None  # of an invalid resource, to tell references to it apart


def _entry_error(index: int, where: str, message: str) -> RowError:
    return RowError(index, where, message, "entry")


def _parse_entry(index: int, entry, get_model, entry_model) -> _Entry:
    resource = entry.get("resource") if isinstance(entry, dict) else None
    if not isinstance(resource, dict):
        return _Entry(
            index, None, errors=[_entry_error(index, "Bundle.entry.resource", "Each entry must hold a resource.")]
        )
    resource_type = str(resource.get("resourceType"))
    try:
        get_model(resource_type)
    except (ValueError, KeyError):
        message = f"{resource.get('resourceType')!r} is not a FHIR R4 resource type."
        return _Entry(index, None, errors=[_entry_error(index, "Bundle.entry.resource.resourceType", message)])
    full_url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else None
    try:
        parsed = entry_model.model_validate(entry)
    except KeyError as unknown:  # fhir.resources meets a contained resource of a type FHIR does not have
        message = f"Unknown resource type {unknown}."
        return _Entry(
            index, resource_type, full_url=full_url, errors=[_entry_error(index, f"{resource_type}.contained", message)]
        )
    except ValidationError as invalid:
        errors = []
        for problem in invalid.errors():
            loc = problem["loc"]
            where = _path(resource_type, loc[1:]) if loc[:1] == ("resource",) else _path("Bundle.entry", loc)
            errors.append(_entry_error(index, where, _message(problem)))
        resource_id = resource.get("id") if isinstance(resource.get("id"), str) else None
        return _Entry(index, resource_type, full_url=full_url, errors=errors, resource_id=resource_id)
    return _Entry(index, resource_type, parsed.resource, full_url)


def _parse_bundle(document: dict) -> list[_Entry]:
    """The bundle's entries, each parsed and validated; the bundle itself checked first."""
    from fhir.resources.R4B import get_fhir_model_class
    from fhir.resources.R4B.bundle import Bundle, BundleEntry

    entries = document.get("entry")
    if entries is not None and not isinstance(entries, list):
        raise _rejected("Must be a list of entries.", "Bundle.entry")
    try:
        Bundle.model_validate({k: v for k, v in document.items() if k != "entry"})
    except ValidationError as invalid:
        raise FileRejected(_invalid(None, "Bundle", invalid)) from None
    return [_parse_entry(index, entry, get_fhir_model_class, BundleEntry) for index, entry in enumerate(entries or [])]


def _text(value) -> str:
    """A FHIR primitive as the text the CSV would hold (dates and times in ISO 8601)."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


class _Bundle:
    """The bundle's resources by reference ("fullUrl" or "Type/id"), to follow an Encounter's references."""

    def __init__(self, entries: list[_Entry]):
        self.by_reference: dict[str, Any] = {}  # fhir.resources models
        self.invalid: dict[str, int] = {}  # the references of entries that are not valid FHIR: their index
        for entry in entries:
            if entry.resource is None:
                keys = [entry.full_url, f"{entry.resource_type}/{entry.resource_id}" if entry.resource_id else None]
                self.invalid.update({key: entry.index for key in keys if key})
                continue
            if entry.full_url:
                self.by_reference[entry.full_url] = entry.resource
            if entry.resource.id:
                self.by_reference.setdefault(f"{entry.resource_type}/{entry.resource.id}", entry.resource)
        self._municipality_names: dict[str, str] | None = None

    def resolve(self, reference, resource_type: str):
        """The bundled resource a Reference points to (of that type), or None."""
        if reference is None or not reference.reference:
            return None
        found = self.by_reference.get(str(reference.reference))
        return found if found is not None and found.get_resource_type() == resource_type else None

    def municipality_code(self, name: str) -> str:
        if self._municipality_names is None:
            self._municipality_names = {n.casefold(): c for c, n in Municipality.objects.values_list("code", "name")}
        return self._municipality_names.get(name.casefold(), name)


def read_fhir(data: bytes, *, inpatient_codes: Collection[str] = ()) -> Iterator[tuple[int, Row]]:
    """One row per Encounter entry of a FHIR R4 Bundle (JSON): (entry index, EntryRow), naming each
    column's element; an entry that is not valid FHIR yields an UnreadRow with its errors.
    `inpatient_codes`: the source's own class codes of inpatient stays (`inpatient_codes_of`)."""
    entries = _parse_bundle(_load(data))
    bundle = _Bundle(entries)
    encounters = 0
    for entry in entries:
        if entry.errors:
            yield entry.index, UnreadRow(tuple(entry.errors))
            continue
        if entry.resource_type != "Encounter" or entry.resource.status in SKIPPED_STATUSES:
            continue
        encounters += 1
        if not is_inpatient(entry.resource, inpatient_codes):
            yield entry.index, SkippedRow("not an inpatient stay")
            continue
        yield entry.index, _row(entry.index, entry.resource, bundle)
    if not encounters and not any(entry.errors for entry in entries):
        raise _rejected("The bundle has no Encounter entries to import.", "Bundle.entry")


def is_inpatient(encounter, inpatient_codes: Collection[str] = ()) -> bool:
    """Whether the Encounter is an inpatient stay: its class (a Coding in R4) one of
    INPATIENT_CLASSES or of the source's own codes for one (`inpatient_codes`)."""
    coding = encounter.class_fhir
    code = (coding.code or "") if coding is not None else ""
    return code in INPATIENT_CLASSES or (bool(code) and code in inpatient_codes)


def inpatient_codes_of(source: Source | None) -> frozenset[str]:
    """The source's own Encounter.class codes mapped as inpatient stays."""
    if source is None:
        return frozenset()
    return frozenset(EncounterClassMapping.objects.filter(source=source).values_list("code", flat=True))


def _row(index: int, encounter, bundle: _Bundle) -> Row:
    values: dict[str, str] = {}
    paths = dict(DEFAULT_PATHS)

    def put(column: str, value, path: str) -> None:
        values[column] = _text(value)
        paths[column] = path

    for i, identifier in enumerate(encounter.identifier or []):
        if identifier.value:
            put("source_id", identifier.value, f"Encounter.identifier[{i}].value")
            break
    else:
        if encounter.id:
            put("source_id", encounter.id, "Encounter.id")

    subject = encounter.subject
    patient = bundle.resolve(subject, "Patient")
    if subject is None or patient is None:
        if subject is None:
            where, message = "Encounter.subject", "Required: a reference to the Patient in the bundle."
        elif str(subject.reference) in bundle.invalid:
            where = "Encounter.subject.reference"
            message = f"{subject.reference} is entry {bundle.invalid[str(subject.reference)]}, which is not valid FHIR."
        else:
            where = "Encounter.subject.reference"
            message = (
                f"{subject.reference} is not a Patient in the bundle: include the Patient (birth date, sex, "
                "home municipality)."
                if subject.reference
                else "Required: a reference to the Patient in the bundle."
            )
        return UnreadRow((RowError(index, where, message, "entry"),))
    if subject.identifier and subject.identifier.system == PERSONNUMMER_SYSTEM and subject.identifier.value:
        put("personnummer", subject.identifier.value, "Encounter.subject.identifier.value")
    else:
        for i, identifier in enumerate(patient.identifier or []):
            if identifier.system == PERSONNUMMER_SYSTEM and identifier.value:
                put("personnummer", identifier.value, f"{SUBJECT}.identifier[{i}].value")
                break
    if patient.birthDate:
        put("birth_year", _text(patient.birthDate)[:4], f"{SUBJECT}.birthDate")
    if patient.gender:
        put("sex", GENDER.get(patient.gender, patient.gender), f"{SUBJECT}.gender")
    _home_municipality(patient, bundle, put)
    _hospital_unit(encounter, bundle, put)

    concepts = [("Encounter.serviceType", encounter.serviceType)]
    concepts += [(f"Encounter.type[{c}]", concept) for c, concept in enumerate(encounter.type or [])]
    care_types = [
        (f"{where}.coding[{k}].code", coding.code)
        for where, concept in concepts
        for k, coding in enumerate((concept.coding if concept is not None else None) or [])
        if coding.system == CARE_TYPE_SYSTEM
    ]
    if care_types:
        put("care_type", care_types[0][1], care_types[0][0])

    if encounter.period:
        if encounter.period.start:
            put("admitted_at", encounter.period.start, "Encounter.period.start")
        if encounter.period.end:
            put("discharged_at", encounter.period.end, "Encounter.period.end")
    for i, extension in enumerate(encounter.extension or []):
        column = EXTENSIONS.get(str(extension.url))
        if column:
            value = extension.valueDateTime or extension.valueDate or extension.valueString
            kind = "valueDate" if extension.valueDate else "valueString" if extension.valueString else "valueDateTime"
            put(column, value, f"Encounter.extension[{i}].{kind}")

    disposition = encounter.hospitalization.dischargeDisposition if encounter.hospitalization else None
    codings = list(enumerate((disposition.coding if disposition else None) or []))
    chosen = [(k, c) for k, c in codings if c.system == DESTINATION_SYSTEM and c.code] or [
        (k, c) for k, c in codings if c.code
    ]
    if chosen:
        k, coding = chosen[0]
        put("destination", coding.code, f"Encounter.hospitalization.dischargeDisposition.coding[{k}].code")

    reasons = list(encounter.reasonCode or [])
    for diagnosis in encounter.diagnosis or []:
        condition = bundle.resolve(diagnosis.condition, "Condition")
        if condition is not None and condition.code:
            reasons.append(condition.code)
    codes = {(c.code or "").upper().replace(".", "") for reason in reasons for c in reason.coding or []}
    values["covid"] = "1" if codes & COVID_CODES else "0"
    return EntryRow(values, paths)


def _home_municipality(patient, bundle: _Bundle, put) -> None:
    for i, extension in enumerate(patient.extension or []):
        if str(extension.url) == HOME_MUNICIPALITY_URL:
            if extension.valueCoding is not None:
                put("home_municipality", extension.valueCoding.code, f"{SUBJECT}.extension[{i}].valueCoding.code")
            else:
                kind = "valueCode" if extension.valueCode else "valueString"
                put("home_municipality", getattr(extension, kind), f"{SUBJECT}.extension[{i}].{kind}")
            return
    addresses = [(i, a) for i, a in enumerate(patient.address or []) if a.district]
    home = [(i, a) for i, a in addresses if a.use == "home"] or addresses
    if home:
        i, address = home[0]
        district = address.district.strip()
        code = district if district.isdigit() else bundle.municipality_code(district)
        put("home_municipality", code, f"{SUBJECT}.address[{i}].district")


def _hospital_unit(encounter, bundle: _Bundle, put) -> None:
    """The unit code: the last location's identifier, else the service provider's."""
    candidates = [
        (f"Encounter.location[{i}].location", place.location, "Location")
        for i, place in enumerate(encounter.location or [])
    ][::-1]
    if encounter.serviceProvider is not None:
        candidates.append(("Encounter.serviceProvider", encounter.serviceProvider, "Organization"))
    for where, reference, resource_type in candidates:
        if reference.identifier is not None and reference.identifier.value:
            put("hospital_unit", reference.identifier.value, f"{where}.identifier.value")
            return
        resource = bundle.resolve(reference, resource_type)
        for k, identifier in enumerate((resource.identifier if resource is not None else None) or []):
            if identifier.value:
                put("hospital_unit", identifier.value, f"{where}.resolve().identifier[{k}].value")
                return
