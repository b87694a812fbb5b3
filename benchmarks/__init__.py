"""Benchmarks: `make bench` runs every `benchmarks/bench_*.py`, `make bench BENCH=<name>` one.

Each module defines `run() -> dict[str, Result]`. Figures are ratios against a reference measured
in the same run (e.g. a hand-written SQL query), never absolute timings asserted in tests."""
