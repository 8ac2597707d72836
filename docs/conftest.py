"""Run the pages' code with pytest, through Sybil.

Each page's ``{code-cell}``s run in order in one namespace, as the kernel runs them at build
time, so a ``>>>`` example further down can use what the cells computed. This makes the test
command fail on a broken page even when nobody builds the book.
"""

import matplotlib

matplotlib.use("Agg")  # pages draw figures; no display here

from sybil import Sybil
from sybil.evaluators.python import PythonEvaluator
from sybil.parsers.myst import (
    CodeBlockParser,
    DocTestDirectiveParser,
    PythonCodeBlockParser,
    SkipParser,
)

FLAGS = __import__("doctest").NORMALIZE_WHITESPACE | __import__("doctest").ELLIPSIS

pytest_collect_file = Sybil(
    parsers=[
        DocTestDirectiveParser(optionflags=FLAGS),
        PythonCodeBlockParser(doctest_optionflags=FLAGS),
        CodeBlockParser(language="ipython3", evaluator=PythonEvaluator()),
        SkipParser(),
    ],
    patterns=["*.md"],
    excludes=["_build/*"],
).pytest()
