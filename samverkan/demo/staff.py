"""Demo staff requests, from the Dalarna minutes: Avesta asks the region for nurses for its new
short-term places (a proposal prepared, waiting for regional management), and an earlier request
from Borlänge for assistant nurses with infection-control experience was approved in part."""

from __future__ import annotations

import datetime

from django.utils import timezone

from samverkan.accounts.models import User
from samverkan.organisations.models import Unit
from samverkan.resources import services
from samverkan.resources.models import StaffRequest


def load(stdout) -> None:
    if StaffRequest.objects.filter(county_id="20").exists():
        stdout.write("Staff request demo data already present.")
        return
    users = {u.email.split("@")[0]: u for u in User.objects.filter(email__endswith="@demo.samverkan.se")}
    region = users["region.dalarna"]
    today = timezone.localdate()
    waiting = services.staff_request_create(
        by=users["avesta"],
        unit=Unit.objects.get(code="2084-korttid"),
        profession="nurse",
        competences=["intensive_care"],
        number=3,
        starts_on=today + datetime.timedelta(days=7),
        ends_on=today + datetime.timedelta(days=63),
        shifts=["day", "evening", "night"],
        reason="Sex nya korttidsplatser för utskrivningsklara patienter; kommunen saknar sjuksköterskor.",
    )
    services.staff_request_propose(
        request=waiting,
        by=region,
        proposed_number=2,
        staff_from="Primärvården södra Dalarna (Avesta och Hedemora vårdcentraler)",
        proposal="Två sjuksköterskor från primärvården kan gå dag och kväll; natt kan inte bemannas.",
    )
    decided = services.staff_request_create(
        by=users["borlange"],
        unit=Unit.objects.get(code="2081-tjarnan"),
        profession="assistant_nurse",
        competences=["infection_control"],
        number=4,
        starts_on=today - datetime.timedelta(days=14),
        ends_on=today + datetime.timedelta(days=28),
        shifts=["day", "evening"],
        reason="Smittspridning på korttidsenheten; egen personal sjuk.",
    )
    services.staff_request_propose(
        request=decided,
        by=region,
        proposed_number=2,
        staff_from="Primärvården Borlänge",
        proposal="Två undersköterskor med smittskyddserfarenhet.",
    )
    services.staff_request_decide(
        request=decided,
        by=region,
        number=2,
        reason="Två kan lånas ut; fler behövs på sjukhusens covidavdelningar.",
        decided_by_body="Regionens särskilda sjukvårdsledning",
    )
    stdout.write("Staff requests: one from Avesta waiting for decision, one from Borlänge approved in part.")
