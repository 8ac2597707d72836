"""docs/_ext/slim_images.py: figures become palette PNGs once, keep their modification time
(they are dependencies of their pages), and are replaced whole."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image

from tests.ext_site import extension

slim_images = extension("slim_images")


def _figure_png() -> bytes:
    """A small matplotlib plot: a few flat colours and their anti-aliased edges."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 1.5), dpi=100)
    ax = fig.subplots()
    x = np.linspace(0, 6, 200)
    for k in range(3):
        ax.plot(x, np.sin(x + k), lw=1.5)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", facecolor="white")
    return buffer.getvalue()


def test_a_figure_is_slimmed_once_and_keeps_its_time(tmp_path: Path) -> None:
    png = tmp_path / "figure.png"
    png.write_bytes(_figure_png())
    os.utime(png, ns=(1_000_000_000, 2_000_000_000))
    assert slim_images.unslimmed(tmp_path) == [str(png)]
    before, after = slim_images.slim_png(png)
    assert after < before
    assert png.stat().st_mtime_ns == 2_000_000_000
    with Image.open(png) as image:
        assert image.info["Software"] == slim_images.MARKER.decode()
    assert slim_images.unslimmed(tmp_path) == []
    assert slim_images.slim_png(png) == (after, after)  # the second time changes nothing
    assert not list(tmp_path.glob("*.slim"))  # no partial file left behind


def test_transparent_images_are_left_alone(tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 1.5), dpi=100)
    fig.subplots().plot(np.linspace(0, 6, 200) ** 0.5)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", transparent=True)
    data = buffer.getvalue()
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == "RGBA"
        opaque = Image.new("RGB", image.size, "white")
        opaque.paste(image, mask=image.getchannel("A"))
    flat = io.BytesIO()
    opaque.save(flat, "PNG")
    # The same picture made opaque is slimmed (so the check below could fail), this one not.
    assert len(slim_images.slim_png_bytes(flat.getvalue())) < len(flat.getvalue())
    assert slim_images.slim_png_bytes(data) is data


def test_slim_files_does_every_file_it_is_given(tmp_path: Path) -> None:
    paths = []
    for name in ("a.png", "b.png"):
        (tmp_path / name).write_bytes(_figure_png())
        paths.append(str(tmp_path / name))
    assert slim_images.slim_files(paths) == 2
    assert slim_images.unslimmed(tmp_path) == []
