"""The daily series read from flow's daily rows and capacity's reports, checked by hand."""

from __future__ import annotations

import numpy as np

from samverkan.forecasting.series import county_series
from samverkan.forecasting.tests.conftest import DAYS, END, day_of


def test_series_per_municipality_and_county(history):
    data = county_series("20", END, days=DAYS)
    assert data.start == day_of(0) and data.end == END
    falun, avesta, county = data.areas.index("2080"), data.areas.index("2084"), len(data.areas) - 1
    assert data.areas[county] is None
    admissions = data.values["admissions"]
    weekend = np.array([day_of(i).weekday() >= 5 for i in range(DAYS)])
    assert admissions[falun].tolist() == np.where(weekend, 2.0, 6.0).tolist()
    assert (admissions[county] == admissions[falun] + admissions[avesta]).all()
    # In hospital: 30 before the window, then admissions − 5 discharges a day.
    in_hospital = data.values["in_hospital"][falun]
    assert in_hospital[0] == 30 + admissions[falun][0] - 5
    assert in_hospital[6] == 30 + admissions[falun][:7].sum() - 35
    # Ready for discharge: 3 waiting before the window; 1 notice and 1 discharge a day.
    assert (data.values["ready"][falun] == 3).all()
    assert (data.values["to_short_term"][falun] == 1).all()
    # Short-term places where the units are.
    assert data.values["short_term_occupancy"][falun][:4].tolist() == [15, 16, 17, 15]
    assert (data.values["short_term_staffed"][county] == 30).all()
    assert (data.surge[county] == 3).all()
    # A municipality without short-term units: unknown, not zero.
    ludvika = data.areas.index("2085")
    assert np.isnan(data.values["short_term_occupancy"][ludvika]).all()
    assert (data.values["admissions"][ludvika] == 0).all()


def test_days_before_the_first_flow_are_unknown(history):
    data = county_series("20", END, days=DAYS + 30)
    county = len(data.areas) - 1
    assert np.isnan(data.values["admissions"][county][:30]).all()
    assert not np.isnan(data.values["admissions"][county][30:]).any()
    # The opening stock still counts from the first known day on.
    falun = data.areas.index("2080")
    assert data.values["in_hospital"][falun][30] == 30 + data.values["admissions"][falun][30] - 5
