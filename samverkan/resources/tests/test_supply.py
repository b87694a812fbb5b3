"""Days of supply and their buckets, hand-checked (resources/supply.py)."""

from __future__ import annotations

import pytest

from samverkan.resources.supply import FOREVER, Bucket, bucket, days_of_supply, of_report, of_sum


@pytest.mark.parametrize(
    ("on_hand", "used", "days"),
    [
        (70, 70, 7),  # 10 a day, 70 on hand
        (69, 70, 6),  # 6.9 days: part of a day does not last the day
        (100, 7, 100),
        (1, 7, 1),
        (3, 70, 0),  # 0.3 days
        (0, 70, 0),  # zero stock
        (0, 0, 0),  # zero stock, zero use
        (0, None, 0),  # zero stock, use unknown: nothing lasts
        (50, 0, FOREVER),  # zero use: lasts beyond every bucket
        (50, None, None),  # missing use: unknown
    ],
)
def test_days_of_supply(on_hand, used, days):
    assert days_of_supply(on_hand, used) == days


@pytest.mark.parametrize(
    ("days", "label", "colour"),
    [
        (0, "0", "red"),
        (1, "1–3", "red"),
        (3, "1–3", "red"),
        (4, "4–6", "red"),
        (6, "4–6", "red"),
        (7, "7–14", "amber"),
        (14, "7–14", "amber"),
        (15, "15–30", "green"),
        (30, "15–30", "green"),
        (31, "> 30", "green"),
        (FOREVER, "> 30", "green"),
    ],
)
def test_buckets_and_colours(days, label, colour):
    found = bucket(days)
    assert (found.label, found.colour) == (label, colour)


def test_unknown_has_no_bucket_and_is_not_low():
    assert bucket(None) is None
    assert not of_report(50, None).low and of_report(50, None).bucket is None
    assert of_report(6, 7).low and not of_report(7, 7).low


def test_a_sum_counts_only_the_reports_whose_use_is_known():
    total = of_sum([(70, 70), (30, 0), (500, None)])
    assert (total.on_hand, total.used_7_days, total.days, total.unknown_use) == (600, 70, 10, 1)
    assert total.bucket is Bucket.ONE_TO_TWO_WEEKS
    nothing_known = of_sum([(500, None)])
    assert (nothing_known.on_hand, nothing_known.days, nothing_known.unknown_use) == (500, None, 1)
    assert of_sum([]).days is None
