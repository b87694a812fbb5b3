"""The situation report: its figures are the source apps' figures at the moment of preparation,
it goes draft → published with a number, a published report never changes (a correction is the
next version), and everyone in the county (private providers too) sees the same published report
while drafts stay with those who prepare them."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import translation

from samverkan.accounts.models import User
from samverkan.audit.models import AuditEvent
from samverkan.capacity import selectors as capacity
from samverkan.capacity.tests.helpers import at, local, report
from samverkan.flow import statistics as flow_statistics
from samverkan.flow.imports import import_rows, source_for
from samverkan.organisations import policy
from samverkan.organisations.models import Membership, Organisation
from samverkan.organisations.roles import OrganisationKind, Role
from samverkan.placements import escalation
from samverkan.placements import services as placements
from samverkan.situation import selectors, services
from samverkan.situation.changes import change_sentences
from samverkan.situation.models import ImmutableReport, ReportStatus, SituationReport
from samverkan.situation.services import FigureInput
from samverkan.testing import PASSWORD, login

pytestmark = pytest.mark.django_db

NOW = local(2026, 3, 5, 9, 0)  # a Thursday morning
MORNING = local(2026, 3, 5, 8, 0)


@pytest.fixture
def dalarna(world):
    """Current reports (Lunden 16 staffed, 12 occupied; Avesta 10 staffed, 9 occupied: 5 free),
    two open requests (one accepted offer of 1 place), epidemiology figures, four weeks of flow."""
    report(world.lunden, world.lunden_staff, when=MORNING, staffed=16, occupied=12)
    report(world.avesta_unit, world.avesta_coordinator, when=MORNING, physical=12, staffed=10, occupied=9)
    with at(local(2026, 3, 3, 10, 0)):
        waiting = placements.request_create(
            by=world.avesta_coordinator,
            from_organisation=world.avesta,
            places=3,
            wanted_from=datetime.date(2026, 3, 4),
            to_county=True,
        )
    with at(local(2026, 3, 5, 7, 0)):
        shared = placements.request_create(
            by=world.avesta_coordinator,
            from_organisation=world.avesta,
            places=1,
            wanted_from=datetime.date(2026, 3, 5),
            to_county=True,
        )
        offer = placements.offer_create(request=shared, unit=world.lunden, places=1, by=world.lunden_staff)
        placements.offer_accept(offer=offer, by=world.avesta_coordinator)
    with at(NOW):
        services.figures_record(
            county_code="20",
            items=[
                FigureInput(datetime.date(2026, 2, 26), "intensive_care", 15),
                FigureInput(datetime.date(2026, 3, 5), "confirmed_cases", 564),
                FigureInput(datetime.date(2026, 3, 5), "intensive_care", 19),
                FigureInput(datetime.date(2026, 3, 5), "covid_ward", 66),
                FigureInput(datetime.date(2026, 3, 5), "deaths", 29),
            ],
            source="form",
            by=world.region_coordinator,
        )
    rows = [
        (
            n + 2,
            {
                "source_id": f"S{n}",
                "home_municipality": "2080" if n % 2 else "2084",
                "care_type": "somatic",
                "admitted_at": f"2026-02-{10 + n % 14:02d}T08:00",
            },
        )
        for n in range(40)
    ]
    with at(NOW):
        import_rows(source=source_for("20", "Cosmic"), rows=rows, by=world.region_coordinator, filename="s.csv")
    return waiting


def prepare(world, by=None, when=NOW) -> SituationReport:
    with at(when):
        return services.report_prepare(
            county=Organisation.objects.get(code="R20").county, by=by or world.forum_secretary
        )


def test_figures_equal_the_source_apps_at_preparation(world, dalarna):
    draft = prepare(world)
    with at(NOW):
        overview = capacity.county_overview(policy.SYSTEM, "20")
        view = escalation.escalation_view(policy.SYSTEM, "20")
    cap = draft.figures["capacity"]["totals"]
    assert cap["free"] == overview.totals.free == 4  # Lunden 16 − 12 − 1 reserved, Avesta 10 − 9
    assert (cap["staffed"], cap["occupied"], cap["reserved"]) == (26, 21, 1)
    assert cap["occupancy_percent"] == 80.8
    assert {m["code"]: m["free"] for m in draft.figures["capacity"]["municipalities"]} == {"2080": 3, "2084": 1}
    assert draft.figures["capacity"]["trend"][-1]["day"] == "2026-03-05"
    plc = draft.figures["placements"]
    assert (plc["open_requests"], plc["places_asked"], plc["waiting_long"]) == (1, 3, 1)
    assert (plc["shared_requests"], plc["shared_places"]) == (1, 1)
    assert plc["escalation"]["current"]["order"] == view.current.order
    assert plc["escalation"]["suggested"]["order"] == view.suggestion.step.order == 3
    with translation.override("sv"), at(NOW):  # stored in the site's language, as prepared
        reasons = escalation.escalation_view(policy.SYSTEM, "20").suggestion.reasons
    assert plc["escalation"]["reasons"] == [str(r) for r in reasons]
    epi = {row["code"]: row for row in draft.figures["epidemiology"]["indicators"]}
    assert epi["confirmed_cases"]["value"] == 564
    assert (epi["intensive_care"]["value"], epi["intensive_care"]["week_before_value"]) == (19, 15)
    assert epi["deaths"]["date"] == "2026-03-05"
    flow = draft.figures["flow"]
    assert (flow["start"], flow["end"]) == ("2026-02-02", "2026-03-01")  # four whole weeks before this one
    assert [w["start"] for w in flow["weeks"]] == ["2026-02-02", "2026-02-09", "2026-02-16", "2026-02-23"]
    assert all(w["admissions"] % 5 == 0 for w in flow["weeks"])  # readers' figures: rounded
    assert sum(w["admissions"] for w in flow["weeks"]) in range(30, 51)  # 40 admitted, each week rounded
    with at(NOW):  # exactly what every reader of the flow statistics sees for those weeks
        exact = flow_statistics.statistics(
            policy.SYSTEM, county_code="20", start=datetime.date(2026, 2, 2), end=datetime.date(2026, 3, 1)
        )
    readers = flow_statistics.readers_figures(exact, flow_statistics.Rounding.from_settings())
    assert [(w["admissions"], w["discharges"], w["in_hospital"]) for w in flow["weeks"]] == [
        (b.figures.admissions, b.figures.discharges, b.figures.in_hospital) for b in readers.county.buckets
    ]
    assert sum(b.figures.admissions for b in exact.county.buckets) == 40


def test_the_figures_stay_as_prepared_when_the_sources_change(world, dalarna):
    draft = prepare(world)
    report(world.avesta_unit, world.avesta_coordinator, when=local(2026, 3, 5, 9, 30), staffed=10, occupied=2)
    draft.refresh_from_db()
    assert draft.figures["capacity"]["totals"]["free"] == 4
    again = prepare(world, when=local(2026, 3, 5, 10, 0))
    assert again.pk == draft.pk  # one draft per county, its figures taken anew
    assert again.figures["capacity"]["totals"]["free"] == 11


def test_prepare_comment_publish_numbers_and_audits(world, dalarna):
    draft = prepare(world)
    services.report_comment(
        report=draft, comments={"capacity": "Lunden öppnar 6 platser till."}, by=world.forum_secretary
    )
    published = services.report_publish(report=draft, by=world.forum_secretary)
    assert (published.status, published.number, published.version) == (ReportStatus.PUBLISHED, 1, 1)
    assert published.comments == {"capacity": "Lunden öppnar 6 platser till."}
    second = services.report_publish(report=prepare(world, when=local(2026, 3, 12, 9)), by=world.region_coordinator)
    assert second.number == 2 and second.previous == published
    assert list(
        AuditEvent.objects.filter(event_type__startswith="situation.report")
        .order_by("pk")
        .values_list("event_type", flat=True)
    ) == [
        "situation.report_prepared",
        "situation.report_commented",
        "situation.report_published",
        "situation.report_prepared",
        "situation.report_published",
    ]


def test_a_published_report_never_changes(world, dalarna):
    published = services.report_publish(report=prepare(world), by=world.forum_secretary)
    stored = SituationReport.objects.get(pk=published.pk)
    stored.figures = {"capacity": {"totals": {"free": 999}}}
    with pytest.raises(ImmutableReport):
        stored.save()
    with pytest.raises(ImmutableReport):
        SituationReport.objects.filter(pk=published.pk).update(comments={"x": "y"})
    with pytest.raises(ImmutableReport):
        stored.delete()
    with pytest.raises(services.Conflict):
        services.report_comment(report=published, comments={"capacity": "changed"}, by=world.forum_secretary)
    with pytest.raises(services.Conflict):
        services.report_publish(report=published, by=world.forum_secretary)
    with pytest.raises(PermissionDenied):
        services.report_discard(report=published, by=world.forum_secretary)
    assert SituationReport.objects.get(pk=published.pk).figures["capacity"]["totals"]["free"] == 4


def test_a_correction_is_the_next_version_of_the_same_number(world, dalarna):
    first = services.report_publish(report=prepare(world), by=world.forum_secretary)
    with at(local(2026, 3, 5, 11)):
        correction = services.report_correct(report=first, by=world.forum_secretary)
    assert correction.corrects == first and correction.status == ReportStatus.DRAFT
    corrected = services.report_publish(report=correction, by=world.forum_secretary)
    assert (corrected.number, corrected.version) == (1, 2)
    assert str(corrected) == "1.2"
    assert selectors.newer_version(first) == corrected
    assert selectors.report_by_number(world.viewer, "20", 1) == corrected
    assert selectors.report_by_number(world.viewer, "20", 1, version=1) == first
    assert SituationReport.objects.get(pk=first.pk).version == 1  # the first version is untouched


def test_one_draft_per_county(world, dalarna):
    first = services.report_publish(report=prepare(world), by=world.forum_secretary)
    prepare(world)
    with pytest.raises(services.Conflict):
        services.report_correct(report=first, by=world.forum_secretary)


def test_who_prepares_and_who_reads(world, dalarna):
    for persona in ("viewer", "falun_coordinator", "lunden_staff", "outsider"):
        with pytest.raises(PermissionDenied):
            prepare(world, by=world.users[persona])
    draft = prepare(world)
    # A draft is for those who prepare: others do not see it at all.
    assert selectors.report_detail(world.region_coordinator, draft.pk) == draft
    for persona in ("viewer", "falun_coordinator", "lunden_staff", "outsider"):
        with pytest.raises(Http404):
            selectors.report_detail(world.users[persona], draft.pk)
    published = services.report_publish(report=draft, by=world.forum_secretary)
    for persona in ("viewer", "falun_coordinator", "lunden_staff", "region_coordinator"):
        assert selectors.report_detail(world.users[persona], published.pk) == published
    with pytest.raises(Http404):
        selectors.report_detail(world.outsider, published.pk)


def test_a_private_provider_sees_the_same_published_report(world, dalarna, client):
    provider = Organisation.objects.create(
        code="P-CARE", name="Omsorg AB", kind=OrganisationKind.PROVIDER, county_id="20"
    )
    user = User.objects.create_user("provider@test.samverkan.se", PASSWORD, full_name="Provider Viewer")
    Membership.objects.create(user=user, organisation=provider, role=Role.VIEWER)
    published = services.report_publish(report=prepare(world), by=world.forum_secretary)
    login(client, user)
    page = client.get(f"/lagesbild/{published.pk}/")
    assert page.status_code == 200
    assert "564" in page.content.decode()
    own = login(client, world.forum_secretary).get(f"/lagesbild/{published.pk}/")
    # The same figures for both (apart from the secretary's own correction button).
    assert page.context["view"].capacity == own.context["view"].capacity
    assert page.context["view"].flow == own.context["view"].flow


def test_change_sentences_worked_out_by_hand(world):
    previous = SituationReport(
        county_id="20",
        status=ReportStatus.PUBLISHED,
        number=7,
        published_at=local(2026, 2, 26, 9),
        as_of=local(2026, 2, 26, 9),
        figures={
            "capacity": {"totals": {"free": 42, "occupied": 100}},
            "placements": {"open_requests": 2, "escalation": {"current": {"order": 1, "name": "Egna platser"}}},
            "epidemiology": {"indicators": [{"code": "deaths", "name": "Avlidna", "value": 20}]},
        },
    )
    current = SituationReport(
        county_id="20",
        previous=previous,
        as_of=local(2026, 3, 5, 9),
        figures={
            "capacity": {"totals": {"free": 17, "occupied": 100}},
            "placements": {"open_requests": 5, "escalation": {"current": {"order": 2, "name": "Dela platser"}}},
            "epidemiology": {"indicators": [{"code": "deaths", "name": "Avlidna", "value": 29}]},
        },
    )
    assert change_sentences(current) == [
        "Since report 7 of 2026-02-26:",
        "Free places in the county fell from 42 to 17.",
        "Open place requests rose from 2 to 5.",
        "The escalation step changed from 1 to 2 (Dela platser).",
        "Avlidna rose from 20 to 29.",
    ]
    first = SituationReport(county_id="20", as_of=local(2026, 3, 5, 9), figures={})
    assert change_sentences(first) == ["This is the county's first published situation report."]


def test_comments_refuse_a_personnummer_and_unknown_sections(world, dalarna):
    draft = prepare(world)
    with pytest.raises(ValidationError) as refused:
        services.report_comment(report=draft, comments={"flow": "Patient 19121212-1212"}, by=world.forum_secretary)
    assert "personal identity number" in str(refused.value)
    with pytest.raises(ValidationError):
        services.report_comment(report=draft, comments={"nonsense": "x"}, by=world.forum_secretary)
    draft.refresh_from_db()
    assert draft.comments == {}
