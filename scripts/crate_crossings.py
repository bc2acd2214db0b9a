#!/usr/bin/env python3
"""Counts the calls from a function of one cp247 crate to a function of another in a callgrind
output file (see scripts/crate-crossings.sh, which makes one for one request end to end).

A function belongs to the crate its demangled name starts with (`cp247_store::…`), or, for a
trait method `<Type as Trait>::f`, to the crate of `Type` when that is a cp247 crate, else of
`Trait`. Functions of no cp247 crate (std, tokio, drop glue) are left out, so a call that goes
through a runtime (a spawned task) is not counted.

Prints the distinct caller→callee edges between crates, the crate pairs and the calls executed.
"""
import collections
import re
import sys

CRATE = re.compile(r"^<?(cp247_[a-z_]+)::")
TRAIT_IMPL = re.compile(r"^<(?P<ty>[^ ]+) as (?P<tr>[^>]+)>::")


def crate_of(name):
    m = TRAIT_IMPL.match(name)
    if m:
        for part in (m.group("ty"), m.group("tr")):
            c = re.match(r"^&?(?:mut )?(cp247_[a-z_]+)::", part)
            if c:
                return c.group(1)
        return None
    m = CRATE.match(name)
    return m.group(1) if m else None


def parse(path):
    names = {}
    edges = collections.Counter()
    caller = callee = None

    def name_of(value):
        m = re.match(r"^\((\d+)\)(?: (.*))?$", value)
        if not m:
            return value
        if m.group(2) is not None:
            names[m.group(1)] = m.group(2)
        return names.get(m.group(1), "?")

    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("fn="):
                caller = name_of(line[3:])
            elif line.startswith("cfn="):
                callee = name_of(line[4:])
            elif line.startswith("calls="):
                edges[(caller, callee)] += int(line[6:].split()[0])
    return edges


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: crate_crossings.py CALLGRIND_OUT_FILE")
    edges = parse(sys.argv[1])
    crossing = collections.Counter()
    pairs = collections.Counter()
    for (caller, callee), count in edges.items():
        if count == 0:
            continue
        a, b = crate_of(caller or ""), crate_of(callee or "")
        if a and b and a != b:
            crossing[(caller, callee)] += count
            pairs[(a, b)] += count
    print(f"distinct cross-crate call edges: {len(crossing)}")
    print(f"crate pairs: {len(pairs)}")
    print(f"cross-crate calls executed: {sum(crossing.values())}")
    for (a, b), count in sorted(pairs.items(), key=lambda kv: -kv[1]):
        edges_here = sum(1 for (c, d) in crossing if crate_of(c) == a and crate_of(d) == b)
        print(f"  {a} -> {b}: {edges_here} edges, {count} calls")


if __name__ == "__main__":
    main()
