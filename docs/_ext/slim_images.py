"""The book's figures as 256-colour PNGs: about 40% of the bytes, the same picture to the eye.

matplotlib writes its figures as 32-bit RGBA PNGs. A plot has a few flat colours plus their
anti-aliased edges (400 to 11,000 distinct colours in this book's figures), and every pixel is
opaque, so a 256-colour palette (median cut, no dithering) draws the same figure: measured on
the book's figures, 99.9% of the pixels move by at most 21 of 255 in any channel, the mean by
less than 0.4. The figures were 990 KB in all, 60% of the weight of the heaviest pages after
the icon script had gone (docs/_ext/icons.py), and are 390 KB as palettes.

Each PNG is rewritten as a palette PNG, unless the palette would change it by more than
``MAX_ERROR`` (then it is only re-compressed, losslessly) or it has any transparency (kept as
it is), and marked so that it is not done twice. The pages' figures (myst-nb's
``jupyter_execute`` folder) are slimmed in a separate process as soon as Sphinx has read every
page, while it writes them on one core, and awaited before Sphinx copies them to ``_images/``;
any PNG in ``_images/`` not yet slimmed then is, after the build. The published notebooks keep
the kernel's own figures. Pillow comes with matplotlib; the output depends only on the input,
so two builds of the book stay byte-identical.
"""

from __future__ import annotations

import io
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image, PngImagePlugin

if TYPE_CHECKING:  # not imported at run time: the process that slims need not load Sphinx
    from sphinx.application import Sphinx

# A palette is kept if at most 0.1% of the pixels move by more than this (of 255, any channel).
MAX_ERROR = 32
MARKER = b"bnref-palette"  # a PNG text chunk: this file is already a palette of its original


def slim_png_bytes(data: bytes) -> bytes:
    """The PNG ``data`` as a 256-colour palette if that keeps the picture, else unchanged
    (or losslessly re-compressed, if that is smaller)."""
    image = Image.open(io.BytesIO(data))
    if image.info.get("Software") == MARKER.decode() or image.mode not in {"RGB", "RGBA"}:
        return data
    if image.mode == "RGBA" and image.getchannel("A").getextrema()[0] < 255:
        return data  # transparent pixels: leave the figure alone
    rgb = image.convert("RGB")
    palette = rgb.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    moved = np.abs(
        np.asarray(palette.convert("RGB"), dtype=np.int16) - np.asarray(rgb, dtype=np.int16)
    ).max(axis=2)
    out = palette if np.percentile(moved, 99.9) <= MAX_ERROR else rgb
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", MARKER.decode())
    buffer = io.BytesIO()
    out.save(buffer, "PNG", optimize=True, pnginfo=info)
    return buffer.getvalue() if len(buffer.getvalue()) < len(data) else data


def slim_png(path: Path) -> tuple[int, int]:
    """Rewrite the PNG at ``path`` as :func:`slim_png_bytes` does; the sizes before and after.
    The new file replaces the old one at once (Sphinx may be reading it meanwhile)."""
    data = path.read_bytes()
    slim = slim_png_bytes(data)
    if slim is not data:
        before = path.stat()
        partial = path.with_name(path.name + ".slim")
        partial.write_bytes(slim)
        # Same picture, same time: the figure is a dependency of its page, and a newer one
        # would make the next build read and write the page again.
        os.utime(partial, ns=(before.st_atime_ns, before.st_mtime_ns))
        partial.replace(path)
    return len(data), len(slim)


def slim_files(paths: list[str]) -> int:
    """Slim the PNGs at ``paths`` (strings, to be sent to another process); how many."""
    for path in paths:
        slim_png(Path(path))
    return len(paths)


def unslimmed(folder: Path) -> list[str]:
    """The PNGs in ``folder`` without the marker (it comes before the image data)."""
    return [str(p) for p in sorted(folder.glob("*.png")) if MARKER not in p.read_bytes()[:4096]]


BACKGROUND: list[Future[int]] = []  # the figures being slimmed


def _start(app: Sphinx, env: Any) -> None:
    """Once every page is read, slim the figures in another process while Sphinx writes."""
    folder = Path(env.mystnb_config.output_folder) if hasattr(env, "mystnb_config") else None
    if app.builder.format != "html" or folder is None or not folder.is_dir():
        return
    todo = unslimmed(folder)
    if not todo:
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    pool = ProcessPoolExecutor(1, mp_context=context)
    BACKGROUND.append(pool.submit(slim_files, todo))
    pool.shutdown(wait=False)  # it exits once the one task is done


def _wait(app: Sphinx) -> list[Any]:
    """Before Sphinx copies the figures (``html-collect-pages`` comes first): wait for them."""
    while BACKGROUND:
        BACKGROUND.pop().result()
    return []


def _slim_after_build(app, exception):  # type: ignore[no-untyped-def]
    if exception is not None or app.builder.format != "html":
        return
    images = Path(app.outdir, "_images")
    for png in sorted(images.glob("*.png")) if images.is_dir() else []:
        slim_png(png)


def setup(app):  # type: ignore[no-untyped-def]
    app.connect("env-updated", _start)
    app.connect("html-collect-pages", _wait)
    app.connect("build-finished", _slim_after_build)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
