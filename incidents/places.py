"""Where an incident is, in words: the nearest named street or place of the district (``details["place"]``).

Why here: vision finds the place (it knows where the person stands) and the speaker says it ("民生路广场附近，…"),
and neither imports the other. District files name features in both languages, Chinese first ("民生路广场 Minsheng
square"); :func:`place_name` gives the part for one language, so the speaker says the Chinese name in Chinese and the
English one in English. A name in one script only is said as it is in both.

Example:
    >>> place_name("民生里一巷 Minsheng Lane 1", "zh"), place_name("民生里一巷 Minsheng Lane 1", "en")
    ('民生里一巷', 'Minsheng Lane 1')
    >>> place_name("Riverside", "zh")
    'Riverside'
"""

from __future__ import annotations

import re

PLACE_KEY = "place"
"""The incident detail that holds the place's name, as the district file writes it."""
MAX_PLACE_CHARS = 64
"""Longest place name said (a district file is a user's file: a longer name is not a place word)."""

_CHINESE = re.compile(r"^([\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef0-9]+)\s*(.*)$")


def place_name(name: object, lang: str) -> str | None:
    """The words for place ``name`` in ``lang`` (``zh``: its Chinese part; otherwise the rest), or ``None`` when
    ``name`` is not a usable place name (empty, not text, too long)."""
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_PLACE_CHARS:
        return None
    name = " ".join(name.split())
    match = _CHINESE.match(name)
    if match is None or not match.group(1).strip("0123456789"):
        return name
    chinese, rest = match.group(1), match.group(2).strip()
    if lang == "zh":
        return chinese
    return rest or chinese
