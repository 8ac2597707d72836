"""The number regression guard: every number the book's prose shows, as readers see it.

The pages glue values from executed code into the prose with ``{glue:text}`key:format```.
This script formats each glued value the way its page does and compares the result with the
reviewed snapshot ``docs/numbers.json``. A change in any number fails with the page, the
key and the old and new text, until the snapshot is updated (``--update``) in the same commit.

Values that are rounding noise (magnitude below 1e-12, shown as "zero up to rounding") vary
with the platform's floating point; for those the snapshot records ``"<1e-12"`` and the check
is that they stay below it.

Usage: ``python tools/glue_numbers.py [--update]`` after a build (``nox -s docs``).
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXECUTED = DOCS / "_build" / "jupyter_execute"
SNAPSHOT = DOCS / "numbers.json"
NOISE = 1e-12
GLUE_TEXT = re.compile(r"\{glue(?::text)?\}`([^`:]+)(?::([^`]*))?`")


def _value(entry: dict) -> object:
    text = entry["data"]["text/plain"]
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def shown_numbers() -> dict[str, dict[str, str]]:
    """``{page: {"key:format": text}}`` for every glued value a page shows in its prose."""
    numbers: dict[str, dict[str, str]] = {}
    for page in sorted(DOCS.glob("*.md")):
        uses = GLUE_TEXT.findall(page.read_text(encoding="utf-8"))
        if not uses:
            continue
        glue_file = EXECUTED / f"{page.stem}.glue.json"
        if not glue_file.exists():
            raise SystemExit(f"{glue_file} is missing: build the book first (nox -s docs)")
        glued = json.loads(glue_file.read_text(encoding="utf-8"))
        shown = {}
        for key, spec in uses:
            value = _value(glued[key])
            if isinstance(value, float) and abs(value) < NOISE:
                text = f"<{NOISE:.0e}"
            else:
                text = format(value, spec or "")
            shown[f"{key}:{spec}"] = text
        numbers[page.name] = dict(sorted(shown.items()))
    return numbers


def compare(old: dict[str, dict[str, str]], new: dict[str, dict[str, str]]) -> list[str]:
    changes = []
    for page in sorted(old.keys() | new.keys()):
        before, after = old.get(page, {}), new.get(page, {})
        for key in sorted(before.keys() | after.keys()):
            if before.get(key) != after.get(key):
                changes.append(
                    f"{page}: {key.rstrip(':')} changed from {before.get(key, '(absent)')} "
                    f"to {after.get(key, '(absent)')}"
                )
    return changes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite the snapshot")
    args = parser.parse_args()
    new = shown_numbers()
    if args.update:
        SNAPSHOT.write_text(json.dumps(new, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {sum(map(len, new.values()))} numbers of {len(new)} pages to {SNAPSHOT}")
        return 0
    old = json.loads(SNAPSHOT.read_text(encoding="utf-8")) if SNAPSHOT.exists() else {}
    changes = compare(old, new)
    if changes:
        print("Numbers in the prose changed; review them, then run `nox -s numbers -- --update`")
        print("and commit docs/numbers.json with the change:")
        print("\n".join(f"  {line}" for line in changes))
        return 1
    print(f"all {sum(map(len, new.values()))} numbers of {len(new)} pages match {SNAPSHOT.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
