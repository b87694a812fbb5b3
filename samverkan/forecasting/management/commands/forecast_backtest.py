"""manage.py forecast_backtest --series PATH.csv [--horizon 28] [--format json]"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from samverkan.forecasting.backtest import SELECTED, SeriesError, backtest, read_series
from samverkan.forecasting.methods import METHODS


class Command(BaseCommand):
    help = (
        "Rolling-origin evaluation of every forecasting model on a daily series CSV (a 'date' column, "
        "YYYY-MM-DD, and one or more value columns, each a series): weekly origins over the last year "
        "of data (all of it if shorter); per model MASE, WIS (scaled like MASE) and the coverage of the "
        "80 % and 95 % intervals per horizon band (1-7, 8-14, 15-21, 22-28 days), pooled over the series."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--series", required=True, help="PATH.csv")
        parser.add_argument("--horizon", type=int, default=28, help="days ahead, 1-28 (default 28)")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args: object, **options: object) -> None:
        path = Path(str(options["series"]))
        horizon = int(str(options["horizon"]))
        if not 1 <= horizon <= 28:
            raise CommandError("--horizon: a number of days from 1 to 28.")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as problem:
            raise CommandError(f"{path}: cannot be read ({problem}).") from None
        try:
            table = read_series(text)
        except SeriesError as problem:
            raise CommandError(f"{path}: {problem}") from None
        if table.values.shape[1] < 35 + horizon:
            raise CommandError(f"{path}: {table.values.shape[1]} days; the evaluation needs at least {35 + horizon}.")
        results = backtest(table.values, horizon=horizon, models=METHODS)
        if options["format"] == "json":
            self.stdout.write(json.dumps({"selected": SELECTED, "models": results}, indent=1))
            return
        self.stdout.write(
            f"{len(table.names)} series, {table.days[0]} - {table.days[-1]}, horizon {horizon} days; "
            f"the product uses {SELECTED}."
        )
        self.stdout.write(f"{'model':<16} {'days':<6} {'MASE':>7} {'WIS':>7} {'cov80':>6} {'cov95':>6} {'n':>7}")
        for model, bands in results.items():
            for band, row in bands.items():
                self.stdout.write(
                    f"{model:<16} {band:<6} {row['mase']:>7.3f} {row['wis']:>7.3f} "
                    f"{row['coverage80']:>6.2f} {row['coverage95']:>6.2f} {row['n']:>7}"
                )
