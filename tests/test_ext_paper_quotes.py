"""The quotation check of docs/_ext/paper_quotes.py: what it accepts and what it refuses."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

import paper_quotes  # noqa: E402  (the extension lives beside the book, not in a package)

PASSAGES = paper_quotes.read_passages(DOCS / "paper-quotes.txt")


@pytest.mark.parametrize(
    "quote",
    [
        "ignores the dependence of E[x] on b",
        "b will grow indefinitely while the loss\n   remains fixed",  # white space is folded
        "the network always produces activations",  # the notes' *italics* are ignored
        "For example, consider a layer [\u2026] that adds the learned bias b",  # an omission
        "z = g(BN(Wu))",
    ],
)
def test_verbatim_quotations_pass(quote: str) -> None:
    assert paper_quotes.is_verbatim(quote, PASSAGES)


@pytest.mark.parametrize(
    "quote",
    [
        "has to be done with some care",  # the question's words, not the paper's
        "z = g(BN(Wu + b))",  # the misquotation of issue 10: the paper drops b
        "Δb ∝ ∂ℓ/∂x̂",  # a dropped minus sign
        "b will grow indefinitely while the loss remains constant",  # a changed word
        "the loss [\u2026] ignores the dependence",  # parts out of order
        "[\u2026]",  # an omission alone quotes nothing
    ],
)
def test_misquotations_fail(quote: str) -> None:
    assert not paper_quotes.is_verbatim(quote, PASSAGES)


def test_every_passage_is_in_the_paper_notes() -> None:
    """The verbatim file holds only words of the notes (the notes' text, white space folded)."""
    # beside the clone, or beside the folder of its git worktrees (…/wt/<name>)
    here = Path(__file__).resolve().parents[1]
    candidates = [here.parent / "shared", here.parent.parent / "shared"]
    notes = next(
        (c / "paper-notes.md" for c in candidates if (c / "paper-notes.md").is_file()), None
    )
    if notes is None:
        pytest.skip("the project's paper notes are not beside this clone")
    text = paper_quotes.normalize(
        " ".join(line.lstrip("> ") for line in notes.read_text(encoding="utf-8").splitlines())
    )
    for passage in PASSAGES:
        assert passage in text, passage[:60]
