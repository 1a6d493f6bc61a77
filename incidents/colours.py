"""The garment colour words an incident may carry (``details["upper_colour"]``), and how each language says them.

Why here: vision names the colour and the speaker says it, and neither imports the other; the words are part of
what an incident means, so they sit beside the contract. Eleven basic colour terms (Berlin and Kay), keyed by the
English word; ``unknown`` is what vision says when unsure, and is never spoken.

Example:
    >>> COLOUR_WORDS["zh"]["red"], COLOUR_WORDS["en"]["red"], len(COLOURS)
    ('红色', 'red', 11)
"""

from __future__ import annotations

from typing import Literal

ColourWord = Literal[
    "black", "white", "grey", "red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "unknown"
]
"""A colour word as vision writes it, ``unknown`` included."""

COLOURS: tuple[ColourWord, ...] = (
    "black",
    "white",
    "grey",
    "red",
    "orange",
    "yellow",
    "green",
    "blue",
    "purple",
    "pink",
    "brown",
)
"""The eleven colours that can be named (not ``unknown``)."""

_ZH: dict[str, str] = {
    "black": "黑色",
    "white": "白色",
    "grey": "灰色",
    "red": "红色",
    "orange": "橙色",
    "yellow": "黄色",
    "green": "绿色",
    "blue": "蓝色",
    "purple": "紫色",
    "pink": "粉色",
    "brown": "棕色",
}

COLOUR_WORDS: dict[str, dict[str, str]] = {"zh": _ZH, "en": {c: c for c in COLOURS}}
"""The colour words per language, keyed by the English word vision writes."""
