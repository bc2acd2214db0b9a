#!/usr/bin/env python3
"""Compares `cp247 bench --json` reports of two builds: the median of every number over each
side's runs, every run's value, and after ÷ before.

    scripts/bench_compare.py --before b1.json b2.json b3.json --after a1.json a2.json a3.json

Numbers are taken from the cp247 runs (named by their backend), the status quo and the machine
limit; counts of the plan are left out. `--within 0.10` makes the exit code 1 when a median of
the cp247 runs differs by more than that fraction (the status quo and the limit measure gpg,
Postfix and the library, not the build under test, and are shown for context).
"""
import argparse
import json
import statistics
import sys


def leaves(value, prefix):
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, (int, float)):
        yield prefix, float(value)
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from leaves(inner, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from leaves(inner, f"{prefix}[{i}]")


def numbers(path):
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    out = {}
    for run in report.get("cp247") or []:
        name = run.get("backend", "?")
        for key, value in leaves(run, ""):
            out[f"cp247/{name}.{key}"] = value
    for part in ("status_quo", "limit"):
        for key, value in leaves(report.get(part), ""):
            out[f"{part}.{key}"] = value
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", nargs="+", required=True)
    parser.add_argument("--after", nargs="+", required=True)
    parser.add_argument("--within", type=float)
    args = parser.parse_args()
    before = [numbers(p) for p in args.before]
    after = [numbers(p) for p in args.after]
    keys = sorted(set().union(*before, *after))
    outside = []
    print(f"{'measure':60} {'before (median; runs)':40} {'after (median; runs)':40} after/before")
    for key in keys:
        b = [r[key] for r in before if key in r]
        a = [r[key] for r in after if key in r]
        if not b or not a:
            continue
        mb, ma = statistics.median(b), statistics.median(a)
        ratio = ma / mb if mb else float("nan")
        fmt = lambda xs: ", ".join(f"{x:.4g}" for x in xs)
        print(f"{key:60} {f'{mb:.4g}; {fmt(b)}':40} {f'{ma:.4g}; {fmt(a)}':40} {ratio:.3f}")
        if args.within is not None and key.startswith("cp247/") and mb and abs(ratio - 1) > args.within:
            outside.append(key)
    if outside:
        print(f"\noutside ±{args.within:.0%}: " + ", ".join(outside))
        sys.exit(1)


if __name__ == "__main__":
    main()
