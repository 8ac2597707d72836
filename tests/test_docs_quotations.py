"""Words of the paper in the prose are quoted with the ``{paper}`` role, which checks them.

docs/_ext/paper_quotes.py fails the build when a ``{paper}`` quotation is not verbatim, but it
cannot see a quotation written with plain quotation marks. This check finds those: a span in
quotation marks ("…" or “…”) on a prose line that mentions the paper (the paper, Ioffe, Szegedy,
a Section or Algorithm number; on the line itself or the line before). Reviewed exceptions (a
word in quotation marks that is not the paper's, say) are listed in
``docs/quotation-allowlist.txt`` as ``page | quoted words | reason``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs_source import DOCS, pages, prose_lines

ALLOWLIST = DOCS / "quotation-allowlist.txt"
PENDING = "pending rewrite (issue 10)"
QUOTED = re.compile(r"[“\"]([^”\"\n]{2,})[”\"]")
MENTIONS_PAPER = re.compile(r"\b(paper|Ioffe|Szegedy|Section \d|Algorithm \d)", re.IGNORECASE)


def plain_quotations(path: Path, text: str | None = None) -> list[tuple[int, str]]:
    """``(line, words)`` of each plain quotation on a line that mentions the paper."""
    found = []
    previous = ""
    for line in prose_lines(path, text):
        if MENTIONS_PAPER.search(previous + " " + line.text):
            found += [(line.lineno, m.group(1).strip()) for m in QUOTED.finditer(line.text)]
        previous = line.text
    return found


def allowed() -> set[tuple[str, str]]:
    entries = set()
    for raw in ALLOWLIST.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        page, words, reason = (part.strip() for part in raw.split("|", 2))
        assert reason, f"allow-list entry without a reason: {raw!r}"
        entries.add((page, words))
    return entries


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.name)
def test_the_papers_words_use_the_role(page: Path) -> None:
    entries = allowed()
    bad = [(n, w) for n, w in plain_quotations(page) if (page.name, w) not in entries]
    assert not bad, (
        f"{page.name}: words in quotation marks next to a mention of the paper; quote the paper "
        f"with {{paper}}`...` (checked verbatim), or list them in {ALLOWLIST.name}: {bad}"
    )


def test_the_check_can_fail() -> None:
    page = """# T
The paper says the bias "can be ignored", and {paper}`z = g(BN(Wu))` is checked.
In Section 3 it writes
“is subsumed by β”.

A "word" far from any mention of it is not a quotation.
"""
    assert plain_quotations(Path("probe.md"), page) == [
        (2, "can be ignored"),
        (4, "is subsumed by β"),
    ]


if __name__ == "__main__":
    for p in pages():
        for _, words in plain_quotations(p):
            print(f"{p.name} | {words} | {PENDING}")
