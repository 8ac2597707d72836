"""The book's rules, checked on the page sources (no build needed).

* No typed number in the prose: numbers come from executed code through ``glue``
  (an allow-list holds the rare deliberate exception, each with its reason). In prose that is
  a decimal, a number in e-notation, a signed number or a percentage; in math (where integers
  belong to equations: ``\frac{1}{2}``, ``m-1``, indices) a decimal, e-notation or a power of
  ten (``10^{-15}``, ``\times 10^{-15}``).
* Every ``{glue:text}`` key a page shows is glued by that page's code.
* Every display equation is labelled, and each label is named in a code cell of its page
  (a comment such as ``# eq-drift`` on the line that computes it), so every equation has code.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs_source import DOCS, code_cells, math_lines, pages, prose_lines

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


_SIGN = r"(?:(?<![\w.\-−+])[-−+])?"  # a sign, when it is not a hyphen or an operator
_MANTISSA = r"(?:\d+\.?\d*|\.\d+)"
PROSE_NUMBER = re.compile(
    rf"(?<![\w.]){_SIGN}{_MANTISSA}\s?%"  # 55%, 2.5 %
    rf"|(?<![\w.]){_SIGN}\d*\.\d+(?:[eE][-+−]?\d+)?(?![\w.])"  # 0.22, −1.33e-15, 2.4e-16
    rf"|(?<![\w.]){_SIGN}\d+[eE][-+−]?\d+\b"  # 2e-16, 1e-15
    r"|(?<![\w.\-−+])[-−+]\d+(?![\w.])"  # a signed integer in prose: −3
)
MATH_NUMBER = re.compile(
    rf"{_SIGN}{_MANTISSA}\s*\\times\s*10\^\{{?[-−+]?\d+\}}?"  # -1.33\times 10^{-15}
    r"|(?<![\w.])10\^\{?[-−+]?\d+\}?"  # 10^{-16}, 10^{13}
    rf"|(?<![\w.]){_SIGN}{_MANTISSA}[eE][-+−]?\d+\b"  # 1e-15 (say, in \text{})
    r"|(?<![\w.])\d*\.\d+(?![\w.])"  # 0.209
)


def numbers_in_prose(path: Path, text: str | None = None) -> list[tuple[str, str]]:
    """Every typed number of a page's prose and math: ``(literal, "page:line: context")``."""
    found = []
    for lines, pattern in ((prose_lines, PROSE_NUMBER), (math_lines, MATH_NUMBER)):
        for line in lines(path, text):
            for match in pattern.finditer(line.text):
                where = f"{path.name}:{line.lineno}: {match.group(0)} in {line.text.strip()!r}"
                found.append((match.group(0), where))
    return found


PAGES = pages()


def test_there_are_pages() -> None:
    assert len(PAGES) >= 3


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_typed_number_in_prose(page: Path) -> None:
    allowed = _allowed()
    hits = numbers_in_prose(page)
    bad = [where for literal, where in hits if (page.name, literal) not in allowed]
    assert not bad, "numbers typed into the prose (glue them instead):\n" + "\n".join(bad)


def test_the_decimal_check_can_fail() -> None:
    """The scanner finds a typed number in prose and in math, and ignores code, glue and options."""
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
    hits = numbers_in_prose(Path("probe.md"), page)
    assert [literal for literal, _ in hits] == ["2.65", "1e-5", "0.5", "3.25"]


def _found(text: str) -> list[str]:
    return [literal for literal, _ in numbers_in_prose(Path("probe.md"), text + "\n")]


@pytest.mark.parametrize(
    ("text", "literal"),
    [
        ("the naive step leaves 2e-16 behind", "2e-16"),
        ("the naive step leaves 2.4e-16 behind", "2.4e-16"),
        ("the bias gradient is −1.33e-15 here", "−1.33e-15"),  # Unicode minus kept
        ("the bias gradient is -1.33e-15 here", "-1.33e-15"),
        ("zero to within 1e-15.", "1e-15"),
        ("the signed median is −0.22, the radial term +55.2", "−0.22"),
        ("it removes 55% of it", "55%"),
        ("it removes 2.5 % of it", "2.5 %"),
        ("it moved by −3 after the flip", "−3"),
        ("rounding noise of order $10^{-16}$ only", "10^{-16}"),
        ("below $10^{-15}$", "10^{-15}"),
        ("a gradient of $-1.33\\times 10^{-15}$", "-1.33\\times 10^{-15}"),
        ("once $v_n > 0.209$", "0.209"),
        ("$\\text{tol} = 1e-15$", "1e-15"),
    ],
)
def test_the_number_check_catches(text: str, literal: str) -> None:
    """Each form issue 10 found typed into the prose (a number, its exponent or its sign)."""
    assert literal in _found(text)


@pytest.mark.parametrize(
    "text",
    [
        "equation $\\hat x_i = (x_i - \\mu)/\\sigma$ with $m-1$ and $\\frac{1}{2}$",
        "Section 2 and (1) and eq. 3, the step-2 run, x_1, a 2-layer net",
        "the {glue:text}`bias-drift:.2e` number and `2e-16` in code",
        "$$\nW^{(l)} x_{i}^{2} \\sum_{j=1}^{m}\n$$ (eq-sum)",
        "the years 2015–2018, pages 448-456",
    ],
)
def test_the_number_check_allows(text: str) -> None:
    """Integers of equations (fractions, indices, m-1), references, glued values, code."""
    assert _found(text) == []


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
