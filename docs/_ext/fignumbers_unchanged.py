"""Skip Sphinx's figure (and equation) renumbering in a build that read no page.

With ``numfig = True``, Sphinx's toctree collector assigns figure numbers after every read
phase by loading the doctree of every page (``assign_figure_numbers`` → ``get_doctree``), even
when no page was read: an unchanged build of this book unpickled 2.5 MB of doctrees for that,
0.7 s of its ~3 s. The cost is known upstream (https://github.com/sphinx-doc/sphinx/issues/11908
traces it; projects turn ``numfig`` off for it, e.g. https://github.com/zephyrproject-rtos/zephyr/pull/57624);
this book numbers its equations by section (``math_numfig``), so it keeps ``numfig``.

When no page was read or removed, the numbers of the last build (kept in the pickled
environment) are still right, because they depend only on the pages and the toctree. So the
collector's ``env-get-updated`` listener is replaced by one that skips the renumbering in that
case and calls the collector as before otherwise.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.environment.collectors.toctree import TocTreeCollector

CHANGES = {"read": 0, "removed": 0}  # in this build


def _collector(app: Sphinx) -> TocTreeCollector:
    for listener in app.events.listeners["env-get-updated"]:
        owner = getattr(listener.handler, "__self__", None)
        if isinstance(owner, TocTreeCollector):
            return owner
    raise RuntimeError("sphinx's toctree collector is not connected to env-get-updated")


def _count_read(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    CHANGES["read"] += len(docnames)


def _count_removed(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    CHANGES["removed"] += 1  # also called for each changed page before it is read again


def _replace_listener(app: Sphinx) -> None:
    collector = _collector(app)
    assert collector.listener_ids is not None

    def get_updated_docs(app: Sphinx, env: BuildEnvironment) -> list[str]:
        if CHANGES["read"] == 0 and CHANGES["removed"] == 0:
            return collector.assign_section_numbers(env)
        return collector.get_updated_docs(app, env)

    app.disconnect(collector.listener_ids["env-get-updated"])
    collector.listener_ids["env-get-updated"] = app.connect("env-get-updated", get_updated_docs)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", _replace_listener)
    app.connect("env-before-read-docs", _count_read)
    app.connect("env-purge-doc", _count_removed)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
