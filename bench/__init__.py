"""Benchmark harness (DESIGN §9): each measurement runs beside a baseline taken in the same run
on the same machine, and writes its figures to docs/benchmarks.md. See bench/README.md."""
