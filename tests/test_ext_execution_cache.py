"""docs/_ext/execution_cache.py: the execution cache is keyed on the package's source, and a
page that imports the package depends on its files."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.ext_site import DOCS, extension

execution_cache = extension("execution_cache")


@pytest.fixture
def package(tmp_path: Path) -> Path:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "a.py").write_text("x = 1\n")
    (pkg / "b.py").write_text("y = 2\n")
    return pkg


def test_the_hash_follows_the_source(package: Path) -> None:
    before = execution_cache.source_hash(execution_cache.package_files(package))
    (package / "b.py").write_text("y = 3\n")
    after = execution_cache.source_hash(execution_cache.package_files(package))
    assert before != after
    assert len(before) == 16


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("import pkg\n", True),
        ("from pkg.sub import f\n", True),
        ("from pkg import f\n", True),
        ("import pkgs\n", False),
        ("import numpy as np\n", False),
    ],
)
def test_imports(text: str, expected: bool) -> None:
    assert execution_cache.imports(text, "pkg") is expected


def test_configure_points_myst_nb_at_the_hash_and_removes_stale(
    tmp_path: Path, package: Path
) -> None:
    root = tmp_path / "cache"
    (root / "0123456789abcdef").mkdir(parents=True)  # another version's cache
    app = SimpleNamespace(confdir=str(tmp_path))
    config = SimpleNamespace(execution_cache_package="pkg", execution_cache_root="cache")
    execution_cache._configure(app, config)  # type: ignore[arg-type]
    digest = execution_cache.source_hash(execution_cache.package_files(package))
    assert config.nb_execution_cache_path == str(root / digest)
    assert not (root / "0123456789abcdef").exists()


def test_a_page_that_imports_the_package_depends_on_its_files(
    tmp_path: Path, package: Path
) -> None:
    noted: list[str] = []
    app = SimpleNamespace(
        confdir=str(tmp_path),
        config=SimpleNamespace(execution_cache_package="pkg"),
        env=SimpleNamespace(note_dependency=noted.append),
    )
    execution_cache._depend_on_package(app, "page", ["import numpy\n"])  # type: ignore[arg-type]
    assert noted == []
    execution_cache._depend_on_package(app, "page", ["from pkg import x\n"])  # type: ignore[arg-type]
    assert sorted(Path(p).name for p in noted) == ["a.py", "b.py"]


def test_the_book_uses_it() -> None:
    conf = (DOCS / "conf.py").read_text(encoding="utf-8")
    assert '"execution_cache"' in conf
    assert 'execution_cache_package = "../bnref"' in conf
