"""Read the book's MyST pages the way the consistency tests need them.

:func:`prose_lines` keeps only the text a reader reads as prose: it drops the front matter,
code cells and other code blocks, display and inline math, inline code, roles such as
``{glue:text}`` and ``{eq}``, directive options, MyST comments, targets and link URLs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"

# Fenced blocks whose whole body is code, not prose (or, for {paper-quote}, the paper's words).
CODE_FENCES = re.compile(
    r"^\{(code-cell|code-block|code|eval-rst|toctree|bibliography|math|raw|literalinclude"
    r"|paper-quote)\}"
    r"|^(python|ipython3?|text|bash|console|toml|yaml|json|pycon|)$"
)
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,}|:{3,})\s*(.*)$")
INLINE_DROPS = [
    re.compile(r"\$\$.*?\$\$"),  # display math on one line
    re.compile(r"(?<!\\)\$[^$]+?(?<!\\)\$"),  # inline math
    re.compile(r"\{[\w:-]+\}`[^`]*`"),  # roles: {glue:text}`k:.3f`, {eq}`label`, {cite}`key`
    re.compile(r"`[^`]*`"),  # inline code
    re.compile(r"\]\([^)]*\)"),  # link targets (URLs)
    re.compile(r"<https?://[^>]*>"),  # autolinks
]
DECIMAL = re.compile(r"(?<![\w.])\d*\.\d+(?:[eE][-+−]?\d+)?(?![\w.])|(?<![\w.])\d+[eE][-+−]?\d+\b")


@dataclass(frozen=True)
class ProseLine:
    path: Path
    lineno: int
    text: str


def _front_matter_end(lines: list[str]) -> int:
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() == "---":
                return i + 1
    return 0


def _lines(path: Path, text: str | None) -> Iterator[tuple[int, str, bool]]:
    """``(line number, line, in display math)`` for every line outside front matter, code,
    comments, targets and directive options."""
    lines = (path.read_text(encoding="utf-8") if text is None else text).splitlines()
    stack: list[tuple[str, bool]] = []  # open fences: (marker, is_code)
    in_math = False
    for i in range(_front_matter_end(lines), len(lines)):
        line = lines[i]
        fence = FENCE.match(line)
        if fence and not in_math:
            marker, info = fence.group(2), fence.group(3).strip()
            if (
                stack
                and marker[0] == stack[-1][0][0]
                and len(marker) >= len(stack[-1][0])
                and not info
            ):
                stack.pop()
                continue
            if not stack or not stack[-1][1]:
                stack.append((marker, bool(CODE_FENCES.match(info))))
                continue
        if stack and stack[-1][1]:
            continue
        stripped = line.strip()
        if stripped.startswith("$$"):
            closes_here = stripped.count("$$") >= 2
            if not closes_here:
                in_math = not in_math
            yield i + 1, re.sub(r"\$\$\s*\([\w-]+\)\s*$", "", line).replace("$$", " "), True
            continue
        if in_math:
            yield i + 1, line, True
            continue
        if stripped.startswith("%") or re.match(r"^\(.+\)=$", stripped):
            continue  # MyST comments and targets
        if stack and re.match(r"^:[\w-]+:", stripped):
            continue  # directive options such as :name: or :alt:
        yield i + 1, line, False


def prose_lines(path: Path, text: str | None = None) -> Iterator[ProseLine]:
    """Yield the prose of a page with everything that is not prose removed."""
    for lineno, line, is_math in _lines(path, text):
        if is_math:
            continue
        for pattern in INLINE_DROPS:
            line = pattern.sub(" ", line)
        yield ProseLine(path, lineno, line)


INLINE_MATH = re.compile(r"\$\$(.*?)\$\$|(?<!\\)\$([^$]+?)(?<!\\)\$|\{math\}`([^`]*)`")


def math_lines(path: Path, text: str | None = None) -> Iterator[ProseLine]:
    """Yield the math of a page: each display-math line, and each inline formula of a prose
    line (``$...$`` or the ``{math}`` role), without inline code."""
    for lineno, line, is_math in _lines(path, text):
        if is_math:
            yield ProseLine(path, lineno, line)
            continue
        line = re.sub(r"(?<!\{math\})`[^`]*`", " ", line)  # inline code is not math
        for match in INLINE_MATH.finditer(line):
            yield ProseLine(path, lineno, next(g for g in match.groups() if g is not None))


def pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)


def code_cells(text: str) -> list[str]:
    """The source of every ``{code-cell}`` of a page, in order."""
    return re.findall(r"^```\{code-cell\}[^\n]*\n(.*?)^```\s*$", text, flags=re.S | re.M)
