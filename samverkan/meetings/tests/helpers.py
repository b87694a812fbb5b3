"""A forum of Dalarna for the tests: the region, Falun and Avesta are members; Falun's coordinator
chairs, the region's coordinator checks the minutes and the forum secretary runs the meetings.
Ludvika (same county, not a member) and the outsider (Örebro) are bystanders."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from samverkan import testing
from samverkan.meetings import services
from samverkan.meetings.models import AgendaItem, Forum, ItemKind, Meeting
from samverkan.organisations.models import County
from samverkan.testing import World, current_code, totp_device

TZ = timezone.get_default_timezone()


def at(year: int, month: int, day: int, hour: int = 9) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, tzinfo=TZ)


@dataclass
class Setting:
    forum: Forum
    meeting: Meeting
    item: AgendaItem


def make_forum(world: World, name: str = "Chefsnätverket") -> Forum:
    forum = services.forum_create(
        county=County.objects.get(code="20"),
        name=name,
        description="Kommunernas och regionens chefer",
        organisations=[world.region, world.falun, world.avesta],
        by=world.forum_secretary,
    )
    services.forum_person_add(
        forum=forum,
        user=world.falun_coordinator,
        organisation=world.falun,
        title="Ordförande",
        by=world.forum_secretary,
    )
    services.forum_person_add(
        forum=forum, user=world.region_coordinator, organisation=world.region, by=world.forum_secretary
    )
    return forum


def make_meeting(world: World, forum: Forum, when: datetime.datetime, title: str | None = None) -> Meeting:
    return services.meeting_create(
        forum=forum,
        data=services.MeetingInput(
            title=title or f"Chefsnätverket {when:%Y-%m-%d}",
            starts_at=when,
            ends_at=when + datetime.timedelta(hours=2),
            place="Regionens hus, Falun",
            chair=world.falun_coordinator,
            checker=world.region_coordinator,
        ),
        by=world.forum_secretary,
    )


def make_setting(world: World, when: datetime.datetime | None = None) -> Setting:
    forum = make_forum(world)
    meeting = make_meeting(world, forum, when or at(2030, 4, 14))
    item = services.agenda_item_add(
        meeting=meeting,
        title="Korttidsplatser i länet",
        kind=ItemKind.DECISION,
        presenter="Filip Falun",
        by=world.forum_secretary,
    )
    return Setting(forum, meeting, item)


def code_for(user) -> str:
    """The current code of the user's authenticator (one is made if the user has none)."""
    return current_code(totp_device(user))


def csv_rows(content: bytes) -> list[list[str]]:
    """The rows of a CSV download (Swedish Excel's form: samverkan.testing.csv_rows)."""
    return testing.csv_rows(content)
