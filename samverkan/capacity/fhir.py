"""The county's current capacity as a FHIR R4 MeasureReport shaped like HL7 SANER's bed measure.

One group ("Beds") with a population per measured value (physical, staffed, occupied, free,
reserved, surge places) for the county, stratified by municipality. SANER's codes are used where
they exist; Samverkan's own code system covers free, reserved and surge places."""

from __future__ import annotations

from samverkan.capacity.schedule import LOCAL
from samverkan.capacity.selectors import Overview, Totals

SANER_GROUP_SYSTEM = "http://hl7.org/fhir/uv/saner/CodeSystem/MeasureGroupSystem"
SANER_VALUES_SYSTEM = "http://hl7.org/fhir/uv/saner/CodeSystem/MeasuredValues"
POPULATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/measure-population"
SAMVERKAN_VALUES_SYSTEM = "https://samverkan.se/fhir/CodeSystem/capacity-values"
MEASURE = "https://samverkan.se/fhir/Measure/short-term-bed-capacity"
SANER_PROFILE = "http://hl7.org/fhir/uv/saner/StructureDefinition/PublicHealthMeasureReport"
MUNICIPALITY_SYSTEM = "urn:oid:1.2.752.29.4.19"  # SCB municipality codes (kommunkod)

# (system, code, display, Totals attribute)
VALUES = [
    (SANER_VALUES_SYSTEM, "numTotBeds", "Total number of all inpatient and outpatient beds", "physical"),
    (SANER_VALUES_SYSTEM, "numbeds", "Inpatient beds (staffed)", "staffed"),
    (SANER_VALUES_SYSTEM, "numBedsOcc", "Inpatient beds occupied", "occupied"),
    (SAMVERKAN_VALUES_SYSTEM, "free", "Free places: staffed − occupied − reserved", "free"),
    (SAMVERKAN_VALUES_SYSTEM, "reserved", "Places reserved by accepted requests", "reserved"),
    (SAMVERKAN_VALUES_SYSTEM, "surge", "Surge places that can open within 24 hours", "surge"),
]


def _population(system: str, code: str, display: str, count: int) -> dict:
    return {
        "code": {
            "coding": [
                {"system": system, "code": code, "display": display},
                {"system": POPULATION_SYSTEM, "code": "initial-population"},
            ]
        },
        "count": count,
    }


def _populations(totals: Totals) -> list[dict]:
    return [_population(system, code, display, getattr(totals, attr)) for system, code, display, attr in VALUES]


def overview_measure_report(overview: Overview) -> dict:
    day = overview.generated_at.astimezone(LOCAL).date().isoformat()  # the Swedish day, not UTC's
    stratifiers = []
    for system, code, display, attr in VALUES:
        stratifiers.append(
            {
                "code": [{"coding": [{"system": system, "code": code, "display": display}]}],
                "stratum": [
                    {
                        "value": {
                            "coding": [{"system": MUNICIPALITY_SYSTEM, "code": group.code}],
                            "text": group.name,
                        },
                        "population": [
                            {
                                "code": {"coding": [{"system": POPULATION_SYSTEM, "code": "initial-population"}]},
                                "count": getattr(group.totals, attr),
                            }
                        ],
                    }
                    for group in overview.municipalities
                ],
            }
        )
    return {
        "resourceType": "MeasureReport",
        "id": f"capacity-{overview.county.code}-{overview.generated_at:%Y%m%dT%H%M%S}",
        "meta": {"profile": [SANER_PROFILE]},
        "status": "complete",
        "type": "summary",
        "measure": MEASURE,
        "subject": {
            "display": overview.county.name,
            "identifier": {"system": "urn:oid:1.2.752.29.4.18", "value": overview.county.code},
        },
        "date": overview.generated_at.isoformat(),
        "reporter": {"display": "Samverkan"},
        "period": {"start": day, "end": day},
        "group": [
            {
                "code": {"coding": [{"system": SANER_GROUP_SYSTEM, "code": "Beds", "display": "Beds"}]},
                "population": _populations(overview.totals),
                "stratifier": stratifiers,
            }
        ],
    }
