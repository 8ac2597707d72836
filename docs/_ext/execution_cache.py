"""The execution cache of myst-nb, keyed on the book's Python package as well as on the cells.

jupyter-cache keys a notebook on its code cells (and kernel) only, so a page whose cells are
unchanged keeps its cached outputs even when the package those cells import has changed: the
book would show results of the old code. Upstream has no setting for extra dependencies of a
notebook (requests to force re-execution: https://github.com/jupyter-book/jupyter-book/issues/1633;
myst-nb executes before Sphinx reads a source, which makes it hard to extend from outside:
https://github.com/executablebooks/MyST-NB/issues/350). So:

* the cache lives in a folder named for a hash of the package's source, ``nb_execution_cache_path``
  is set to it (a new hash starts an empty cache; the other folders are deleted), and
* every page that imports the package depends on the package's files, so that Sphinx re-reads
  (and myst-nb re-executes) those pages when the package changes.

Settings: ``execution_cache_package`` (the package's folder) and ``execution_cache_root`` (where
the hashed folders live), both relative to the configuration directory.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config


def package_files(package: Path) -> list[Path]:
    return sorted(package.glob("*.py"))


def source_hash(files: list[Path]) -> str:
    """A short hash of the files' bytes, in order: the cache folder's name."""
    return hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()[:16]


def imports(text: str, package: str) -> bool:
    """True when a page's source imports ``package`` (``import p``, ``from p…``)."""
    return re.search(rf"\b(import|from) {re.escape(package)}\b", text) is not None


def remove_stale(root: Path, keep: str) -> None:
    """Delete the cache folders of other versions of the package."""
    if root.is_dir():
        for stale in root.iterdir():
            if stale.name != keep:
                shutil.rmtree(stale, ignore_errors=True)


def cache_folder(confdir: Path, package: str, root: str) -> Path:
    """The cache folder for the package's current source (also for tools that execute the
    pages ahead of the build: they must fill the cache that the build reads)."""
    digest = source_hash(package_files((confdir / package).resolve()))
    return confdir / root / digest


def _configure(app: Sphinx, config: Config) -> None:
    folder = cache_folder(
        Path(app.confdir), config.execution_cache_package, config.execution_cache_root
    )
    remove_stale(folder.parent, folder.name)
    config.nb_execution_cache_path = str(folder)


def _depend_on_package(app: Sphinx, docname: str, source: list[str]) -> None:
    package = (Path(app.confdir) / app.config.execution_cache_package).resolve()
    if imports(source[0], package.name):
        for path in package_files(package):
            app.env.note_dependency(str(path))


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("myst_nb")
    app.add_config_value("execution_cache_package", "", "env", types=[str])
    app.add_config_value("execution_cache_root", "_build/.jupyter_cache", "env", types=[str])
    app.connect("config-inited", _configure)
    app.connect("source-read", _depend_on_package)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
