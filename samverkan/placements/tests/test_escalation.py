"""The staged escalation plan: which figures call for which step (edges worked out by hand),
that only a region coordinator moves the county's step, with a comment, and that a changed
suggestion is told once but never moves the step by itself.

The default plan (escalation.DEFAULT_STEPS) the tests use:
  step 2: free places ≤ 25, occupancy ≥ 80.0 %, or ≥ 1 request waiting longer than 24 hours;
  step 3: free places ≤ 8,  occupancy ≥ 92.0 %, or ≥ 3 requests waiting longer than 24 hours;
  step 4: free places ≤ 2,  occupancy ≥ 98.0 %, or ≥ 6 requests waiting longer than 24 hours."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from samverkan.accounts.models import Notification
from samverkan.audit.models import AuditEvent
from samverkan.placements import escalation, services
from samverkan.placements.escalation import Figures
from samverkan.placements.models import EscalationChange, EscalationState
from samverkan.placements.tests.helpers import at, local, new_request, report
from samverkan.testing import PERSONAS, login

pytestmark = pytest.mark.django_db

NOW = local(2026, 3, 4, 12, 0)  # a Wednesday; reports made this morning are current
MORNING = local(2026, 3, 4, 8, 0)
HOUR = datetime.timedelta(hours=1)
FIVE_FREE = "Free places in the county: 5 (step at 8 or fewer)."


@pytest.fixture
def steps(world):
    return {step.order: step for step in escalation.steps_for("20")}


def figures(free=None, occupancy=None, waiting=0) -> Figures:
    return Figures(
        free=free,
        staffed=100,
        occupied=0,
        occupancy_percent=None if occupancy is None else Decimal(occupancy),
        waiting={24: waiting},
    )


@pytest.fixture
def five_free(world):
    """Current reports: Lunden 16 staffed, 12 occupied (4 free); Avesta 10 staffed, 9 occupied
    (1 free). The county: 5 free, 21 of 26 occupied = 80.769… %, shown as 80.8 %."""
    report(world.lunden, world.lunden_staff, when=MORNING, staffed=16, occupied=12)
    report(world.avesta_unit, world.avesta_coordinator, when=MORNING, physical=12, staffed=10, occupied=9)
    return world


# --- Triggers on their edges ----------------------------------------------------------------


def test_the_default_plan_is_created_for_a_county_without_one(steps):
    assert [
        (s.order, s.free_places_at_most, s.occupancy_at_least, s.waiting_requests_at_least) for s in steps.values()
    ] == [
        (1, None, None, None),
        (2, 25, Decimal("80.0"), 1),
        (3, 8, Decimal("92.0"), 3),
        (4, 2, Decimal("98.0"), 6),
    ]


def test_free_places_exactly_at_the_limit_trigger_one_above_does_not(steps):
    assert escalation.triggers(steps[2], figures(free=25)) == ["Free places in the county: 25 (step at 25 or fewer)."]
    assert escalation.triggers(steps[2], figures(free=26)) == []
    assert escalation.triggers(steps[3], figures(free=8)) == ["Free places in the county: 8 (step at 8 or fewer)."]
    assert escalation.triggers(steps[3], figures(free=9)) == []


def test_occupancy_exactly_at_the_limit_triggers_just_below_does_not(steps):
    assert escalation.triggers(steps[2], figures(occupancy="80.0")) == ["Occupancy: 80.0 % (step at 80.0 % or more)."]
    assert escalation.triggers(steps[2], figures(occupancy="79.9")) == []
    assert escalation.triggers(steps[4], figures(occupancy="98.0")) == ["Occupancy: 98.0 % (step at 98.0 % or more)."]


def test_waiting_requests_at_the_limit_trigger(steps):
    assert escalation.triggers(steps[3], figures(waiting=3)) == [
        "Requests waiting longer than 24 hours: 3 (step at 3 or more)."
    ]
    assert escalation.triggers(steps[3], figures(waiting=2)) == []


def test_every_figure_that_is_met_is_a_reason(steps):
    assert escalation.triggers(steps[2], figures(free=20, occupancy="85.0", waiting=1)) == [
        "Free places in the county: 20 (step at 25 or fewer).",
        "Occupancy: 85.0 % (step at 80.0 % or more).",
        "Requests waiting longer than 24 hours: 1 (step at 1 or more).",
    ]


@pytest.mark.parametrize(
    ("free", "occupancy", "waiting", "step"),
    [
        (26, "79.9", 0, 1),
        (25, None, 0, 2),
        (9, "80.0", 2, 2),
        (8, None, 0, 3),
        (20, "92.0", 0, 3),  # free calls for 2, occupancy for 3: the higher wins
        (20, "80.0", 6, 4),  # waiting calls for 4
        (2, "99.0", 0, 4),
        (0, "100.0", 10, 4),
    ],
)
def test_the_highest_step_called_for_wins(steps, free, occupancy, waiting, step):
    suggestion = escalation.suggest(list(steps.values()), figures(free, occupancy, waiting))
    assert suggestion.step.order == step
    assert suggestion.reasons == (
        escalation.triggers(steps[step], figures(free, occupancy, waiting))
        if step > 1
        else ["No figure calls for a higher step."]
    )


def test_without_current_reports_free_places_call_for_nothing(steps):
    assert escalation.triggers(steps[4], figures(free=None)) == []
    assert escalation.suggest(list(steps.values()), figures(free=None)).step.order == 1


# --- County figures from reports and requests ------------------------------------------------


def test_no_reports_at_all_gives_no_free_figure(steps):
    result = escalation.county_figures("20", list(steps.values()), now=NOW)
    assert (result.free, result.staffed, result.occupied, result.occupancy_percent) == (None, 0, 0, None)
    assert escalation.suggest(list(steps.values()), result).step.order == 1


def test_stale_reports_do_not_count(world, steps):
    report(world.lunden, world.lunden_staff, when=local(2026, 2, 25, 8), staffed=16, occupied=16)  # a week old
    result = escalation.county_figures("20", list(steps.values()), now=NOW)
    assert (result.free, result.occupancy_percent) == (None, None)
    assert escalation.suggest(list(steps.values()), result).step.order == 1


def test_figures_from_current_reports(five_free, steps):
    result = escalation.county_figures("20", list(steps.values()), now=NOW)
    assert (result.free, result.staffed, result.occupied, result.occupancy_percent) == (5, 26, 21, Decimal("80.8"))
    suggestion = escalation.suggest(list(steps.values()), result)
    assert (suggestion.step.order, suggestion.reasons) == (3, [FIVE_FREE])


def test_reserved_places_lower_the_county_free_places(five_free, steps):
    with at(NOW - HOUR):
        request = new_request(five_free, "county", places=3)
        offer = services.offer_create(request=request, unit=five_free.lunden, places=3, by=five_free.lunden_staff)
        services.offer_accept(offer=offer, by=five_free.avesta_coordinator)
    result = escalation.county_figures("20", list(steps.values()), now=NOW)
    assert result.free == 2  # 4 − 3 at Lunden, 1 at Avesta: step 4's limit
    assert escalation.suggest(list(steps.values()), result).step.order == 4


def test_requests_waiting_longer_than_the_hours_count_younger_ones_do_not(world, steps):
    sent_at = local(2026, 3, 2, 9, 0)
    with at(sent_at):
        new_request(world, "county")
        offered = new_request(world, "municipality")
        services.offer_create(request=offered, unit=world.lunden, places=1, by=world.lunden_staff)
        draft = new_request(world, "county", send=False)
    with at(sent_at + 2 * HOUR):
        services.request_send(request=draft, by=world.avesta_coordinator)
    step_list = list(steps.values())
    # Exactly 24 hours after sending counts; a second less does not.
    assert escalation.county_figures("20", step_list, now=sent_at + 24 * HOUR).waiting == {24: 2}
    assert escalation.county_figures(
        "20", step_list, now=sent_at + 24 * HOUR - datetime.timedelta(seconds=1)
    ).waiting == {24: 0}
    assert escalation.county_figures("20", step_list, now=sent_at + 26 * HOUR).waiting == {24: 3}


def test_answered_requests_are_not_waiting(world, steps):
    report(world.lunden, world.lunden_staff, when=local(2026, 3, 2, 8))
    with at(local(2026, 3, 2, 9)):
        accepted = new_request(world, "county")
        offer = services.offer_create(request=accepted, unit=world.lunden, places=2, by=world.lunden_staff)
        services.offer_accept(offer=offer, by=world.avesta_coordinator)
        withdrawn = new_request(world, "county")
        services.request_withdraw(request=withdrawn, by=world.avesta_coordinator)
    assert escalation.county_figures("20", list(steps.values()), now=NOW).waiting == {24: 0}


# --- Confirming a step --------------------------------------------------------------------


def test_a_region_coordinator_confirms_with_a_comment(five_free, steps, django_capture_on_commit_callbacks):
    world = five_free
    with at(NOW), django_capture_on_commit_callbacks(execute=True):
        change = escalation.escalation_confirm(
            county_code="20", step=steps[3], by=world.region_coordinator, comment="Enligt chefsnätverket"
        )
    assert (change.from_step, change.to_step, change.confirmed_by, change.comment) == (
        steps[1],
        steps[3],
        world.region_coordinator,
        "Enligt chefsnätverket",
    )
    assert change.figures == {
        "free": 5,
        "staffed": 26,
        "occupied": 21,
        "occupancy_percent": 80.8,
        "waiting": {"24": 0},
        "suggested": 3,
        "reasons": [FIVE_FREE],
    }
    state = EscalationState.objects.get(county_id="20")
    assert (state.current_step, state.confirmed_by, state.confirmed_at, state.comment) == (
        steps[3],
        world.region_coordinator,
        NOW,
        "Enligt chefsnätverket",
    )
    event = AuditEvent.objects.get(event_type="placements.escalation_confirmed")
    assert (event.actor, event.organisation, event.object_id) == (
        world.region_coordinator,
        world.region,
        str(change.pk),
    )
    assert event.before == {"step": 1}
    assert event.after == {"step": 3, "comment": "Enligt chefsnätverket", "figures": change.figures}
    # Every member of the county is told, but the one who confirmed it.
    members = {getattr(world, p).email for p in PERSONAS if p not in {"outsider", "region_coordinator"}}
    told = Notification.objects.filter(text="The county is now at step 3: Öppna förstärkningsplatser.")
    assert {n.user.email for n in told} == members
    assert {address for message in mail.outbox for address in message.to} == members


def test_the_step_can_be_confirmed_downwards_and_by_an_administrator(world, steps):
    escalation.escalation_confirm(county_code="20", step=steps[4], by=world.admin, comment="Övning")
    change = escalation.escalation_confirm(county_code="20", step=steps[2], by=world.admin, comment="Lugnare")
    assert (change.from_step.order, change.to_step.order) == (4, 2)
    assert EscalationState.objects.get(county_id="20").current_step == steps[2]


@pytest.mark.parametrize(
    "persona", ["falun_coordinator", "avesta_coordinator", "lunden_staff", "forum_secretary", "viewer", "outsider"]
)
def test_nobody_else_may_confirm(world, steps, persona):
    with pytest.raises(PermissionDenied):
        escalation.escalation_confirm(county_code="20", step=steps[3], by=getattr(world, persona), comment="Nu")
    assert not EscalationChange.objects.exists()
    assert not EscalationState.objects.filter(county_id="20", current_step=steps[3]).exists()


@pytest.mark.parametrize("comment", ["", "   "])
def test_a_comment_is_required(world, steps, comment):
    with pytest.raises(ValidationError) as error:
        escalation.escalation_confirm(county_code="20", step=steps[3], by=world.region_coordinator, comment=comment)
    assert error.value.message_dict == {"comment": ["Say why the step changes (or stays)."]}
    assert not EscalationChange.objects.exists()


def test_a_step_of_another_county_is_refused(world, steps):
    orebro_step = escalation.steps_for("18")[2]
    with pytest.raises(ValidationError):
        escalation.escalation_confirm(county_code="20", step=orebro_step, by=world.admin, comment="Fel län")


# --- The suggestion never moves the step by itself ----------------------------------------


def _suggestion_notes() -> list[str]:
    return list(
        Notification.objects.filter(text__startswith="The figures suggest").values_list("user__email", flat=True)
    )


def test_a_changed_suggestion_is_told_once_and_the_step_stays(world, steps):
    report(world.lunden, world.lunden_staff, staffed=16, occupied=12)  # 4 free: step 3
    Notification.objects.all().delete()
    assert escalation.escalation_check("20").step.order == 3
    state = EscalationState.objects.get(county_id="20")
    assert (state.current_step, state.last_suggested_order) == (steps[1], 3)
    coordinators = {
        getattr(world, p).email
        for p in [
            "region_coordinator",
            "falun_coordinator",
            "avesta_coordinator",
            "ludvika_coordinator",
            "forum_secretary",
        ]
    }
    assert set(_suggestion_notes()) == coordinators
    assert Notification.objects.get(user=world.region_coordinator).text == (
        "The figures suggest step 3 (Öppna förstärkningsplatser): Free places in the county: 4 (step at 8 or fewer). "
        "Confirm or keep the current step."
    )
    # Issue 16, part 7: only those who may confirm a step are asked to (placements.confirm_escalation).
    for persona in ["falun_coordinator", "avesta_coordinator", "ludvika_coordinator", "forum_secretary"]:
        text = Notification.objects.get(user=getattr(world, persona)).text
        assert "Confirm" not in text and text.endswith(
            "The region's coordinators decide whether the county changes step."
        )
    assert mail.outbox == []  # in the app only

    escalation.escalation_check("20")  # the same suggestion again: nobody is told twice
    assert len(_suggestion_notes()) == len(coordinators)

    report(world.lunden, world.lunden_staff, physical=40, staffed=30, occupied=10)  # 20 free: step 2
    assert escalation.escalation_check("20").step.order == 2
    assert len(_suggestion_notes()) == 2 * len(coordinators)
    state.refresh_from_db()
    assert (state.current_step, state.last_suggested_order) == (steps[1], 2)
    assert not EscalationChange.objects.exists()


def test_a_suggestion_back_to_the_current_step_tells_no_one(world, steps):
    report(world.lunden, world.lunden_staff, staffed=16, occupied=12)
    escalation.escalation_check("20")
    Notification.objects.all().delete()
    report(world.lunden, world.lunden_staff, physical=60, staffed=50, occupied=10)  # 40 free: step 1
    assert escalation.escalation_check("20").step.order == 1
    assert _suggestion_notes() == []
    assert EscalationState.objects.get(county_id="20").last_suggested_order == 1


def test_a_capacity_report_rechecks_the_suggestion_after_commit(world, steps, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report(world.lunden, world.lunden_staff, staffed=16, occupied=15)  # 1 free: step 4
    state = EscalationState.objects.get(county_id="20")
    assert (state.current_step, state.last_suggested_order) == (steps[1], 4)
    assert world.region_coordinator.notifications.filter(text__startswith="The figures suggest step 4").exists()


# --- Where the step is shown --------------------------------------------------------------


def test_the_api_shows_the_step_and_the_reasons(client, five_free):
    login(client, five_free.viewer)
    with at(NOW):
        response = client.get("/api/v1/escalation?county=20")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["county"], body["current_step"], body["suggested_step"]) == ("20", 1, 3)
    assert (body["current_name"], body["suggested_name"]) == (
        "Varje kommun använder sina egna platser",
        "Öppna förstärkningsplatser",
    )
    assert body["reasons"] == [FIVE_FREE]
    assert body["figures"] == {
        "free": 5,
        "staffed": 26,
        "occupied": 21,
        "occupancy_percent": 80.8,
        "waiting": {"24": 0},
    }


def test_the_api_of_another_county_is_closed(client, world):
    login(client, world.outsider)
    assert client.get("/api/v1/escalation?county=20").status_code == 403


def test_the_page_shows_the_reasons_and_only_the_region_coordinator_gets_the_form(client, five_free, steps):
    world = five_free
    login(client, world.viewer)
    with at(NOW):
        html = client.get("/platser/beredskap/?county=20").content.decode()
        assert FIVE_FREE in html
        assert "The figures suggest step 3: Öppna förstärkningsplatser" in html
        assert "Confirm step" not in html
        assert (
            client.post("/platser/beredskap/", {"county": "20", "step": steps[3].pk, "comment": "x"}).status_code == 403
        )
        login(client, world.region_coordinator)
        assert "Confirm step" in client.get("/platser/beredskap/?county=20").content.decode()
        refused = client.post("/platser/beredskap/", {"county": "20", "step": steps[3].pk, "comment": ""})
        assert refused.status_code == 200
        assert not EscalationChange.objects.exists()
        confirmed = client.post("/platser/beredskap/", {"county": "20", "step": steps[3].pk, "comment": "Beslut 4/3"})
    assert confirmed.status_code == 302
    assert confirmed["Location"] == "/platser/beredskap/?county=20"
    assert EscalationState.objects.get(county_id="20").current_step == steps[3]


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "outsider"])
def test_the_home_page_shows_the_county_step_to_every_member(client, world, steps, persona):
    escalation.escalation_confirm(county_code="20", step=steps[2], by=world.region_coordinator, comment="Beslut")
    login(client, getattr(world, persona))
    html = client.get("/").content.decode()
    assert "step 2 – Dela befintliga platser i länet" in html
    assert "Avropa lediga platser i andra kommuner via Samverkan" in html  # the step's actions


def test_the_home_page_of_another_county_does_not_show_dalarna(client, world, steps):
    escalation.escalation_confirm(county_code="20", step=steps[2], by=world.region_coordinator, comment="Beslut")
    login(client, world.outsider)
    html = client.get("/").content.decode()
    assert "Dela befintliga platser i länet" not in html
    assert "step 1 – Varje kommun använder sina egna platser" in html  # Örebro county's own step
