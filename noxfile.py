"""Sessions for the bnref book and package: ``nox -s docs`` builds the book, ``nox -s tests``
runs the tests. Every session installs from the exact pins in ``requirements/``."""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

import nox

# The strict Sphinx options (-n -W --keep-going) live in tools/_build.py, which the
# build benchmark and the reproducibility check share, so all three build the book alike.
# (The `nox` command does not put the noxfile's folder on sys.path; `python -m nox` does.)
sys.path.insert(0, str(Path(__file__).resolve().parent))
from tools._build import STRICT
from tools.browser import needs_browser

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "lint"]

ROOT = Path(__file__).parent
DOCS = ROOT / "docs"
BUILD = DOCS / "_build"
HTML = BUILD / "html"


# Compile every installed module to bytecode at install time, as pip does by default and uv
# does only when asked. Without it, a machine with PYTHONDONTWRITEBYTECODE set (this one, and
# CI) compiles Sphinx, IPython and matplotlib from source in every process and every page's
# kernel: a cold build of the book took 29 s instead of 16 s.
COMPILE = {"UV_COMPILE_BYTECODE": "1"}


def _install(session: nox.Session, lock: str) -> None:
    """Install the pinned lock file, then bnref itself (editable, so the kernel sees edits).

    Skipped when this environment already holds exactly this lock file and pyproject.toml (a
    stamp in the environment records their hash): asking uv again costs about a second on every
    run, most of it rebuilding bnref's editable wheel, and an edit to bnref's code needs no
    reinstall. A changed lock file or pyproject.toml, or a new environment, installs again."""
    pinned = (ROOT / "requirements" / f"{lock}.txt").read_bytes()
    key = hashlib.sha256(pinned + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = Path(session.virtualenv.location) / f".bnref-installed-{lock}"
    if stamp.is_file() and stamp.read_text() == key:
        session.log(f"requirements/{lock}.txt and pyproject.toml unchanged: nothing to install")
        return
    session.install("-r", f"requirements/{lock}.txt", env=COMPILE)
    session.install("--no-deps", "-e", ".")
    stamp.write_text(key)


def _sphinx(session: nox.Session, *extra: str) -> None:
    session.run(
        "python",
        "tools/sphinx_build.py",  # sphinx-build without Python's shutdown (0.4-0.8 s)
        *STRICT,
        "-b",
        "html",
        "-d",
        str(BUILD / "doctrees"),
        str(DOCS),
        str(HTML),
        *extra,
    )
    session.log(f"The book is at {HTML / 'index.html'}")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the book (executing changed pages; cached pages are reused)."""
    _install(session, "docs")
    _sphinx(session, *session.posargs)


@nox.session(name="docs-clean")
def docs_clean(session: nox.Session) -> None:
    """Build the book from scratch: no cached execution, no cached doctrees."""
    _install(session, "docs")
    shutil.rmtree(BUILD, ignore_errors=True)
    _sphinx(session, *session.posargs)


@nox.session(name="docs-live")
def docs_live(session: nox.Session) -> None:
    """Serve the book on http://127.0.0.1:8000 and rebuild it on every save."""
    _install(session, "docs")
    session.run(
        "sphinx-autobuild",
        *STRICT,
        "-d",
        str(BUILD / "doctrees"),
        "--watch",
        "bnref",
        "--host",
        "127.0.0.1",
        "--port",
        "8000",
        str(DOCS),
        str(HTML),
        *session.posargs,
    )


def _site_and_browser(session: nox.Session) -> dict[str, str]:
    """What the browser tests need: the built book (built here if missing) and a Chromium
    (tools/browser.py finds one, installs one, or stops with one message saying what to run).
    Returns the environment that points the tests at that Chromium."""
    if not (HTML / "index.html").is_file():
        session.log(f"The book is not built ({HTML}); building it first for the browser tests.")
        _sphinx(session)
    session.log("Looking for Chromium (installing it if missing can take a minute)")
    out = session.run("python", "tools/browser.py", silent=True)
    chromium = str(out).strip().splitlines()[-1]
    session.log(f"Chromium: {chromium}")
    return {"BNREF_CHROMIUM": chromium}


@nox.session
def tests(session: nox.Session) -> None:
    """Run the tests: package, doctests, the pages' snippets and cells, the book in Chromium."""
    _install(session, "tests")
    env = _site_and_browser(session) if needs_browser(session.posargs) else {}
    session.run("pytest", *session.posargs, env=env)


@nox.session
def browser(session: nox.Session) -> None:
    """Only the browser tests (tests/browser): the built book in Chromium."""
    _install(session, "tests")
    session.run("pytest", "tests/browser", *session.posargs, env=_site_and_browser(session))


@nox.session(name="page-weight")
def page_weight(session: nox.Session) -> None:
    """Report the bytes each page of the built book loads on a first visit (--check: budget)."""
    _install(session, "tests")
    env = _site_and_browser(session)
    session.run("python", "-m", "tests.browser.page_weight", *session.posargs, env=env)


@nox.session
def pdf(session: nox.Session) -> None:
    """Print the built book to docs/_build/pdf/bnref.pdf with Chromium (after `nox -s docs`)."""
    _install(session, "tests")
    env = _site_and_browser(session)
    session.run("python", "tools/build_pdf.py", *session.posargs, env=env)
    session.run("pytest", "tests/test_pdf.py", "-q")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check, ruff format --check, and strict mypy on the package."""
    session.install("-r", "requirements/lint.txt", env=COMPILE)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks: batch_norm + batch_norm_vjp against one copy; `nox -s docs` build times."""
    _install(session, "tests")
    session.run("python", "benchmarks/bench_batchnorm.py", *session.posargs)
    # The build benchmark times the `nox` command itself, the one running this session.
    this_nox = sys.argv[0] if Path(sys.argv[0]).name == "nox" else shutil.which("nox") or "nox"
    session.run("python", "tools/bench_docs.py", env={"BNREF_NOX": this_nox})


@nox.session(python=False)
def linkcheck(session: nox.Session) -> None:
    """Check every internal link and anchor of the built site, offline."""
    session.run("python3", "tools/check_links.py", str(HTML), external=True)


@nox.session(name="linkcheck-external")
def linkcheck_external(session: nox.Session) -> None:
    """Check the external links (needs internet access; not run by CI)."""
    _install(session, "docs")
    session.run("sphinx-build", "-b", "linkcheck", "-q", str(DOCS), str(BUILD / "linkcheck"))


@nox.session(python=False)
def numbers(session: nox.Session) -> None:
    """Compare every number the prose shows with docs/numbers.json (-- --update to accept)."""
    session.run("python3", "tools/glue_numbers.py", *session.posargs, external=True)


@nox.session
def reproducible(session: nox.Session) -> None:
    """Build the book from scratch twice (-- --runs N: N times); every site must be identical."""
    _install(session, "docs")
    session.run("python", "tools/check_reproducible.py", *session.posargs)
