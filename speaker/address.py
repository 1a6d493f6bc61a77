"""Addressed warnings: "民生路广场附近，穿红色上衣的行人，请佩戴口罩" says where, and names the person by the colour of
their upper garment.

Why: a loudspeaker warning over a street is heard by everyone; naming what the person wears ("the person in the
red top") tells the one it is meant for, without anything about gender, age or identity. Vision puts the colour word
in the incident's ``details["upper_colour"]`` (one of ``incidents.colours.COLOURS``, from
``vision.garment_colour``); the speaker says the address before the phrasebook line.

The address is one fragment per colour and language ("穿红色上衣的行人，"), pre-rendered with the phrasebook for
every colour (eleven per voice), so an addressed warning is joined from cached audio like any other and warning
latency does not change. The place ("民生路广场附近，") is one fragment per named street or place of the district
(``details["place"]``, from ``vision.places``), pre-rendered the same way. A colour the speaker has no word for
and no place give the plain warning; a grid where addressing is switched off (``[speaker.grids.<id>] addressed =
false``) says neither.

Example:
    >>> address_text("穿{colour}上衣的行人，", "zh", "red")
    '穿红色上衣的行人，'
    >>> address_text("Person in the {colour} top.", "en", "navy") is None
    True
"""

from __future__ import annotations

from incidents.colours import COLOUR_WORDS
from incidents.places import PLACE_KEY, place_name

ADDRESSED_KINDS = ("no_mask",)
"""Incident types said to one person, and so addressed (a crowd is many people)."""
DETAIL_KEY = "upper_colour"
"""The incident detail that holds the colour word."""


DEFAULT_ADDRESS: dict[str, str] = {"zh": "穿{colour}上衣的行人，", "en": "Person in the {colour} top."}
"""Address templates per language; ``{colour}`` is the colour word."""


DEFAULT_PLACE: dict[str, str] = {"zh": "{place}附近，", "en": "Near {place}."}
"""Place templates per language; ``{place}`` is the name of the nearest street or place (``incidents.places``)."""
PLACE_DETAIL_KEY = PLACE_KEY
"""The incident detail that holds the place's name."""


def place_text(template: str, lang: str, name: object) -> str | None:
    """The place words ("民生路广场附近，") for district name ``name`` in ``lang``, or ``None`` without a usable name.

    Example:
        >>> place_text("{place}附近，", "zh", "民生路广场 Minsheng square")
        '民生路广场附近，'
    """
    words = place_name(name, lang)
    return None if words is None else template.replace("{place}", words)


def address_text(template: str, lang: str, colour: object) -> str | None:
    """The address for ``colour`` in ``lang`` by ``template``, or ``None`` when there is no word for it."""
    if not isinstance(colour, str):
        return None
    word = COLOUR_WORDS.get(lang, {}).get(colour)
    return None if word is None else template.replace("{colour}", word)


def all_addresses(template: str, lang: str) -> list[str]:
    """Every address text of ``lang`` (one per colour word): what is pre-rendered."""
    return [template.replace("{colour}", word) for word in COLOUR_WORDS.get(lang, {}).values()]


def join_text(*parts: str) -> str:
    """The spoken sentence from its parts (place, address, phrasebook line): a space between two parts unless the
    first ends in '，'.

    Example:
        >>> join_text("民生路广场附近，", "穿红色上衣的行人，", "请佩戴口罩"), join_text("Near Dazhi Road.", "Mask on.")
        ('民生路广场附近，穿红色上衣的行人，请佩戴口罩', 'Near Dazhi Road. Mask on.')
    """
    text = ""
    for part in parts:
        text = part if not text else (f"{text}{part}" if text.endswith("，") else f"{text} {part}")
    return text
