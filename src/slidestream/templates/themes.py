"""Template group themes: palette, fonts, sizes and spacing, read from `<group>/theme.json`.

The geometry takes every visual decision from a theme, so a group's look lives in one
small file next to its layouts.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

Color = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]


class ThemeFonts(BaseModel):
    heading: str = Field(description="Family of titles and headings (a bundled font).")
    body: str = Field(description="Family of body text, labels and tables (a bundled font).")
    heading_bold: bool = True


class ThemeColors(BaseModel):
    background: Color
    surface: Color = Field(description="Cards, table rows, panels.")
    primary: Color = Field(description="Titles, accents, header fills.")
    accent: Color = Field(description="Secondary accent: figures, markers.")
    text: Color
    muted: Color = Field(description="Secondary text: subtitles, labels, captions.")
    on_primary: Color = Field(description="Text drawn on `primary` fills.")
    border: Color


class ThemeSizes(BaseModel):
    """Font sizes in canvas units (points) before fitting; fitting only shrinks."""

    title: float = 44
    heading: float = 28
    body: float = 22
    small: float = 16
    hero: float = 60
    figure: float = 54
    minimum: float = 10


class Theme(BaseModel):
    name: str
    description: str = ""
    fonts: ThemeFonts
    colors: ThemeColors
    chart_colors: list[Color] = Field(min_length=3)
    sizes: ThemeSizes = ThemeSizes()
    margin: float = Field(default=64, ge=0, description="Space kept free along every edge.")
    gap: float = Field(default=24, ge=0, description="Space between neighbouring blocks.")
    radius: float = Field(default=12, ge=0, description="Corner radius of cards and images.")
    decoration: Literal["none", "bar", "band", "corner"] = Field(
        default="bar", description="The group's ornament: a title bar, a side band, a corner."
    )
