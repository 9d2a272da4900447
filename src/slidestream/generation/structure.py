"""Choosing one layout per slide (the "structure"), and repairing whatever a model returns.

The structure LLM call picks a layout index per outline. Its answer is never trusted:
`repair_structure` turns anything into exactly one valid index per outline, using the
deterministic `heuristic_structure` wherever the answer is missing or unusable. The
heuristic is also the whole answer when the call fails.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from slidestream.domain.layouts import PresentationLayoutModel, SlideLayoutModel
from slidestream.generation.toc import TOC_PATTERNS, is_toc_layout

# Layout roles, recognised from a layout's id and name first, then its description (the
# description of a content layout may mention other roles, e.g. "use it for the last slide").
_ROLE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (role, re.compile(pattern, re.IGNORECASE))
    for role, pattern in (
        ("title", r"\btitle[\s_-]*slide\b|\bintro(duction)?\b|\bcover\b|\bopening\b"),
        ("closing", r"\bclosing\b|\bconclusion\b|\bthank[\s_-]*you\b|\boutro\b|\bfinal slide\b"),
        ("metrics", r"\bmetrics?\b|\bbig[\s_-]*numbers?\b|\bstatistics?\b|\bkpis?\b|\bfigures\b"),
        ("quote", r"\bquot(e|es|ation)\b|\btestimonials?\b"),
        ("timeline", r"\btimeline\b|\bprocess\b|\broadmap\b|\bmilestones?\b|\bphases\b"),
        ("comparison", r"\bcompar\w*|\bversus\b|\bpros and cons\b|\btwo[\s_-]*columns?\b"),
    )
)

# What an outline looks like, judged from its text.
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+", re.MULTILINE)
_TITLE_OUTLINE = re.compile(r"\btitle\b|\bwelcome\b|\bintro(duction)?\b", re.IGNORECASE)
_CLOSING_OUTLINE = re.compile(
    r"\bconclusions?\b|\bthank(s| you)\b|\bsummary\b|\bnext steps\b|\btakeaways?\b|\bq\s*&\s*a\b"
    r"|\bquestions\b|\bwrap[\s-]*up\b|\bclosing\b|\bfinal thoughts\b|\bcall to action\b",
    re.IGNORECASE,
)
_OUTLINE_SIGNALS: tuple[tuple[str, re.Pattern[str], int], ...] = (
    # (role, pattern, how many matches make the signal)
    ("quote", re.compile(r"[\"“«][^\"”»]{20,}[\"”»]|^\s*>\s*\S", re.MULTILINE), 1),
    (
        "metrics",
        re.compile(
            r"[$€£]\s?\d|\d[\d.,]*\s*(%|percent\b|x\b|[kmb]n?\b|million\b|billion\b)",
            re.IGNORECASE,
        ),
        2,
    ),
    ("timeline", re.compile(r"\b(1[89]|20)\d{2}\b|\bstep \d|\bphase \d", re.IGNORECASE), 3),
    (
        "comparison",
        re.compile(
            r"\bvs\.?\s|\bversus\b|\bcompar\w*|\bpros\b.*\bcons\b|\bbefore and after\b",
            re.IGNORECASE,
        ),
        1,
    ),
)
# Outlines are usually 100-300 characters; this only protects the prompt from pasted essays.
MAX_OUTLINE_CHARS_IN_PROMPT = 1200


def structure_schema(n: int, n_layouts: int) -> dict[str, Any]:
    """Schema of the structure answer: exactly `n` layout indices in `0..n_layouts-1`."""
    return {
        "type": "object",
        "properties": {
            "slides": {
                "type": "array",
                "items": {"type": "integer", "minimum": 0, "maximum": max(n_layouts - 1, 0)},
                "minItems": n,
                "maxItems": n,
            }
        },
        "required": ["slides"],
        "additionalProperties": False,
    }


def _one_line(text: str) -> str:
    return " ".join(text.split())


def layout_roles(layout: PresentationLayoutModel) -> list[str]:
    """A role per layout: `toc`, `title`, `closing`, `metrics`, `quote`, `timeline`,
    `comparison`, or `content` for a general-purpose layout."""
    return [_role(slide) for slide in layout.slides]


def _role(slide: SlideLayoutModel) -> str:
    if is_toc_layout(slide):
        return "toc"
    for text in (f"{slide.id} {slide.name or ''}", slide.description or ""):
        for role, pattern in _ROLE_PATTERNS:
            if pattern.search(text):
                return role
    return "content"


def structure_prompt(layout: PresentationLayoutModel, outlines: list[str]) -> tuple[str, str]:
    """(system, user) messages asking for one layout index per outline."""
    roles = layout_roles(layout)
    listing = "\n".join(
        f"- index {i}: {slide.name or slide.id}"
        + (f" — {_one_line(slide.description)}" if slide.description else "")
        for i, slide in enumerate(layout.slides)
    )
    titles = [str(i) for i, role in enumerate(roles) if role == "title"]
    tocs = [str(i) for i, role in enumerate(roles) if role == "toc"]
    rules = [
        f'Answer with JSON only: {{"slides": [...]}} holding exactly {len(outlines)} integers, '
        f"one per slide in the order given, each between 0 and {len(layout.slides) - 1}.",
        "For each slide pick the layout whose description fits its content best; where "
        "several fit, vary the layouts so consecutive slides do not all look the same.",
    ]
    if titles:
        rules.append(
            f"Use the title layout (index {', '.join(titles)}) for the first slide when it is "
            "the presentation's title or introduction, and for no other slide."
        )
    if tocs:
        rules.append(
            f"Never use the table-of-contents layout (index {', '.join(tocs)}) for a normal "
            "slide; it is only for a slide that lists the presentation's sections."
        )
    system = (
        "You choose the layout of every slide of a presentation.\n\n"
        f"Available layouts:\n{listing}\n\nRules:\n" + "\n".join(f"- {rule}" for rule in rules)
    )
    slides = "\n\n".join(
        f"## Slide {i + 1}\n{text.strip()[:MAX_OUTLINE_CHARS_IN_PROMPT]}"
        for i, text in enumerate(outlines)
    )
    user = f"Choose a layout for each of these {len(outlines)} slides.\n\n{slides}"
    return system, user


def ordered_structure(layout: PresentationLayoutModel, n: int) -> list[int]:
    """For an ordered group: slide i uses layout i, cycling when there are more slides.

    Presenton era A failed with a 500 when an ordered group had fewer layouts than slides."""
    return [i % len(layout.slides) for i in range(n)] if layout.slides else [0] * n


def _heading(text: str) -> str:
    return next((line for line in text.splitlines() if line.strip()), "")


def _looks_like_title(text: str) -> bool:
    # An opening slide is a heading and a line or two; a content slide has a list.
    return bool(_TITLE_OUTLINE.search(_heading(text))) or len(_LIST_ITEM.findall(text)) <= 2


def _signal(text: str) -> str | None:
    for role, pattern, needed in _OUTLINE_SIGNALS:
        if len(pattern.findall(text)) >= needed:
            return role
    return None


def _rotation_pool(roles: list[str]) -> list[int]:
    # General-purpose layouts take turns; special ones (numbers, quote, ...) are used only
    # when an outline asks for them. A group with no general layouts (e.g. a custom group
    # whose descriptions all name a role) rotates through whatever is not TOC/title/closing.
    for allowed in ({"content"}, {"content", "metrics", "quote", "timeline", "comparison"}):
        pool = [i for i, role in enumerate(roles) if role in allowed]
        if pool:
            return pool
    return [i for i, role in enumerate(roles) if role != "toc"] or list(range(len(roles)))


def heuristic_structure(layout: PresentationLayoutModel, outlines: list[str]) -> list[int]:
    """A deterministic choice without a model: a title layout first, a closing layout last
    when the outlines ask for them, matching special layouts, else rotating content layouts."""
    if not layout.slides:
        return [0] * len(outlines)
    roles = layout_roles(layout)
    first_of = {role: roles.index(role) for role in set(roles)}
    pool = _rotation_pool(roles)
    result: list[int] = []
    turn = 0
    last = len(outlines) - 1
    for position, text in enumerate(outlines):
        chosen: int | None = None
        if position == 0 and last > 0 and "title" in first_of and _looks_like_title(text):
            chosen = first_of["title"]
        elif (
            position == last
            and last > 0
            and "closing" in first_of
            and _CLOSING_OUTLINE.search(_heading(text))
        ):
            chosen = first_of["closing"]
        if chosen is None:
            signal = _signal(text)
            special = first_of.get(signal) if signal else None
            # Two identical special slides in a row look like a mistake; rotate instead.
            if special is not None and (not result or result[-1] != special):
                chosen = special
        if chosen is None:
            chosen = pool[turn % len(pool)]
            turn += 1
        result.append(chosen)
    return result


def _answer_list(raw: object, depth: int = 0) -> list[Any]:
    """The list of choices inside whatever the model answered."""
    if depth > 3:
        return []
    if isinstance(raw, list | tuple):
        return list(raw)
    if isinstance(raw, dict):
        if "slides" in raw:
            return _answer_list(raw["slides"], depth + 1)
        lists = [value for value in raw.values() if isinstance(value, list)]
        return lists[0] if len(lists) == 1 else []
    if isinstance(raw, str):
        try:
            return _answer_list(json.loads(raw), depth + 1)
        except ValueError:
            return [int(number) for number in re.findall(r"-?\d+", raw)]
    return []


def _as_index(value: object, names: dict[str, int], depth: int = 0) -> int | None:
    """A layout index from one answer item: an int, an integral float or numeric string,
    a layout id or name, or an object holding one of those."""
    if isinstance(value, bool):  # bool is an int subclass; True is not "layout 1"
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        return names.get(text.casefold())
    if isinstance(value, dict) and depth == 0:
        for key in ("index", "layout_index", "layout", "slide", "id"):
            if key in value:
                return _as_index(value[key], names, depth + 1)
    return None


def _looks_like_toc(text: str) -> bool:
    heading = _heading(text)
    return any(pattern.search(heading) for pattern in TOC_PATTERNS)


def repair_structure(
    raw: object, layout: PresentationLayoutModel, outlines: list[str]
) -> list[int]:
    """Exactly one valid layout index per outline, whatever the model answered; never raises.

    Extra answers are dropped; missing, out-of-range, non-integer and boolean ones, and a
    TOC layout chosen for a slide that is not a table of contents, are replaced by the
    heuristic's choice for that slide."""
    try:
        fallback = heuristic_structure(layout, outlines)
    except Exception:  # only reachable with inputs that break the type hints
        return [0] * len(outlines)
    try:
        answers = _answer_list(raw)[: len(outlines)]
        names: dict[str, int] = {}
        # Reversed, so that the first layout wins when two share a name.
        for position, slide in reversed(list(enumerate(layout.slides))):
            names.update({text.casefold(): position for text in (slide.id, slide.name) if text})
        roles = layout_roles(layout)
        has_other_layouts = any(role != "toc" for role in roles)
        result = list(fallback)
        for position, value in enumerate(answers):
            choice = _as_index(value, names)
            if choice is None or not 0 <= choice < len(layout.slides):
                continue
            if (
                roles[choice] == "toc"
                and has_other_layouts
                and not _looks_like_toc(outlines[position])
            ):
                continue
            result[position] = choice
        return result
    except Exception:  # a repair step must never be the reason a deck fails
        return fallback
