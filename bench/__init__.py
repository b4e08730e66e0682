"""Benchmarks for `make bench` (scripts/bench.sh); bench/run.py explains how suites plug in."""
