#!/usr/bin/env python3
"""Masks a fixture's tokens and passphrases with ******** (plain, percent-encoded and
JSON-escaped forms). Schemathesis filters the X-Auth-Token header but prints response bodies,
passphrases included, in its failures and reports: run-schemathesis passes them through this.

    mask.py FIXTURE              filters standard input to standard output, line by line
    mask.py FIXTURE FILE...      rewrites each file in place
    mask.py FIXTURE --env NAME   prints the value of the token named NAME (for the environment)
"""

import json
import sys
from urllib.parse import quote

import yaml

MASK = "********"


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as file:
        fixture = yaml.safe_load(file)
    if sys.argv[2:3] == ["--env"]:
        tokens = {token["name"]: token["value"] for token in fixture["tokens"]}
        print(tokens[sys.argv[3]])
        return 0
    secrets = [token["value"] for token in fixture["tokens"]]
    secrets += [task["passphrase"] for task in fixture["tasks"]]
    forms = set()
    for secret in filter(None, secrets):
        forms.update({secret, quote(secret, safe=""), json.dumps(secret)[1:-1]})
    forms = sorted(forms, key=len, reverse=True)

    def mask(text):
        for secret in forms:
            text = text.replace(secret, MASK)
        return text

    if len(sys.argv) == 2:
        for line in sys.stdin:
            sys.stdout.write(mask(line))
            sys.stdout.flush()
        return 0
    for path in sys.argv[2:]:
        with open(path, encoding="utf-8", errors="surrogateescape") as file:
            text = file.read()
        masked = mask(text)
        if masked != text:
            with open(path, "w", encoding="utf-8", errors="surrogateescape") as file:
                file.write(masked)
    return 0


if __name__ == "__main__":
    sys.exit(main())
