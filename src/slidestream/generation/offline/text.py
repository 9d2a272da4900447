"""Text analysis for the offline engine: sections, sentences, keywords and figures.

Everything here is deterministic and language-agnostic: words are Unicode word runs,
sentences end at `.`, `!`, `?` and their CJK forms, and a word's weight is how often it
occurs in the sources (a short stop-word list keeps the commonest English and European
function words out of keywords). No network, no model files.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*(?:[-*•▪◦‣]|\d{1,3}[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"'“«(\[]?[^\s])|(?<=[。！？])")
_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
_FIGURE = re.compile(
    r"(?:[$€£¥]\s?)?\d+(?:[.,]\d+)*(?:\s?(?:%|percent|per cent|[kKmMbB]n?|billion|million|"
    r"thousand|x|×|°C|°F|km|kg|t|GW|MW|kWh|h))?(?![\w])"
)
_SPACES = re.compile(r"\s+")

STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "one",
        "two",
        "may",
        "might",
        "must",
        "shall",
        "many",
        "much",
        "well",
        "per",
        "via",
        "use",
        "used",
        "using",
        "new",
        "also",
        "like",
        "however",
        "therefore",
        "thus",
        "within",
        "without",
        "across",
        "der",
        "die",
        "das",
        "und",
        "ist",
        "ein",
        "eine",
        "nicht",
        "mit",
        "von",
        "den",
        "dem",
        "des",
        "zu",
        "im",
        "auf",
        "für",
        "sich",
        "als",
        "auch",
        "es",
        "le",
        "la",
        "les",
        "et",
        "est",
        "un",
        "une",
        "des",
        "du",
        "au",
        "aux",
        "pour",
        "dans",
        "par",
        "sur",
        "pas",
        "que",
        "qui",
        "ce",
        "cette",
        "avec",
        "son",
        "el",
        "los",
        "las",
        "y",
        "es",
        "un",
        "una",
        "del",
        "al",
        "por",
        "para",
        "con",
        "que",
        "se",
        "su",
        "lo",
        "como",
        "más",
        "il",
        "lo",
        "gli",
        "e",
        "è",
        "di",
        "da",
        "per",
        "con",
        "che",
        "non",
        "una",
        "uno",
        "dei",
        "delle",
        "de",
        "het",
        "een",
        "en",
        "van",
        "op",
        "te",
        "dat",
        "niet",
        "met",
        "zijn",
        "voor",
        "o",
        "os",
        "as",
        "e",
        "é",
        "um",
        "uma",
        "do",
        "da",
        "dos",
        "das",
        "em",
        "para",
        "com",
        "não",
        "que",
    ]
)


def clean(text: str) -> str:
    """Collapse whitespace and strip markdown emphasis markers."""
    text = re.sub(r"[*_`]{1,3}([^*_`]+)[*_`]{1,3}", r"\1", text)
    return _SPACES.sub(" ", text).strip()


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOP_WORDS and (len(w) > 2 or not w.isascii())]


def split_sentences(text: str) -> list[str]:
    return [s for s in (clean(part) for part in _SENTENCE_END.split(text)) if s]


def figures(text: str) -> list[str]:
    """Numbers with their unit or currency, in order of appearance."""
    return [
        m.group(0).strip() for m in _FIGURE.finditer(text) if any(c.isdigit() for c in m.group(0))
    ]


def shorten(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters (with an ellipsis)."""
    text = clean(text)
    if len(text) <= limit:
        return text
    if limit <= 1:
        return text[:limit]
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + "…"


@dataclass
class Section:
    """A heading (possibly empty) and the sentences under it, in document order."""

    heading: str
    sentences: list[str] = field(default_factory=list)
    level: int = 0

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


def sections_of(text: str) -> list[Section]:
    """Split markdown-ish text at its headings; bullet lines become sentences of their own."""
    result: list[Section] = [Section("")]
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            result[-1].sentences.extend(split_sentences(" ".join(paragraph)))
            paragraph.clear()

    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading:
            flush()
            result.append(Section(clean(heading.group(2)), level=len(heading.group(1))))
        elif _BULLET.match(line):
            flush()
            item = clean(_BULLET.sub("", line, count=1))
            if item:
                result[-1].sentences.append(item)
        elif line.strip():
            paragraph.append(line.strip())
        else:
            flush()
    flush()
    return [s for s in result if s.sentences or s.heading]


class Weights:
    """How much each word says about these sources (frequency, damped)."""

    def __init__(self, texts: list[str]) -> None:
        self.counts = Counter(w for text in texts for w in content_words(text))

    def sentence(self, sentence: str) -> float:
        tokens = set(content_words(sentence))
        if not tokens:
            return 0.0
        score = sum(math.log1p(self.counts[t]) for t in tokens) / math.sqrt(len(tokens))
        if figures(sentence):
            score *= 1.3  # figures make slides concrete
        length = len(sentence)
        if length < 25 or length > 400:
            score *= 0.6
        return score

    def keywords(self, text: str, limit: int) -> list[str]:
        """The words of `text` weighted highest across the sources, ties by first use."""
        seen: dict[str, int] = {}
        for position, word in enumerate(content_words(text)):
            seen.setdefault(word, position)
        ranked = sorted(seen, key=lambda w: (-self.counts[w], seen[w]))
        return [w for w in ranked if not w.isdigit()][:limit]
