"""Local files behind the image URLs a slide names, ready for the PPTX and PDF exports.

A slide's image `src` is a URL the app serves: `/static/...` (bundled icons and the image
placeholder) or `/app_data/images/<file>` (downloaded and generated images). The exports
cannot fetch URLs, so `AssetResolver` maps those two kinds back to files and refuses
everything else: remote URLs, `data:` URLs, `..` tricks, missing files and files that are
not images answer None, and the renderers draw a placeholder instead. An image is never a
reason for an export to fail.

SVG files (the bundled icons are SVG) are rasterised with CairoSVG, which renders them
faithfully and, unless asked otherwise, neither resolves XML entities nor fetches
external files. Raster images are checked by decoding them with Pillow and handed over as
PNG or JPEG bytes, which both python-pptx and fpdf2 embed.
"""

from __future__ import annotations

import io
import logging
import math
import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from PIL import Image, ImageOps

log = logging.getLogger(__name__)

STATIC_ROUTE = "/static/"
IMAGES_ROUTE = "/app_data/images/"
RASTER_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp"})
SVG_SUFFIX = ".svg"
IMAGE_SUFFIXES = RASTER_SUFFIXES | {SVG_SUFFIX}
MAX_FILE_BYTES = 40 * 1024 * 1024
MAX_SVG_BYTES = 4 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_EDGE = 4096
"""Raster images larger than this (pixels along an edge) are scaled down before embedding."""
SVG_SCALE = 3.0
"""SVGs are rasterised at this many pixels per canvas unit (about 216 dpi)."""
MAX_SVG_EDGE = 2400


def package_static_dir() -> Path:
    """The package's `static` folder, served at `/static/`."""
    return Path(str(files("slidestream").joinpath("static")))


@dataclass(frozen=True)
class RasterImage:
    """An image ready to embed: PNG or JPEG bytes and their size in pixels."""

    data: bytes
    width: int
    height: int
    format: Literal["png", "jpeg"]

    @property
    def aspect(self) -> float:
        """Width over height."""
        return self.width / self.height


class AssetResolver:
    """Maps a slide's image URLs to local files, and loads them for embedding."""

    def __init__(self, static_dir: Path, images_dir: Path) -> None:
        self.static_dir = Path(static_dir)
        self.images_dir = Path(images_dir)
        self._cache: dict[tuple[Path, float, float, str, str | None], RasterImage | None] = {}

    @classmethod
    def for_images(cls, images_dir: Path) -> AssetResolver:
        """A resolver over the package's own static folder and `images_dir`."""
        return cls(package_static_dir(), images_dir)

    def resolve(self, src: str) -> Path | None:
        """The local image file `src` names, or None when it names none we may read."""
        if not isinstance(src, str) or not src or len(src) > 2048:
            return None
        try:
            parts = urlsplit(src.strip())
        except ValueError:
            return None
        if parts.scheme or parts.netloc:
            return None
        path = unquote(parts.path)
        if path.startswith(STATIC_ROUTE):
            base, rest, nested = self.static_dir, path[len(STATIC_ROUTE) :], True
        elif path.startswith(IMAGES_ROUTE):
            base, rest, nested = self.images_dir, path[len(IMAGES_ROUTE) :], False
        else:
            return None
        names = rest.split("/")
        if not nested and len(names) != 1:
            return None
        if any(
            name in ("", ".", "..") or "\\" in name or "\x00" in name or name.startswith(".")
            for name in names
        ):
            return None
        if Path(names[-1]).suffix.lower() not in IMAGE_SUFFIXES:
            return None
        if any(len(name.encode("utf-8", "surrogatepass")) > 255 for name in names):
            return None  # no file system has such a name; asking would raise
        try:
            root = base.resolve()
            candidate = base.joinpath(*names).resolve()
            if not candidate.is_relative_to(root) or not candidate.is_file():
                return None
        except (OSError, RuntimeError, ValueError):
            return None
        return candidate

    def load(
        self,
        src: str,
        width: float,
        height: float,
        fit: Literal["cover", "contain"] = "cover",
        tint: str | None = None,
    ) -> RasterImage | None:
        """The image `src` names as PNG/JPEG bytes, sized for a `width` x `height` box
        (canvas units; only SVGs depend on it), or None when it cannot be had. `tint`
        colours an SVG drawn in `currentColor` (icons)."""
        try:
            path = self.resolve(src)
        except OSError:  # whatever the file system says, an image is never worth a failure
            return None
        if path is None:
            return None
        key = (path, round(width, 1), round(height, 1), fit, tint)
        if key not in self._cache:
            self._cache[key] = self._load(path, width, height, fit, tint)
        return self._cache[key]

    def _load(
        self,
        path: Path,
        width: float,
        height: float,
        fit: Literal["cover", "contain"],
        tint: str | None,
    ) -> RasterImage | None:
        try:
            size = path.stat().st_size
            if path.suffix.lower() == SVG_SUFFIX:
                if size > MAX_SVG_BYTES:
                    return None
                return rasterise_svg(tinted(path.read_bytes(), tint), width, height, fit)
            if size > MAX_FILE_BYTES:
                return None
            return normalise_raster(path.read_bytes())
        except Exception as exc:  # any broken file: the renderer draws a placeholder
            log.warning("image %s could not be loaded: %s", path.name, exc)
            return None


def normalise_raster(data: bytes) -> RasterImage | None:
    """Decode `data` (any format Pillow reads) and answer it as PNG or JPEG bytes: JPEG and
    PNG files pass through unchanged unless they need turning upright or scaling down."""
    with Image.open(io.BytesIO(data)) as probe:
        fmt = (probe.format or "").upper()
        if probe.width * probe.height > MAX_PIXELS or probe.width < 1 or probe.height < 1:
            return None
        probe.load()
        changed = probe.getexif().get(0x0112, 1) not in (0, 1)
        image = ImageOps.exif_transpose(probe) if changed else probe
        if max(image.size) > MAX_EDGE:
            scale = MAX_EDGE / max(image.size)
            image = image.resize(
                (max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                Image.Resampling.LANCZOS,
            )
            changed = True
        if not changed and fmt in ("PNG", "JPEG") and not _is_cmyk_jpeg(image, fmt):
            return RasterImage(data, image.width, image.height, "png" if fmt == "PNG" else "jpeg")
        return _encode(image, prefer_jpeg=fmt == "JPEG")


def _is_cmyk_jpeg(image: Image.Image, fmt: str) -> bool:
    return fmt == "JPEG" and image.mode not in ("RGB", "L")


def _encode(image: Image.Image, prefer_jpeg: bool) -> RasterImage:
    out = io.BytesIO()
    if prefer_jpeg and image.mode in ("RGB", "L", "CMYK"):
        image.convert("RGB").save(out, "JPEG", quality=90)
        return RasterImage(out.getvalue(), image.width, image.height, "jpeg")
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA")
    image.save(out, "PNG", optimize=False)
    return RasterImage(out.getvalue(), image.width, image.height, "png")


def tinted(svg: bytes, tint: str | None) -> bytes:
    """`svg` with `currentColor` set to `tint` (a checked `#rrggbb`), else unchanged."""
    if tint is None or not re.fullmatch(r"#[0-9a-fA-F]{6}", tint):
        return svg
    return svg.replace(b"currentColor", tint.encode())


def rasterise_svg(
    data: bytes, width: float, height: float, fit: Literal["cover", "contain"] = "contain"
) -> RasterImage | None:
    """Render SVG `data` to PNG with enough pixels to fill a `width` x `height` box."""
    import cairosvg  # type: ignore[import-untyped]  # imported late: it loads libcairo

    probe = cairosvg.svg2png(bytestring=data, output_width=64)
    with Image.open(io.BytesIO(probe)) as first:
        aspect = first.width / max(first.height, 1)
    width, height = max(width, 1.0), max(height, 1.0)
    target = max(width, height * aspect) if fit == "cover" else min(width, height * aspect)
    pixels = max(16, min(MAX_SVG_EDGE, math.ceil(target * SVG_SCALE)))
    if pixels / max(aspect, 1e-6) > MAX_SVG_EDGE:
        pixels = max(16, math.floor(MAX_SVG_EDGE * aspect))
    png = cairosvg.svg2png(bytestring=data, output_width=pixels)
    with Image.open(io.BytesIO(png)) as image:
        return RasterImage(png, image.width, image.height, "png")


def cover_crop(image_aspect: float, box_w: float, box_h: float) -> tuple[float, float]:
    """The fractions of an image's width and height to cut (half from each side) so that it
    covers a `box_w` x `box_h` box without distortion."""
    box_aspect = box_w / box_h if box_h > 0 else 1.0
    if image_aspect > box_aspect:
        return 1 - box_aspect / image_aspect, 0.0
    if image_aspect < box_aspect:
        return 0.0, 1 - image_aspect / box_aspect
    return 0.0, 0.0


def contain_box(
    image_aspect: float, x: float, y: float, w: float, h: float
) -> tuple[float, float, float, float]:
    """The largest box of the image's aspect that fits in (x, y, w, h), centred."""
    if w <= 0 or h <= 0:
        return x, y, w, h
    if image_aspect > w / h:
        fitted_h = w / image_aspect
        return x, y + (h - fitted_h) / 2, w, fitted_h
    fitted_w = h * image_aspect
    return x + (w - fitted_w) / 2, y, fitted_w, h
