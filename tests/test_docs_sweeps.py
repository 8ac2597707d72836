"""A claim of generality is asserted over a sweep, never at one point (issue 10).

A sentence of the prose that says "always", "for any", "for every", "never" or "no matter"
(outside code, math and quotations of the paper) needs, in the same section, a code cell that
asserts it over a sweep (hypothesis or a grid) and says so with a comment line
``# sweep: <the claim in a few words>``. The section of a sentence runs from its heading to the
next heading of the same or a higher level, so a sweep in a subsection backs its parent's claim.
Reviewed exceptions are listed in ``docs/generality-allowlist.txt`` (``page | fragment of the
sentence | reason``).

``ENFORCED = False`` turns the check into a report. ``python -m tests.test_docs_sweeps`` prints
the current offenders as allow-list lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.docs_source import DOCS, pages, prose_lines

ENFORCED = True
ALLOWLIST = DOCS / "generality-allowlist.txt"
PENDING = "pending rewrite (issue 10)"
GENERAL = re.compile(r"\b(always|for any|for every|never|no matter)\b", re.IGNORECASE)
HEADING = re.compile(r"^(#{1,6})\s+\S")
CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```\s*$", re.S | re.M)
SWEEP = re.compile(r"^\s*# sweep:\s*\S", re.M)
LIST_ITEM = re.compile(r"^\s*([-*+]|\d+\.)\s")  # a list item starts a sentence of its own
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(“\"{*_])")


@dataclass(frozen=True)
class Claim:
    page: str
    lineno: int
    sentence: str

    def line(self) -> str:
        """The claim as an allow-list line (the part of the sentence around the keyword)."""
        return f"{self.page} | {fragment(self.sentence)} | {PENDING}"


def fragment(sentence: str, width: int = 60) -> str:
    match = GENERAL.search(sentence)
    start = max(0, match.start() - width // 2) if match else 0
    end = start + width
    if start > 0:  # whole words only
        start = sentence.find(" ", start) + 1
    if end < len(sentence):
        end = sentence.rfind(" ", start, end) if " " in sentence[start:end] else end
    return re.sub(r"\s+", " ", sentence[start:end].replace("|", " ")).strip()


def _asserts(source: str) -> bool:
    return re.search(r"\bassert\b|@given\b", source) is not None


def sweep_lines(text: str) -> list[int]:
    """The line numbers of the code cells that carry a ``# sweep:`` line and assert."""
    return [
        text.count("\n", 0, cell.start()) + 1
        for cell in CODE_CELL.finditer(text)
        if SWEEP.search(cell.group(1)) and _asserts(cell.group(1))
    ]


def sweep_cells_without_assertion(text: str) -> list[str]:
    """``# sweep:`` cells that assert nothing (a marker alone is no sweep)."""
    return [
        cell.group(1)[:80]
        for cell in CODE_CELL.finditer(text)
        if SWEEP.search(cell.group(1)) and not _asserts(cell.group(1))
    ]


def _sentences(path: Path, text: str) -> list[tuple[int, str]]:
    """``(line, sentence)`` of the prose, sentences joined across the lines of a paragraph."""
    out: list[tuple[int, str]] = []
    paragraph: list[tuple[int, str]] = []

    def flush() -> None:
        if paragraph:
            joined = " ".join(t.strip() for _, t in paragraph)
            first = paragraph[0][0]
            for sentence in SENTENCE_END.split(joined):
                out.append((first, sentence))
            paragraph.clear()

    previous = None
    for line in prose_lines(path, text):
        if (
            not line.text.strip()
            or HEADING.match(line.text)
            or (previous is not None and line.lineno != previous + 1)
        ):
            flush()
        if HEADING.match(line.text):
            out.append((line.lineno, line.text.strip()))
        elif line.text.strip():
            paragraph.append((line.lineno, LIST_ITEM.sub("", line.text)))
        previous = line.lineno
    flush()
    return out


def unswept_claims(path: Path, text: str | None = None) -> list[Claim]:
    """The page's claims of generality that have no ``# sweep:`` cell in their section."""
    text = path.read_text(encoding="utf-8") if text is None else text
    headings = [
        (line.lineno, len(m.group(1)))
        for line in prose_lines(path, text)
        if (m := HEADING.match(line.text))
    ]
    sweeps = sweep_lines(text)
    claims = []
    for lineno, sentence in _sentences(path, text):
        if not GENERAL.search(sentence):
            continue
        before = [(n, level) for n, level in headings if n <= lineno]
        start, level = before[-1] if before else (0, 0)
        after = [n for n, lv in headings if n > start and lv <= level and level > 0]
        end = after[0] if after else 10**9
        if not any(start <= s < end for s in sweeps):
            claims.append(Claim(path.name, lineno, re.sub(r"\s+", " ", sentence).strip()))
    return claims


def allowed() -> list[tuple[str, str, str]]:
    """The allow-list's entries ``(page, fragment, reason)``; a reason is required."""
    entries = []
    for raw in ALLOWLIST.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        page, piece, reason = (part.strip() for part in raw.split("|", 2))
        assert piece, f"allow-list entry without a fragment: {raw!r}"
        assert reason, f"allow-list entry without a reason: {raw!r}"
        entries.append((page, piece, reason))
    return entries


def is_allowed(claim: Claim, entries: list[tuple[str, str, str]]) -> bool:
    return any(page == claim.page and piece in claim.sentence for page, piece, _ in entries)


PAGES = pages()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_claims_of_generality_are_swept(page: Path) -> None:
    entries = allowed()
    bad = [c for c in unswept_claims(page) if not is_allowed(c, entries)]
    report = "\n".join(f"{c.page}:{c.lineno}: {c.sentence}" for c in bad)
    if not ENFORCED:
        if bad:
            print(f"claims of generality without a # sweep: cell in their section:\n{report}")
        return
    assert not bad, (
        "claims of generality without a `# sweep:` cell in their section (assert the claim over "
        f"a sweep, or list the sentence in {ALLOWLIST.name} with a reason):\n{report}"
    )


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_sweep_cells_assert(page: Path) -> None:
    empty = sweep_cells_without_assertion(page.read_text(encoding="utf-8"))
    assert not empty, f"{page.name}: `# sweep:` cells without an assert: {empty}"


def test_reviewed_exceptions_still_exist() -> None:
    """An allow-list entry other than a pending one names a sentence that is still there."""
    claims = [c for p in PAGES for c in unswept_claims(p)]
    stale = [
        (page, piece)
        for page, piece, reason in allowed()
        if reason != PENDING and not any(c.page == page and piece in c.sentence for c in claims)
    ]
    assert not stale, f"allow-list entries that match no unswept claim: {stale}"


PROBE = """---
kernelspec: {name: python3}
---
# Title

The bias always drifts under the naive step.

## A swept section

For any shift $\\Delta b$ the output is unchanged.

```{code-cell} ipython3
# sweep: the output ignores any shift
for db in (-3.0, 0.0, 2.5):
    assert f(u + db) == f(u)
```

### A subsection

It never moves, no matter the batch.

## An unswept section

The loss never changes. It stays put {paper}`never at one point`. Sometimes `always` in code.

$$
\\text{never in math}
$$ (eq-never)

```{code-cell} ipython3
# sweep: a marker alone
print("no assertion")
```
"""


def test_the_check_can_fail() -> None:
    """A claim is backed by a sweep cell that asserts, in its section: the page's introduction
    (under the title) by any, a section's by its own or its subsections', a subsection's by its
    own only. Code, math and the paper's words are not prose."""
    claims = unswept_claims(Path("probe.md"), PROBE)
    assert [c.sentence for c in claims] == [
        "It never moves, no matter the batch.",  # the sweep is in the parent, not here
        "The loss never changes.",  # its section's only sweep cell asserts nothing
    ]
    assert sweep_cells_without_assertion(PROBE) == [
        '# sweep: a marker alone\nprint("no assertion")\n'
    ]


def test_an_allow_list_entry_matches_by_fragment() -> None:
    claim = Claim("probe.md", 6, "The bias always drifts under the naive step.")
    assert is_allowed(claim, [("probe.md", "always drifts", "reviewed")])
    assert not is_allowed(claim, [("other.md", "always drifts", "reviewed")])
    assert not is_allowed(claim, [("probe.md", "never drifts", "reviewed")])


if __name__ == "__main__":
    for claim in (c for p in PAGES for c in unswept_claims(p)):
        print(claim.line())
