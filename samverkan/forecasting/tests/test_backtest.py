"""manage.py forecast_backtest on a real series (three Belgian provinces' admissions) and on bad files."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from samverkan.forecasting import backtest
from samverkan.forecasting.backtest import origins, read_series

DATA = Path(__file__).resolve().parent.parent / "data"


def _small_copy(tmp_path: Path) -> Path:
    """The first three provinces of the Belgian admissions (source: samverkan/forecasting/data/README.md)."""
    lines = (DATA / "belgium_provinces_admissions.csv").read_text().splitlines()
    path = tmp_path / "admissions.csv"
    path.write_text("\n".join(",".join(line.split(",")[:4]) for line in lines) + "\n")
    return path


def test_origins_are_weekly_and_leave_a_whole_horizon():
    found = origins(100, 28)
    assert found[-1] == 100 - 1 - 28
    assert all(b - a == 7 for a, b in zip(found, found[1:], strict=False))
    assert found[0] >= backtest.MIN_HISTORY - 1
    # Over the last year only when longer.
    assert origins(1000, 28)[0] >= 1000 - 365


def test_json_output_has_every_model_and_band(tmp_path):
    out = StringIO()
    call_command("forecast_backtest", "--series", str(_small_copy(tmp_path)), "--format", "json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["selected"] == "damped_ets"
    assert set(result["models"]) == {"damped_ets", "seasonal_naive", "flat"}
    table = read_series((tmp_path / "admissions.csv").read_text())
    expected_n = 3 * 7 * len(origins(table.values.shape[1], 28))
    for bands in result["models"].values():
        assert list(bands) == ["1-7", "8-14", "15-21", "22-28"]
        for row in bands.values():
            assert set(row) == {"mase", "wis", "coverage80", "coverage95", "n"}
            assert row["n"] == expected_n
            assert 0 <= row["coverage80"] <= row["coverage95"] <= 1
            assert row["mase"] > 0 and row["wis"] > 0
    # On these admissions the damped model beats last week's value two weeks ahead.
    assert result["models"]["damped_ets"]["8-14"]["mase"] < result["models"]["seasonal_naive"]["8-14"]["mase"]


def test_flat_metrics_match_a_hand_computation(tmp_path):
    """The command's flat MASE at 1-7 days recomputed here from the file, origin by origin."""
    path = _small_copy(tmp_path)
    out = StringIO()
    call_command("forecast_backtest", "--series", str(path), "--horizon", "7", "--format", "json", stdout=out)
    flat = json.loads(out.getvalue())["models"]["flat"]["1-7"]
    values = read_series(path.read_text()).values
    errors = []
    for origin in origins(values.shape[1], 7):
        for series in values:
            history = series[: origin + 1]
            weekly = np.abs(history[7:] - history[:-7]).mean()
            errors.extend(np.abs(series[origin + 1 : origin + 8] - history[-1]) / weekly)
    assert flat["mase"] == pytest.approx(np.mean(errors), abs=1e-4)


def test_text_output_names_the_models(tmp_path):
    out = StringIO()
    call_command("forecast_backtest", "--series", str(_small_copy(tmp_path)), "--horizon", "14", stdout=out)
    text = out.getvalue()
    assert "damped_ets" in text and "seasonal_naive" in text and "flat" in text
    assert "8-14" in text and "15-21" not in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("day,a\n2020-01-01,1\n", "Row 1: the header needs a 'date' column."),
        ("date,a\n2020-01-01,1\n2020-01-03,2\n", "Row 3, column date: 2020-01-03 does not follow 2020-01-01"),
        ("date,a\n2020-01-01,1\n2020-01-02,x\n", "Row 3, column a: 'x' is not a number."),
        ("date,a\n2020-01-01,-1\n", "Row 2, column a: '-1' must be a number of at least 0."),
        ("date,a\n2020-13-01,1\n", "Row 2, column date: '2020-13-01' is not a date"),
        ("date,a,b\n2020-01-01,1\n", "Row 2: 2 fields, the header has 3."),
    ],
)
def test_bad_files_are_refused_naming_row_and_column(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("forecast_backtest", "--series", str(path))


def test_too_short_a_series_is_refused(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("date,a\n" + "".join(f"2020-01-{d:02d},{d}\n" for d in range(1, 31)))
    with pytest.raises(CommandError, match="30 days; the evaluation needs at least 63"):
        call_command("forecast_backtest", "--series", str(path))
