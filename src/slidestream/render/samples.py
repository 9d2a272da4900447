"""Sample slide content for every layout kind: the gallery, the benchmarks and the docs
render these, so a person can look at every layout of every template at once."""

from __future__ import annotations

from typing import Any

PHOTO = "/static/images/placeholder.svg"


def icon(query: str, name: str) -> dict[str, str]:
    return {"__icon_query__": query, "__icon_url__": f"/static/icons/bold/{name}.svg"}


SAMPLES: dict[str, dict[str, Any]] = {
    "title": {
        "title": "Community Solar in 2026",
        "subtitle": "How neighbourhood cooperatives share one array and the savings",
    },
    "agenda": {
        "title": "Agenda",
        "items": [
            "Why shared arrays",
            "How members pay",
            "Our first array",
            "Risks and safeguards",
            "Getting involved",
        ],
    },
    "bullets": {
        "title": "Why cooperatives choose it",
        "bullets": [
            "A shared array costs about 30% less per kilowatt than rooftop panels",
            "Maintenance is done once, by one contractor, on one site",
            "Renters and people with shaded roofs can take part",
            "Local ownership keeps the savings in the neighbourhood",
        ],
    },
    "bullets-image": {
        "title": "Our first array",
        "bullets": [
            "Live since March 2024 on the vocational school roof",
            "1,900 panels with a peak output of 780 kW",
            "1.2 GWh in its first year: enough for 340 households",
        ],
        "image": {"__image_prompt__": "solar panels on a school roof", "__image_url__": PHOTO},
    },
    "two-columns": {
        "title": "Rooftop or shared?",
        "left": {
            "heading": "Rooftop panels",
            "body": "Each home buys, installs and maintains its own system; only owners with "
            "a sunny roof can take part.",
        },
        "right": {
            "heading": "Shared array",
            "body": "Members buy shares of one large array; credits arrive on every "
            "member's bill, whatever their roof.",
        },
    },
    "icon-cards": {
        "title": "What members get",
        "cards": [
            {
                "icon": icon("savings", "piggy-bank"),
                "heading": "Lower bills",
                "text": "Credits for every kilowatt-hour the array makes.",
            },
            {
                "icon": icon("vote", "users-three"),
                "heading": "A vote",
                "text": "One member, one vote at the annual meeting.",
            },
            {
                "icon": icon("sun", "sun"),
                "heading": "Clean power",
                "text": "Local solar instead of power from coal.",
            },
        ],
    },
    "metrics": {
        "title": "The first year in numbers",
        "metrics": [
            {"value": "1.2 GWh", "label": "produced"},
            {"value": "340", "label": "households supplied"},
            {"value": "30%", "label": "cheaper per kilowatt"},
        ],
    },
    "quote": {
        "quote": "For the first time, renters in our street own part of the power they use.",
        "author": "Maria Okafor, cooperative member since 2023",
    },
    "timeline": {
        "title": "From idea to array",
        "steps": [
            {"label": "2022", "description": "Neighbours found the cooperative"},
            {"label": "2023", "description": "600 members buy shares"},
            {"label": "Mar 2024", "description": "First array goes live"},
            {"label": "2026", "description": "Second array on the depot"},
        ],
    },
    "table": {
        "title": "Share options",
        "columns": ["Option", "Shares", "Cost", "Yearly credit"],
        "rows": [
            ["Starter", "2", "€500", "€60"],
            ["Household", "4", "€1,000", "€125"],
            ["Family", "8", "€2,000", "€255"],
        ],
    },
    "chart": {
        "title": "Output by quarter (MWh)",
        "chart_type": "bar",
        "categories": ["Q1", "Q2", "Q3", "Q4"],
        "series": [
            {"name": "2024", "values": [180, 390, 420, 210]},
            {"name": "2025", "values": [200, 410, 450, 230]},
        ],
    },
    "closing": {
        "title": "Join the next array",
        "message": "600 more shares start construction on the depot roof in 2026.",
    },
}


def sample_content(kind: str) -> dict[str, Any]:
    """A copy of the sample content for `kind` (the bullets sample for unknown kinds)."""
    import copy

    return copy.deepcopy(SAMPLES.get(kind, SAMPLES["bullets"]))
