"""Icons: offline keyword search over the bundled Phosphor set (MIT, bold weight).

`static/icons/index.json` maps each icon name to its tags and categories; the SVGs are
`static/icons/bold/<name>.svg`, served at the same path under `/static`. A query is cut
into words, each word (and a few related words from a small synonym table) is matched
against names, tags and categories, and icons are ranked by score, then by name, so the
same query always gives the same answer. A non-empty set never answers nothing: with no
match the answer is a generic icon.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

ICON_WEIGHT = "bold"
ICONS_ROUTE = f"/static/icons/{ICON_WEIGHT}"
ICON_PLACEHOLDER = "/static/icons/placeholder.svg"
FALLBACK_ICONS = ("sparkle", "star", "circle")
RESULT_CACHE_SIZE = 4096

_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    _WORD.findall(
        "a an and as at by for from in into of on or the to with without icon icons symbol "
        "symbols image picture illustration representing represents showing shows depicting "
        "concept simple minimal flat outline style vector"
    )
)
# Brand logos only when the query names the brand.
_LOGO = "logo"

# Query word -> related words (plain words match names/tags/categories like the query's
# own words, at a lower weight) or icon names (hyphenated or exact: preferred answers,
# in order). Keys and words are matched after the same light stemming as the index.
SYNONYMS: Mapping[str, tuple[str, ...]] = {
    "growth": ("chart-line-up", "trend-up", "plant", "increase", "up", "grow"),
    "grow": ("trend-up", "plant", "increase"),
    "increase": ("trend-up", "arrow-up", "up"),
    "decrease": ("trend-down", "arrow-down", "down"),
    "decline": ("trend-down", "chart-line-down", "down"),
    "progress": ("trend-up", "steps", "flag-checkered"),
    "revenue": ("currency-dollar", "money", "chart-line-up", "coins"),
    "profit": ("chart-line-up", "currency-dollar", "money", "trend-up"),
    "sales": ("storefront", "shopping-cart", "tag", "currency-dollar"),
    "money": ("money", "currency-dollar", "coins", "cash", "wallet"),
    "finance": ("bank", "money", "currency-dollar", "chart-line-up"),
    "financial": ("bank", "money", "currency-dollar", "finance"),
    "budget": ("wallet", "calculator", "piggy-bank", "money"),
    "cost": ("receipt", "currency-dollar", "money", "tag"),
    "price": ("tag", "currency-dollar", "money"),
    "pricing": ("tag", "currency-dollar", "money"),
    "saving": ("piggy-bank", "wallet", "coins"),
    "investment": ("chart-line-up", "coins", "bank", "money"),
    "invest": ("chart-line-up", "coins", "bank"),
    "economy": ("bank", "globe", "money", "chart-line-up"),
    "market": ("storefront", "chart-line-up", "globe"),
    "marketing": ("megaphone", "target", "chart-line-up"),
    "team": ("users-three", "users", "handshake", "people", "group"),
    "people": ("users-three", "users", "person"),
    "group": ("users-three", "users"),
    "community": ("users-three", "globe", "handshake"),
    "collaboration": ("handshake", "users-three", "chats"),
    "partnership": ("handshake", "users"),
    "partner": ("handshake", "users"),
    "customer": ("user", "users", "person", "storefront"),
    "client": ("user", "handshake", "briefcase"),
    "employee": ("user", "identification-badge", "briefcase"),
    "leadership": ("crown", "flag", "user-circle"),
    "leader": ("crown", "flag"),
    "person": ("user", "person"),
    "idea": ("lightbulb", "sparkle", "brain"),
    "innovation": ("lightbulb", "rocket", "sparkle"),
    "creativity": ("lightbulb", "paint-brush", "palette"),
    "creative": ("lightbulb", "paint-brush", "palette"),
    "launch": ("rocket-launch", "rocket"),
    "startup": ("rocket-launch", "rocket", "lightbulb"),
    "goal": ("target", "flag-checkered", "trophy"),
    "objective": ("target", "flag"),
    "target": ("target", "crosshair"),
    "mission": ("target", "flag", "compass"),
    "vision": ("eye", "binoculars", "lightbulb"),
    "strategy": ("strategy", "target", "path", "puzzle-piece"),
    "plan": ("clipboard-text", "calendar", "list-checks", "path"),
    "planning": ("clipboard-text", "calendar", "list-checks"),
    "roadmap": ("path", "map-trifold", "flag"),
    "success": ("trophy", "medal", "check-circle", "star"),
    "achievement": ("trophy", "medal", "star"),
    "award": ("trophy", "medal", "certificate"),
    "winner": ("trophy", "medal", "crown"),
    "quality": ("seal-check", "medal", "star"),
    "security": ("shield-check", "lock", "key"),
    "secure": ("shield-check", "lock"),
    "safety": ("shield-check", "first-aid", "lifebuoy"),
    "privacy": ("lock", "eye-slash", "shield"),
    "protection": ("shield-check", "shield", "umbrella"),
    "risk": ("warning", "shield", "scales"),
    "problem": ("warning", "question", "bug"),
    "challenge": ("mountains", "warning", "puzzle-piece"),
    "solution": ("puzzle-piece", "lightbulb", "check-circle"),
    "question": ("question", "chat-circle-dots"),
    "answer": ("chat-circle-text", "check-circle"),
    "data": ("database", "chart-bar", "table"),
    "analytics": ("chart-bar", "chart-pie", "chart-line-up", "presentation-chart"),
    "analysis": ("magnifying-glass", "chart-bar", "chart-pie"),
    "statistics": ("chart-bar", "chart-pie", "percent"),
    "metric": ("gauge", "chart-bar", "chart-line"),
    "kpi": ("gauge", "chart-bar", "target"),
    "performance": ("gauge", "chart-line-up", "lightning"),
    "report": ("file-text", "presentation-chart", "chart-bar"),
    "research": ("magnifying-glass", "flask", "microscope"),
    "science": ("flask", "atom", "microscope"),
    "experiment": ("flask", "test-tube"),
    "search": ("magnifying-glass",),
    "ai": ("robot", "brain", "sparkle", "cpu"),
    "artificial": ("robot", "brain", "cpu"),
    "intelligence": ("brain", "robot"),
    "machine": ("robot", "cpu", "gear"),
    "automation": ("robot", "gear", "lightning"),
    "technology": ("cpu", "desktop", "code", "circuitry"),
    "tech": ("cpu", "desktop", "code"),
    "software": ("code", "app-window", "desktop"),
    "development": ("code", "wrench", "gear"),
    "programming": ("code", "terminal-window"),
    "digital": ("device-mobile", "desktop", "cpu"),
    "internet": ("globe", "wifi-high", "cloud"),
    "network": ("share-network", "graph", "wifi-high"),
    "cloud": ("cloud", "cloud-arrow-up"),
    "computer": ("desktop", "laptop"),
    "mobile": ("device-mobile",),
    "phone": ("phone", "device-mobile"),
    "app": ("app-window", "device-mobile"),
    "settings": ("gear", "sliders"),
    "process": ("gear", "flow-arrow", "arrows-clockwise"),
    "workflow": ("flow-arrow", "tree-structure", "gear"),
    "operation": ("gear", "wrench", "factory"),
    "tool": ("wrench", "toolbox", "hammer"),
    "maintenance": ("wrench", "toolbox"),
    "global": ("globe", "globe-hemisphere-west"),
    "world": ("globe", "globe-hemisphere-west"),
    "international": ("globe", "airplane"),
    "location": ("map-pin", "map-trifold"),
    "travel": ("airplane", "suitcase", "map-trifold"),
    "transport": ("truck", "car", "train"),
    "transportation": ("truck", "car", "train"),
    "logistics": ("truck", "package", "warehouse"),
    "delivery": ("truck", "package"),
    "shipping": ("truck", "package", "boat"),
    "supply": ("package", "truck", "warehouse"),
    "time": ("clock", "hourglass", "timer"),
    "deadline": ("alarm", "calendar", "hourglass"),
    "schedule": ("calendar", "clock"),
    "date": ("calendar",),
    "history": ("clock-counter-clockwise", "scroll", "bank"),
    "future": ("rocket", "binoculars", "hourglass"),
    "communication": ("chats", "chat-circle", "megaphone", "envelope"),
    "message": ("chat-circle", "envelope"),
    "email": ("envelope", "at"),
    "contact": ("address-book", "phone", "envelope"),
    "conversation": ("chats", "chat-circle"),
    "feedback": ("chat-circle-dots", "star", "thumbs-up"),
    "announcement": ("megaphone",),
    "news": ("newspaper",),
    "social": ("users-three", "share-network", "heart"),
    "education": ("graduation-cap", "book-open", "student"),
    "learning": ("graduation-cap", "book-open", "brain"),
    "training": ("chalkboard-teacher", "graduation-cap", "barbell"),
    "school": ("graduation-cap", "student", "book-open"),
    "knowledge": ("book-open", "brain", "lightbulb"),
    "health": ("heartbeat", "first-aid", "heart"),
    "healthcare": ("first-aid", "hospital", "stethoscope"),
    "medical": ("first-aid", "stethoscope", "hospital"),
    "medicine": ("pill", "first-aid", "stethoscope"),
    "wellness": ("heart", "leaf", "person-simple-walk"),
    "fitness": ("barbell", "person-simple-run", "heartbeat"),
    "energy": ("lightning", "battery-charging", "solar-panel"),
    "power": ("lightning", "plug", "battery-full"),
    "electricity": ("lightning", "plug"),
    "solar": ("solar-panel", "sun"),
    "renewable": ("solar-panel", "wind", "leaf", "recycle"),
    "wind": ("wind", "windmill"),
    "environment": ("leaf", "tree", "globe-hemisphere-west", "recycle"),
    "sustainability": ("leaf", "recycle", "plant"),
    "sustainable": ("leaf", "recycle", "plant"),
    "green": ("leaf", "plant", "recycle"),
    "eco": ("leaf", "recycle"),
    "climate": ("thermometer", "cloud-sun", "globe-hemisphere-west"),
    "nature": ("tree", "leaf", "mountains"),
    "water": ("drop", "waves"),
    "weather": ("cloud-sun", "sun", "cloud-rain"),
    "food": ("fork-knife", "bowl-food", "carrot"),
    "agriculture": ("plant", "tractor", "grains"),
    "farming": ("tractor", "plant", "grains"),
    "building": ("buildings", "building-office"),
    "company": ("buildings", "building-office", "briefcase"),
    "business": ("briefcase", "buildings", "chart-line-up"),
    "office": ("building-office", "briefcase"),
    "corporate": ("building-office", "briefcase"),
    "industry": ("factory", "gear"),
    "manufacturing": ("factory", "gear", "wrench"),
    "production": ("factory", "gear"),
    "construction": ("hammer", "crane", "hard-hat"),
    "home": ("house",),
    "real": ("house", "buildings"),
    "property": ("house", "buildings"),
    "shopping": ("shopping-cart", "bag", "storefront"),
    "ecommerce": ("shopping-cart", "storefront", "credit-card"),
    "retail": ("storefront", "shopping-cart", "tag"),
    "payment": ("credit-card", "wallet", "money"),
    "bank": ("bank",),
    "law": ("scales", "gavel"),
    "legal": ("scales", "gavel"),
    "justice": ("scales", "gavel"),
    "policy": ("scroll", "file-text", "scales"),
    "regulation": ("scales", "gavel", "file-text"),
    "compliance": ("seal-check", "scales", "list-checks"),
    "government": ("bank", "flag", "scales"),
    "document": ("file-text", "files"),
    "contract": ("file-text", "signature", "handshake"),
    "list": ("list-checks", "list-bullets"),
    "checklist": ("list-checks", "check-square"),
    "task": ("check-square", "list-checks"),
    "done": ("check-circle", "check"),
    "complete": ("check-circle", "check"),
    "agreement": ("handshake", "check-circle"),
    "trust": ("handshake", "shield-check", "heart"),
    "support": ("lifebuoy", "headset", "hand-heart"),
    "service": ("headset", "hand-heart", "gear"),
    "help": ("lifebuoy", "question", "hand-heart"),
    "care": ("hand-heart", "heart"),
    "love": ("heart",),
    "happy": ("smiley",),
    "satisfaction": ("smiley", "thumbs-up", "star"),
    "rating": ("star", "thumbs-up"),
    "review": ("star", "magnifying-glass", "chat-circle-text"),
    "media": ("film-strip", "camera", "music-note"),
    "video": ("video-camera", "film-strip", "play-circle"),
    "photo": ("camera", "image"),
    "music": ("music-note", "headphones"),
    "design": ("palette", "paint-brush", "pen-nib"),
    "art": ("palette", "paint-brush"),
    "writing": ("pencil", "pen-nib", "note-pencil"),
    "book": ("book-open", "book"),
    "presentation": ("presentation-chart", "presentation"),
    "meeting": ("users-three", "chats", "calendar"),
    "event": ("calendar-star", "calendar", "confetti"),
    "celebration": ("confetti", "champagne", "balloon"),
    "direction": ("compass", "signpost", "arrow-right"),
    "journey": ("path", "map-trifold", "footprints"),
    "step": ("steps", "footprints", "stairs"),
    "change": ("arrows-clockwise", "swap", "shuffle"),
    "transformation": ("arrows-clockwise", "butterfly", "magic-wand"),
    "speed": ("lightning", "gauge", "rocket"),
    "fast": ("lightning", "rocket"),
    "efficiency": ("lightning", "gauge", "gear"),
    "balance": ("scales", "yin-yang"),
    "diversity": ("users-three", "globe", "rainbow"),
    "inclusion": ("users-three", "hand-heart"),
    "connection": ("link", "share-network", "plugs-connected"),
    "integration": ("puzzle-piece", "plugs-connected", "link"),
    "info": ("info",),
    "information": ("info", "database"),
    "warning": ("warning", "warning-circle"),
    "error": ("x-circle", "warning"),
    "summary": ("list-bullets", "clipboard-text", "note"),
    "conclusion": ("flag-checkered", "check-circle"),
    "introduction": ("hand-waving", "play-circle"),
    "overview": ("eye", "binoculars", "list-bullets"),
    "agenda": ("list-bullets", "calendar", "clipboard-text"),
    "benefit": ("gift", "thumbs-up", "star"),
    "advantage": ("thumbs-up", "star", "trophy"),
    "opportunity": ("door-open", "lightbulb", "key"),
    "key": ("key",),
}


def _stem(word: str) -> str:
    """A light, deterministic English stemmer: plurals and a few suffixes."""
    if len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("s"):
        return word[:-1]
    if word.endswith("ing") and len(word) > 5:
        return word[:-3]
    return word


def tokenize(text: str) -> list[str]:
    """Lower-case, stemmed words of `text`, stopwords dropped, first occurrence order."""
    tokens: list[str] = []
    for word in _WORD.findall(text.lower()):
        if word in _STOPWORDS:
            continue
        token = _stem(word)
        if token not in tokens:
            tokens.append(token)
    return tokens


_SYNONYMS: dict[str, tuple[str, ...]] = {_stem(key): value for key, value in SYNONYMS.items()}


_Expansion = tuple[dict[str, float], tuple[str, ...]]


def _expand(token: str) -> _Expansion:
    """A query word's preferred icon names (with scores) and related words."""
    related = _SYNONYMS.get(token, ())
    preferred = {name: 16.0 - rank for rank, name in enumerate(related)}
    words = tuple(_stem(word) for word in related if "-" not in word)
    return preferred, words


@dataclass(frozen=True)
class _Icon:
    name: str
    words: tuple[str, ...]
    """The stemmed words of the name, in order."""
    tag_words: frozenset[str]
    tags: frozenset[str]
    """Whole tags, lower-case (multi-word tags as written)."""
    category_words: frozenset[str]
    logo: bool


def _icon(name: str, tags: Iterable[str], categories: Iterable[str]) -> _Icon:
    tag_list = [str(tag).lower().strip() for tag in tags]
    words = tuple(_stem(word) for word in name.split("-") if word)
    return _Icon(
        name=name,
        words=words,
        tag_words=frozenset(token for tag in tag_list for token in tokenize(tag)),
        tags=frozenset(tag_list),
        category_words=frozenset(
            token for category in categories for token in tokenize(str(category))
        ),
        logo=_LOGO in name.split("-"),
    )


def _prefix_match(term: str, words: Iterable[str]) -> bool:
    if len(term) < 4:
        return False
    return any(
        len(word) >= 4 and (word.startswith(term) or term.startswith(word)) for word in words
    )


class IconIndex:
    """Keyword search over a set of icons; results are served URLs."""

    def __init__(self, icons: Mapping[str, Mapping[str, Any]]) -> None:
        self._icons = [
            _icon(name, entry.get("tags", ()), entry.get("categories", ()))
            for name, entry in sorted(icons.items())
        ]
        self._by_name = {icon.name: icon for icon in self._icons}
        self._position_of = {icon.name: position for position, icon in enumerate(self._icons)}
        # word -> positions of the icons whose name, tags or categories contain it
        self._postings: dict[str, set[int]] = {}
        for position, icon in enumerate(self._icons):
            for word in (*icon.words, *icon.tag_words, *icon.category_words):
                self._postings.setdefault(word, set()).add(position)
        self._vocabulary = sorted(self._postings)
        self._results: dict[tuple[str, int], list[str]] = {}
        fallback = next((name for name in FALLBACK_ICONS if name in self._by_name), None)
        if fallback is None and self._icons:
            fallback = self._icons[0].name
        self._fallback = fallback

    @classmethod
    def from_file(cls, path: Path, icons_dir: Path | None = None) -> IconIndex:
        """Load an index file; with `icons_dir`, keep only names whose SVG is there."""
        document = json.loads(path.read_text(encoding="utf-8"))
        icons: dict[str, Mapping[str, Any]] = document.get("icons", document)
        if icons_dir is not None:
            present = {file.stem for file in icons_dir.glob("*.svg")}
            icons = {name: entry for name, entry in icons.items() if name in present}
        return cls(icons)

    def __len__(self) -> int:
        return len(self._icons)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    @staticmethod
    def url_of(name: str) -> str:
        return f"{ICONS_ROUTE}/{name}.svg"

    @property
    def fallback_url(self) -> str:
        return self.url_of(self._fallback) if self._fallback else ICON_PLACEHOLDER

    def search_names(self, query: str, limit: int = 20) -> list[str]:
        """Icon names for `query`, best first; the generic icon when nothing matches."""
        if limit <= 0:
            return []
        key = (query if isinstance(query, str) else "", limit)
        cached = self._results.get(key)
        if cached is not None:
            return list(cached)
        tokens = tokenize(key[0])
        scored: list[tuple[float, str]] = []
        if tokens:
            phrase = "-".join(_WORD.findall(key[0].lower()))
            expansions = [_expand(token) for token in tokens]
            for position in sorted(self._candidates(tokens, expansions, phrase)):
                icon = self._icons[position]
                score = self._score(icon, tokens, expansions, phrase)
                if score > 0:
                    scored.append((-score, icon.name))
        scored.sort()
        names = [name for _score, name in scored[:limit]]
        if not names and self._fallback:
            names = [self._fallback]
        if len(self._results) >= RESULT_CACHE_SIZE:
            self._results.clear()
        self._results[key] = names
        return list(names)

    def _candidates(self, tokens: list[str], expansions: list[_Expansion], phrase: str) -> set[int]:
        """Positions of the icons that can score at all (the rest score zero)."""
        words = set(tokens)
        names = {phrase}
        for preferred, related_words in expansions:
            words.update(related_words)
            names.update(preferred)
        found: set[int] = set()
        for word in words:
            found |= self._postings.get(word, set())
            if len(word) >= 4:  # prefix matches, both ways, as in _term_score
                for known in self._vocabulary:
                    if len(known) >= 4 and (known.startswith(word) or word.startswith(known)):
                        found |= self._postings[known]
        found.update(self._position_of[name] for name in names if name in self._position_of)
        return found

    def search(self, query: str, limit: int = 20) -> list[str]:
        """Served URLs (`/static/icons/bold/<name>.svg`) for `query`, best first."""
        return [self.url_of(name) for name in self.search_names(query, limit)]

    def find(self, query: str) -> str:
        """The single best icon URL for `query` (the generic icon when nothing matches)."""
        found = self.search(query, 1)
        return found[0] if found else ICON_PLACEHOLDER

    def _score(
        self, icon: _Icon, tokens: list[str], expansions: list[_Expansion], phrase: str
    ) -> float:
        total = 0.0
        matched = 0
        matched_name_words: set[str] = set()
        for token, (preferred, related_words) in zip(tokens, expansions, strict=True):
            best = max(
                self._term_score(icon, token, matched_name_words), preferred.get(icon.name, 0.0)
            )
            for word in related_words:
                best = max(best, 0.6 * self._term_score(icon, word, set()))
            if best > 0:
                matched += 1
                total += best
        if total <= 0:
            return 0.0
        if phrase == icon.name:
            total += 20.0
        total += 5.0 * (matched - 1)
        total -= 0.5 * len([word for word in icon.words if word not in matched_name_words])
        if icon.logo and _LOGO not in tokens:
            total -= 6.0
        return max(total, 0.01)

    @staticmethod
    def _term_score(icon: _Icon, term: str, matched_name_words: set[str]) -> float:
        score = 0.0
        if term in icon.words:
            score = 13.0 if icon.words[0] == term else 10.0
            matched_name_words.add(term)
        elif term in icon.tags or term in icon.tag_words:
            score = 6.0
        elif _prefix_match(term, icon.words):
            score = 4.0
        elif _prefix_match(term, icon.tag_words):
            score = 2.0
        if term in icon.category_words:
            score += 1.0
        return score


def _bundled_dir() -> Path:
    return Path(str(files("slidestream").joinpath("static", "icons")))


@cache
def default_icon_index() -> IconIndex:
    """The bundled Phosphor bold set (loaded once per process)."""
    base = _bundled_dir()
    return IconIndex.from_file(base / "index.json", base / ICON_WEIGHT)
