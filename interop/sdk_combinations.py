#!/usr/bin/env python3
"""The settings of the mock's fixture that run-sdk drives the official SDK under: a covering
set of the assumption ledger's settings, one fixture file each.

Every combination of the ledger's settings is thousands (3 x 2^10 today). The set:

  1. the ledger's defaults;
  2. each alternative alone (the others at their defaults): a failure names its setting;
  3. every alternative at once: the k-th "all alternatives" sets each setting to its k-th
     alternative (its last when it has fewer), so a setting with two alternatives (check-order)
     gives two of them;
  4. pairwise completion: while two values of two settings never meet in one combination,
     a combination is added that covers as many of the missing pairs as it can.

1-3 already cover every pair with today's ledger (for two settings A and B: both defaults in
1, one alternative with the other's default in 2, two alternatives in 3), so 4 adds nothing
and the set is 1 + 12 + 2 = 15; it is checked on every run, and would grow if the ledger
did. Pairwise is enough for the SDK: each of sdk_check.py's expectations depends on at most
two settings (check-order with long-task-id, unknown-task or empty-task-id; every other on
one), so each is checked under every combination of the values it depends on.

    sdk_combinations.py LEDGER FIXTURE OUTDIR
        writes OUTDIR/NN-NAME.yaml, FIXTURE with an `assumptions:` section appended (none
        for the defaults), and
        prints one line each: the file, a tab, the settings that differ from the defaults
"""

import itertools
import sys
from pathlib import Path

import yaml


def values_of(ledger):
    """Each setting's values, the default first, in the ledger's order."""
    return {id_: [entry["mock"]["value"], *entry["alternatives"]] for id_, entry in ledger.items()}


def pairs_of(combination):
    return set(itertools.combinations(sorted(combination.items()), 2))


def covering_set(values):
    """[(name, {setting: value})]: the combinations 1-4 of this file's docstring."""
    defaults = {id_: options[0] for id_, options in values.items()}
    chosen = [("defaults", defaults)]
    for id_, options in values.items():
        for value in options[1:]:
            chosen.append((f"{id_}-{value}", {**defaults, id_: value}))
    most = max(len(options) - 1 for options in values.values())
    for k in range(most):
        every = {id_: options[min(k + 1, len(options) - 1)] for id_, options in values.items()}
        chosen.append((f"all-alternatives-{k + 1}", every))
    wanted = set()
    for (a, a_options), (b, b_options) in itertools.combinations(sorted(values.items()), 2):
        wanted |= {((a, x), (b, y)) for x in a_options for y in b_options}
    missing = wanted - set().union(*(pairs_of(c) for _, c in chosen))
    while missing:
        (a, x), (b, y) = min(missing)
        combination = {**defaults, a: x, b: y}
        for id_, options in values.items():
            if id_ not in (a, b):
                combination[id_] = max(
                    options, key=lambda v: len(pairs_of({**combination, id_: v}) & missing))
        chosen.append((f"pairwise-{len(chosen) + 1}", combination))
        missing -= pairs_of(combination)
    return chosen, len(wanted)


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    ledger_file, fixture_file, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    with open(ledger_file, encoding="utf-8") as file:
        values = values_of(yaml.safe_load(file))
    with open(fixture_file, encoding="utf-8") as file:
        fixture = file.read()
    if "assumptions" in (yaml.safe_load(fixture) or {}):
        print(f"error: {fixture_file} has its own `assumptions:`; give one without", file=sys.stderr)
        return 2
    chosen, pairs = covering_set(values)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.yaml"):
        old.unlink()
    defaults = chosen[0][1]
    for number, (name, combination) in enumerate(chosen, 1):
        changed = {id_: value for id_, value in combination.items() if value != defaults[id_]}
        section = "".join(f"  {id_}: {value}\n" for id_, value in changed.items())
        if section:
            section = f"\n# The settings of this combination ({name}):\nassumptions:\n{section}"
        path = out / f"{number:02}-{name}.yaml"
        path.write_text(fixture + section, encoding="utf-8")
        shown = ", ".join(f"{id_}: {value}" for id_, value in changed.items()) or "the ledger's defaults"
        print(f"{path}\t{shown}")
    print(f"{len(chosen)} combinations of {len(values)} settings cover all {pairs} pairs of values",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
