"""docs/_ext/section_ref_math.py: a reference to a section whose title has math shows the math
rendered, not its TeX."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from docutils import nodes

from tests.ext_site import HTML, build, built, extension

section_ref_math = extension("section_ref_math")


@pytest.mark.parametrize(
    ("attrs", "docname", "target"),
    [
        ({"refid": "x"}, "care", ("care", "x")),
        ({"refuri": "care.html#norm"}, "answers", ("care", "norm")),
        ({"refuri": "../care.html#norm"}, "sub/page", ("care", "norm")),
        ({"refuri": "#document-care#norm"}, "index", ("care", "norm")),  # singlehtml (PDF)
        ({"refuri": "care.html"}, "answers", None),  # a page, not a section
        ({"refuri": "https://example.org/#x"}, "answers", None),
    ],
)
def test_target_of(attrs: dict[str, str], docname: str, target: tuple[str, str] | None) -> None:
    assert section_ref_math.target_of(nodes.reference("", "", **attrs), docname) == target


PAGES = {
    "index.md": "# Home\n\nSee {ref}`beta-sec`, and {ref}`its own words <beta-sec>`.\n\n"
    "(beta-sec)=\n## A learned $\\beta$\n\nText.\n",
}
CONF = "extensions = ['myst_parser', 'section_ref_math']\nmyst_enable_extensions = ['dollarmath']\n"


def test_the_reference_shows_the_math(tmp_path: Path) -> None:
    html = (build(tmp_path, CONF, PAGES) / "index.html").read_text(encoding="utf-8")
    refs = re.findall(r'<span class="std std-ref">(.*?)</span></a>', html)
    assert len(refs) == 2
    assert '<span class="math' in refs[0]
    assert "\\beta" not in refs[0].split("math")[0]
    assert refs[1] == "its own words"  # a reference with its own text is left alone


def test_the_book_shows_no_tex_in_references() -> None:
    built("index.html")
    for page in sorted(HTML.glob("*.html")):
        text = page.read_text(encoding="utf-8")
        refs = re.findall(r'<span class="std std-ref">([^<]*)</span>', text)
        assert [r for r in refs if "\\" in r] == [], page.name
