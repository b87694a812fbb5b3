"""Run the benchmarks and write benchmarks/results.json."""

from __future__ import annotations

import importlib
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass
class Result:
    value: float
    unit: str
    reference: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.reference in (None, 0):
            return None
        return round(self.value / self.reference, 3)


def median_ms(function, repeats: int) -> float:
    """The median time of `repeats` calls of `function` in milliseconds, after one call to warm up."""
    import statistics
    import time

    function()
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def available() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samverkan.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    wanted = argv[1:] or available()
    unknown = [name for name in wanted if name not in available()]
    if unknown:
        print(f"Unknown benchmark(s): {', '.join(unknown)}. Available: {', '.join(available()) or 'none'}.")
        return 2
    if not wanted:
        print("No benchmarks yet; issues add them as benchmarks/bench_<name>.py.")
    results_path = HERE / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    for name in wanted:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        for key, result in module.run().items():
            results[key] = {**asdict(result), "ratio": result.ratio}
    results_path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"{'benchmark':<32} {'value':>12} {'unit':<8} {'reference':>12} {'ratio':>8}")
    for key, row in sorted(results.items()):
        reference = "" if row["reference"] is None else f"{row['reference']:.3f}"
        ratio = "" if row["ratio"] is None else f"{row['ratio']:.3f}"
        print(f"{key:<32} {row['value']:>12.3f} {row['unit']:<8} {reference:>12} {ratio:>8}")
    print(f"Written to {results_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
