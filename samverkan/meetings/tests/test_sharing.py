"""Cost sharing, checked by hand: the shares sum exactly to the cost, whole kronor (or öre)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError

from samverkan.audit.models import AuditEvent
from samverkan.meetings import services
from samverkan.meetings.forms import parse_share
from samverkan.meetings.models import SharedCost
from samverkan.meetings.sharing import Party, largest_remainder, split_cost
from samverkan.meetings.templatetags.meetings_format import ore_as_kronor
from samverkan.meetings.tests.helpers import csv_rows, make_forum
from samverkan.organisations.models import Municipality, Organisation
from samverkan.testing import login


def test_five_sixths_region_and_three_municipalities_equally():
    """100 000 kr: region 5/6 = 83 333.33…, municipalities 16 666.67. Rounded down 83 333 +
    16 666 = 99 999; the krona left goes to the larger fraction cut off (.67, the
    municipalities). Their 16 667 split in three: 5 555.67 each, rounded down 16 665, the two
    kronor left to the first two (equal fractions and weights: by order)."""
    split = split_cost(100_000_00, Fraction(5, 6), [Party("A", 1), Party("B", 1), Party("C", 1)], "equal")
    assert split.unit == 100
    assert split.region == 83_333_00
    assert split.municipalities == {"A": 5_556_00, "B": 5_556_00, "C": 5_555_00}
    assert split.total == 100_000_00


def test_by_population():
    """12 345 kr, region 5/6: 10 287.5 and 2 057.5; the tie goes to the larger weight (the region):
    10 288 and 2 057. Populations 130 000, 55 000, 15 000 (200 000): 1 337.05, 565.675, 154.275;
    rounded down 2 056, the krona left to .675: 1 337, 566, 154."""
    parties = [Party("U", 130_000), Party("S", 55_000), Party("V", 15_000)]
    split = split_cost(12_345_00, Fraction(5, 6), parties, "population")
    assert split.region == 10_288_00
    assert split.municipalities == {"U": 1_337_00, "S": 566_00, "V": 154_00}
    assert split.total == 12_345_00


def test_a_cost_with_ore_is_split_in_ore():
    """1 000.01 kr = 100 001 öre, region 1/3: 33 333.67 and 66 667.33 öre → 33 334 and 66 667;
    66 667 in two: 33 333.5 each → 33 334 and 33 333."""
    split = split_cost(100_001, Fraction(1, 3), [Party("A", 7), Party("B", 7)], "equal")
    assert split.unit == 1
    assert (split.region, split.municipalities) == (33_334, {"A": 33_334, "B": 33_333})
    assert split.total == 100_001


def test_the_whole_cost_to_the_region_or_to_the_municipalities():
    assert split_cost(600_00, Fraction(1), [Party("A", 1)], "equal").municipalities == {"A": 0}
    only_municipalities = split_cost(600_00, Fraction(0), [Party("A", 1), Party("B", 2)], "population")
    assert (only_municipalities.region, only_municipalities.municipalities) == (0, {"A": 200_00, "B": 400_00})


def test_largest_remainder_never_loses_a_unit():
    for total in (0, 1, 7, 99, 1000, 123_457):
        for weights in ([1, 1, 1], [5, 1], [130_000, 55_000, 15_000, 1], [Fraction(1, 3), Fraction(2, 3)]):
            parts = largest_remainder(total, weights)
            assert sum(parts) == total
            whole = sum(Fraction(w) for w in weights)
            assert all(abs(p - Fraction(total) * Fraction(w) / whole) < 1 for p, w in zip(parts, weights, strict=True))
    with pytest.raises(ValueError):
        largest_remainder(10, [0, 0])


def test_shares_are_read_as_fractions_decimals_or_percentages():
    assert parse_share("5/6") == Fraction(5, 6)
    assert parse_share("0,5") == Fraction(1, 2)
    assert parse_share("50 %") == Fraction(1, 2)
    for bad in ("7/6", "-1/2", "abc", "1/0"):
        with pytest.raises(Exception):  # noqa: B017, PT011 - a form error either way
            parse_share(bad)


def test_amounts_are_written_the_swedish_way():
    assert ore_as_kronor(83_333_00) == "83\u00a0333\u00a0kr"
    assert ore_as_kronor(100_001) == "1\u00a0000,01\u00a0kr"


@pytest.mark.django_db
def test_a_shared_cost_gives_each_member_municipality_its_amount_by_population(world, client):
    forum = make_forum(world)  # members: the region, Falun and Avesta
    cost = services.shared_cost_create(
        forum=forum,
        description="Konsultstöd för länsgemensam plan",
        amount_ore=600_000_00,
        region_share=Fraction(5, 6),
        method="population",
        by=world.forum_secretary,
    )
    falun, avesta = Municipality.objects.get(code="2080").population, Municipality.objects.get(code="2084").population
    lines = {line.organisation.code: line for line in cost.lines.select_related("organisation")}
    assert set(lines) == {"R20", "2080", "2084"}
    assert lines["R20"].amount_ore == 500_000_00
    # 100 000 kr by population, rounded by the largest remainder, exactly 100 000 together.
    expected_falun = largest_remainder(100_000, [falun, avesta])[0]
    assert lines["2080"].amount_ore == expected_falun * 100
    assert lines["2080"].amount_ore + lines["2084"].amount_ore == 100_000_00
    assert (lines["2080"].population, lines["2084"].population) == (falun, avesta)
    assert AuditEvent.objects.get(event_type="meetings.cost_shared").after["shares"]["R20"] == 500_000_00

    login(client, world.avesta_coordinator)
    page = client.get(f"/moten/kostnader/{cost.pk}/").content.decode()
    assert "600\u00a0000\u00a0kr" in page
    rows = csv_rows(client.get(f"/moten/kostnader/{cost.pk}/fordelning.csv").content)
    assert ["Region Dalarna", "", "500000"] in rows and ["Total", "", "600000"] in rows
    assert client.get(f"/moten/kostnader/{cost.pk}/fordelning.xlsx").status_code == 200


@pytest.mark.django_db
def test_a_bad_cost_is_refused_whole(world, client):
    forum = make_forum(world)
    with pytest.raises(ValidationError) as refused:
        services.shared_cost_create(
            forum=forum,
            description=" ",
            amount_ore=0,
            region_share=Fraction(3, 2),
            method="x",
            by=world.forum_secretary,
        )
    assert set(refused.value.message_dict) == {"description", "amount", "region_share", "method"}
    login(client, world.forum_secretary)
    response = client.post(
        f"/moten/forum/{forum.pk}/kostnader/",
        {"description": "Gemensamt möte", "amount": "1000", "region_share": "7/6", "method": "equal"},
    )
    assert response.status_code == 200 and "between 0 and 1" in response.content.decode()
    assert not SharedCost.objects.exists()
    response = client.post(
        f"/moten/forum/{forum.pk}/kostnader/",
        {"description": "Gemensamt möte", "amount": "1000,50", "region_share": "1/2", "method": "equal"},
    )
    assert response.status_code == 200  # "1000,50" is not a number in English
    client.post(
        f"/moten/forum/{forum.pk}/kostnader/",
        {"description": "Gemensamt möte", "amount": "1000.50", "region_share": "1/2", "method": "equal"},
    )
    cost = SharedCost.objects.get()
    assert cost.amount_ore == 100_050
    assert sorted(cost.lines.values_list("amount_ore", flat=True)) == [25_012, 25_013, 50_025]
    assert Decimal(sum(cost.lines.values_list("amount_ore", flat=True))) == 100_050
    assert not Organisation.objects.filter(code="2085", pk__in=cost.lines.values("organisation")).exists()
