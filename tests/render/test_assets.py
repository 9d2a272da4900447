"""AssetResolver: slide image URLs -> local files, refused when unsafe; loading for export."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image

from slidestream.render.assets import (
    AssetResolver,
    contain_box,
    cover_crop,
    normalise_raster,
    package_static_dir,
)
from tests.render.export_decks import write_png


@pytest.fixture
def images(tmp_path: Path) -> Path:
    folder = tmp_path / "data" / "images"
    write_png(folder / "photo.png", (200, 100))
    return folder


@pytest.fixture
def resolver(images: Path) -> AssetResolver:
    return AssetResolver(package_static_dir(), images)


def test_static_and_app_data_urls_resolve_to_files(resolver: AssetResolver, images: Path) -> None:
    icon = resolver.resolve("/static/icons/bold/acorn.svg")
    assert icon == (package_static_dir() / "icons" / "bold" / "acorn.svg").resolve()
    assert resolver.resolve("/static/images/placeholder.svg") is not None
    assert resolver.resolve("/app_data/images/photo.png") == (images / "photo.png").resolve()
    # A query string or fragment (cache busting) does not change the file.
    assert resolver.resolve("/app_data/images/photo.png?v=2#x") == (images / "photo.png").resolve()
    assert resolver.resolve("/app_data/images/ph%6Fto.png") == (images / "photo.png").resolve()


@pytest.mark.parametrize(
    "src",
    [
        "",
        "https://example.com/photo.png",
        "http://127.0.0.1/app_data/images/photo.png",
        "//example.com/app_data/images/photo.png",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "data:image/png;base64,iVBORw0KGgo=",
        "app_data/images/photo.png",
        "/app_data/images/../images/photo.png",
        "/app_data/images/%2e%2e/images/photo.png",
        "/app_data/images/..%2fimages%2fphoto.png",
        "/static/../templates/fonts/Inter/Inter-Regular.ttf",
        "/static/icons/../../render/model.py",
        "/app_data/images/sub/photo.png",
        "/app_data/images/.hidden.png",
        "/app_data/images/photo.png\x00.svg",
        "/app_data/images\\photo.png",
        "/app_data/images/missing.png",
        "/static/icons/index.json",
        "/static/icons/LICENSE",
        "/other/images/photo.png",
    ],
)
def test_unsafe_missing_or_non_image_urls_resolve_to_none(
    resolver: AssetResolver, src: str
) -> None:
    assert resolver.resolve(src) is None
    assert resolver.load(src, 100, 100) is None


def test_symlink_out_of_the_images_folder_is_refused(tmp_path: Path, images: Path) -> None:
    secret = write_png(tmp_path / "secret" / "s.png")
    try:
        os.symlink(secret, images / "link.png")
    except OSError:
        pytest.skip("symlinks not supported here")
    resolver = AssetResolver(package_static_dir(), images)
    assert resolver.resolve("/app_data/images/link.png") is None


def test_png_passes_through_and_jpeg_stays_jpeg(resolver: AssetResolver, images: Path) -> None:
    png = resolver.load("/app_data/images/photo.png", 300, 200)
    assert png is not None
    assert (png.width, png.height, png.format) == (200, 100, "png")
    assert png.data == (images / "photo.png").read_bytes()
    Image.new("RGB", (40, 30), "#cc3300").save(images / "p.jpg", "JPEG")
    jpeg = resolver.load("/app_data/images/p.jpg", 100, 100)
    assert jpeg is not None and jpeg.format == "jpeg" and (jpeg.width, jpeg.height) == (40, 30)


def test_other_formats_become_png(resolver: AssetResolver, images: Path) -> None:
    Image.new("RGBA", (30, 20), (0, 128, 0, 128)).save(images / "p.webp", "WEBP")
    Image.new("P", (10, 10)).save(images / "p.gif", "GIF")
    for name in ("p.webp", "p.gif"):
        loaded = resolver.load(f"/app_data/images/{name}", 100, 100)
        assert loaded is not None and loaded.format == "png"
        with Image.open(io.BytesIO(loaded.data)) as decoded:
            assert decoded.format == "PNG"


def test_exif_rotated_jpeg_is_turned_upright() -> None:
    image = Image.new("RGB", (60, 20), "#336699")
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    loaded = normalise_raster(out.getvalue())
    assert loaded is not None and (loaded.width, loaded.height) == (20, 60)


@pytest.mark.parametrize(
    "content",
    [b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, b""],
)
def test_broken_image_files_load_as_none(
    resolver: AssetResolver, images: Path, content: bytes
) -> None:
    (images / "broken.png").write_bytes(content)
    assert resolver.resolve("/app_data/images/broken.png") is not None
    assert resolver.load("/app_data/images/broken.png", 100, 100) is None


def test_svg_icons_are_rasterised_for_the_box(resolver: AssetResolver) -> None:
    icon = resolver.load("/static/icons/bold/acorn.svg", 48, 48, "contain")
    assert icon is not None and icon.format == "png"
    assert icon.width >= 48 * 2 and abs(icon.aspect - 1.0) < 0.05
    with Image.open(io.BytesIO(icon.data)) as decoded:
        assert decoded.format == "PNG" and decoded.size == (icon.width, icon.height)
    wide = resolver.load("/static/images/placeholder.svg", 100, 400, "cover")
    assert wide is not None
    # Covering a tall box with a 16:9 picture needs its height, not its width, at scale.
    assert wide.height >= 400 * 2


def test_broken_and_hostile_svgs_do_not_crash(resolver: AssetResolver, images: Path) -> None:
    (images / "bad.svg").write_text("<svg><unclosed", encoding="utf-8")
    assert resolver.load("/app_data/images/bad.svg", 50, 50) is None
    secret = images.parent / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    (images / "xxe.svg").write_text(
        f'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&x;</text></svg>',
        encoding="utf-8",
    )
    (images / "ext.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'width="10" height="10"><image xlink:href="http://127.0.0.1:9/x.png" '
        'width="10" height="10"/></svg>',
        encoding="utf-8",
    )
    assert resolver.load("/app_data/images/xxe.svg", 50, 50) is None
    loaded = resolver.load("/app_data/images/ext.svg", 50, 50)
    assert loaded is None or loaded.format == "png"


def test_cover_crop_and_contain_box() -> None:
    assert cover_crop(2.0, 100, 100) == (0.5, 0.0)
    assert cover_crop(0.5, 100, 100) == (0.0, 0.5)
    assert cover_crop(1.0, 50, 50) == (0.0, 0.0)
    assert contain_box(2.0, 0, 0, 100, 100) == (0, 25, 100, 50)
    assert contain_box(0.5, 10, 10, 100, 100) == (35, 10, 50, 100)


def _ink_colour(data: bytes) -> tuple[int, int, int]:
    with Image.open(io.BytesIO(data)) as image:
        raw = image.convert("RGBA").tobytes()
        pixels = [tuple(raw[i : i + 4]) for i in range(0, len(raw), 4)]
        opaque = [(p[0], p[1], p[2]) for p in pixels if p[3] > 200]
    assert opaque, "the icon drew nothing"
    return max(set(opaque), key=opaque.count)


def test_icons_take_the_tint_they_are_given(resolver: AssetResolver) -> None:
    src = "/static/icons/bold/house.svg"
    plain = resolver.load(src, 48, 48, "contain")
    red = resolver.load(src, 48, 48, "contain", tint="#cc0000")
    assert plain is not None and red is not None
    assert _ink_colour(plain.data) == (0, 0, 0)
    assert _ink_colour(red.data) == (204, 0, 0)


def test_icon_cards_tint_icons_with_the_theme_colour() -> None:
    from slidestream.render.geometry import slide_geometry
    from slidestream.render.model import ImageElement
    from slidestream.templates.registry import get_theme

    theme = get_theme("modern")
    content = {
        "title": "Why",
        "cards": [
            {
                "icon": {"__icon_query__": "home", "__icon_url__": "/static/icons/bold/house.svg"},
                "heading": "Homes",
                "text": "Where people live.",
            },
        ],
    }
    geometry = slide_geometry(content, "modern:icon-cards", "icon-cards", theme)
    icons = [e for e in geometry.elements if isinstance(e, ImageElement)]
    assert icons and all(icon.tint == theme.colors.primary for icon in icons)
