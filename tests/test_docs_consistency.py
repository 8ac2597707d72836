"""The book's rules, checked on the page sources (no build needed).

* No decimal number in the prose: numbers come from executed code through ``glue``
  (an allow-list holds the rare deliberate exception, each with its reason).
* Every ``{glue:text}`` key a page shows is glued by that page's code.
* Every display equation is labelled, and each label is named in a code cell of its page
  (a comment such as ``# eq-drift`` on the line that computes it), so every equation has code.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs_source import DECIMAL, DOCS, code_cells, pages, prose_lines

ALLOWLIST = DOCS / "prose-numbers-allowlist.txt"


def _allowed() -> set[tuple[str, str]]:
    """Entries ``page | literal | reason``; the reason is required."""
    allowed = set()
    for raw in ALLOWLIST.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        page, literal, reason = (part.strip() for part in raw.split("|", 2))
        assert reason, f"allow-list entry without a reason: {raw!r}"
        allowed.add((page, literal))
    return allowed


def decimals_in_prose(path: Path, text: str | None = None) -> list[str]:
    found = []
    for line in prose_lines(path, text):
        for match in DECIMAL.finditer(line.text):
            found.append(f"{path.name}:{line.lineno}: {match.group(0)!r} in {line.text.strip()!r}")
    return found


PAGES = pages()


def test_there_are_pages() -> None:
    assert len(PAGES) >= 3


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_typed_decimal_in_prose(page: Path) -> None:
    allowed = _allowed()
    bad = [
        hit
        for hit in decimals_in_prose(page)
        if (page.name, re.search(r"'([^']*)'", hit).group(1)) not in allowed
    ]
    assert not bad, "numbers typed into the prose (glue them instead):\n" + "\n".join(bad)


def test_the_decimal_check_can_fail() -> None:
    """The scanner finds a typed number in prose and ignores math, code, glue and options."""
    page = """---
kernelspec: {name: python3}
---
# Title
The loss is 2.65 here, {glue:text}`loss:.3f` there, $x = 0.5$ in math, `1.5` in code.

$$
y = 3.25
$$ (eq-x)

```{code-cell} ipython3
lr = 0.1
```

```{glue:figure} fig
:alt: a value of 7.5
Caption with 1e-5 typed.
```
"""
    hits = decimals_in_prose(Path("probe.md"), page)
    assert [h.split("'")[1] for h in hits] == ["2.65", "1e-5"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_glue_keys_exist(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    glued = set(re.findall(r"""glue\(\s*["']([^"']+)["']""", "\n".join(code_cells(text))))
    shown = set(re.findall(r"\{glue(?::text|:math|)\}`([^`:]+)", text))
    shown |= set(re.findall(r"```\{glue:figure\}\s+(\S+)", text))
    assert shown <= glued, f"shown but never glued on {page.name}: {sorted(shown - glued)}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_display_equation_is_labelled_and_computed(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    blocks = re.findall(r"^\$\$\n.*?^\$\$([^\n]*)$", text, flags=re.S | re.M)
    unlabelled = [tail for tail in blocks if not re.match(r"\s*\((eq-[\w-]+)\)\s*$", tail)]
    assert not unlabelled, f"{page.name}: display equations without an (eq-...) label"
    labels = [re.match(r"\s*\((eq-[\w-]+)\)", tail).group(1) for tail in blocks]
    code = "\n".join(code_cells(text))
    missing = [label for label in labels if not re.search(rf"\b{label}\b", code)]
    assert not missing, f"{page.name}: equations no code cell names (add '# {{label}}'): {missing}"


def _chapters_from_the_example_on() -> list[str]:
    """The book's chapters in reading order (the numbered toctree of the front page),
    from "The example" on."""
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    toctree = re.search(r"```\{toctree\}\n(?:.*\n)*?:numbered:\n(?:.*\n)*?\n((?:\w+\n)+)```", index)
    assert toctree, "index.md has no numbered toctree"
    chapters = toctree.group(1).split()
    assert "example" in chapters, chapters
    return chapters[chapters.index("example") :]


@pytest.mark.parametrize("chapter", _chapters_from_the_example_on())
def test_chapter_ends_with_exercises_and_folded_solutions(chapter: str) -> None:
    text = (DOCS / f"{chapter}.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    assert headings, f"{chapter} has no section"
    assert headings[-1] in {"Exercise", "Exercises"}, (chapter, headings[-3:])
    exercises = text[text.rindex(f"## {headings[-1]}") :]
    asked = len(re.findall(r"\*\*Exercise \d+\.\*\*|\*\*Exercise\.\*\*", exercises))
    solved = exercises.count(":::{solution}")
    assert asked >= 1, f"{chapter}: no exercise"
    assert solved == asked, f"{chapter}: {asked} exercises, {solved} solutions"


def test_api_page_documents_every_public_name() -> None:
    import bnref

    text = (DOCS / "api.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"\.\. auto(?:function|class|exception):: bnref\.(\w+)", text))
    assert documented == set(bnref.__all__), (
        f"missing from api.md: {sorted(set(bnref.__all__) - documented)}; "
        f"not public: {sorted(documented - set(bnref.__all__))}"
    )
