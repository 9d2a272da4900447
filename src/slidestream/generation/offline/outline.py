"""The offline outline: one section of the sources per slide, its key sentences as points.

With documents, the sections are the documents' own (by heading); when there are fewer
sections than slides the longest are split, when there are more the ones that carry the
most weight are kept (in document order). Without documents the prompt itself is the
source; a prompt of a sentence or two yields a skeleton to edit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from slidestream.generation.offline.text import (
    Section,
    Weights,
    clean,
    sections_of,
    shorten,
    split_sentences,
)

OUTLINE_LIMIT = 600
POINT_LIMIT = 160
POINTS_BY_VERBOSITY = {"concise": 2, "standard": 3, "text-heavy": 4}

# Used only when the prompt is the whole source and too short to extract from.
SKELETON = (
    ("Why {topic} matters", "The problem {topic} addresses and who it concerns."),
    ("Where things stand", "The current state of {topic}: facts, figures and trends."),
    ("Key ideas", "The three or four ideas about {topic} the audience should keep."),
    ("How it works", "The main steps or parts of {topic}, in order."),
    ("Challenges", "What makes {topic} hard, and the risks to watch."),
    ("Opportunities", "Where {topic} creates value, with an example."),
    ("Examples", "Two or three concrete examples of {topic} in practice."),
    ("Lessons learned", "What experience with {topic} has taught so far."),
    ("Next steps", "What to do next about {topic}, and who does it."),
    ("Summary", "The key messages about {topic} in three points."),
    ("Questions", "Open questions about {topic} for discussion."),
)


@dataclass(frozen=True)
class Source:
    """One document's name and text (markdown headings kept)."""

    name: str
    text: str


def _title_of(topic: str, sources: Sequence[Source], sections: list[Section]) -> str:
    if topic and len(topic) <= 80 and len(split_sentences(topic)) <= 1:
        return clean(topic).rstrip(".")
    top = next((s.heading for s in sections if s.heading and s.level <= 1), "")
    if top:
        return top
    if topic:
        return shorten(split_sentences(topic)[0].rstrip("."), 60)
    if sources:
        return shorten(sources[0].name.rsplit(".", 1)[0].replace("_", " "), 60)
    return "Presentation"


def _split(section: Section, parts: int) -> list[Section]:
    size = max(1, -(-len(section.sentences) // parts))
    chunks = [section.sentences[i : i + size] for i in range(0, len(section.sentences), size)]
    if not section.heading or len(chunks) == 1:
        return [Section(section.heading, chunk, section.level) for chunk in chunks]
    base = re.sub(r" \(\d+/\d+\)$", "", section.heading)
    return [
        Section(f"{base} ({n}/{len(chunks)})", chunk, section.level)
        for n, chunk in enumerate(chunks, start=1)
    ]


def _fit_count(sections: list[Section], wanted: int, weights: Weights) -> list[Section]:
    sections = [s for s in sections if s.sentences]
    while 0 < len(sections) < wanted:
        longest = max(range(len(sections)), key=lambda i: (len(sections[i].sentences), -i))
        if len(sections[longest].sentences) < 2:
            break
        parts = _split(sections[longest], 2)
        sections[longest : longest + 1] = parts
    if len(sections) > wanted:
        score = {
            id(s): sum(sorted((weights.sentence(x) for x in s.sentences), reverse=True)[:3])
            for s in sections
        }
        keep = sorted(range(len(sections)), key=lambda i: (-score[id(sections[i])], i))[:wanted]
        sections = [sections[i] for i in sorted(keep)]
    return sections


def _heading_for(section: Section, weights: Weights, used: set[str]) -> str:
    heading = section.heading
    if not heading or heading in used:
        words = weights.keywords(section.text, 3)
        keyword_heading = " · ".join(w.capitalize() for w in words)
        heading = keyword_heading or shorten(section.sentences[0], 50)
    used.add(heading)
    return shorten(heading, 70)


def _points(section: Section, weights: Weights, count: int) -> list[str]:
    ranked = sorted(
        range(len(section.sentences)),
        key=lambda i: (-weights.sentence(section.sentences[i]), i),
    )[:count]
    return [shorten(section.sentences[i], POINT_LIMIT) for i in sorted(ranked)]


def _item(heading: str, points: list[str]) -> str:
    lines = [f"## {heading}"]
    for point in points:
        candidate = "\n".join([*lines, f"- {point}"])
        if len(candidate) > OUTLINE_LIMIT:
            break
        lines.append(f"- {point}")
    return "\n".join(lines)


def draft_outline(
    topic: str,
    sources: Sequence[Source],
    wanted: int,
    *,
    include_title_slide: bool = True,
    verbosity: str = "standard",
) -> list[str]:
    """`wanted` outline items (fewer only when the sources are too short to fill them)."""
    topic = clean(topic)
    texts = [s.text for s in sources] or [topic]
    sections = [section for text in texts for section in sections_of(text)]
    weights = Weights([*texts, topic])
    content_slides = wanted - 1 if include_title_slide and wanted > 1 else wanted
    items: list[str] = []
    title = _title_of(topic, sources, sections)
    if include_title_slide and wanted > 1:
        everything = [x for s in sections for x in s.sentences]
        best = max(
            everything, key=lambda x: (weights.sentence(x), -everything.index(x)), default=""
        )
        subtitle = shorten(best, 120) if sources else (topic if topic != title else "")
        items.append(f"# {title}\n{subtitle}".rstrip())
    chosen = _fit_count(sections, content_slides, weights)
    sentence_total = sum(len(s.sentences) for s in chosen)
    if not sources and sentence_total < content_slides:
        subject = title if title != "Presentation" else "the topic"
        for heading, point in SKELETON[:content_slides]:
            items.append(_item(heading.format(topic=subject), [point.format(topic=subject)]))
        return items[:wanted]
    used: set[str] = {title}
    per_slide = POINTS_BY_VERBOSITY.get(verbosity, 3)
    for section in chosen:
        items.append(
            _item(_heading_for(section, weights, used), _points(section, weights, per_slide))
        )
    return items[:wanted]
