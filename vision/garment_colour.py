"""Name the colour of a person's upper garment with one of eleven basic colour words, or ``unknown``.

Why words and not RGB: the loudspeaker says "穿红色上衣的行人" so the person knows the warning is for them, and it
can only say what was pre-rendered: one of ``incidents.colours.COLOURS`` (Berlin and Kay's eleven basic colour
terms, which people name alike). Nothing else about the person is described.

How: the torso (below the face when a face box is known, else 20-55 % down the person box, the middle 60 % of its
width) is shrunk to at most 40x40 px and its pixels clustered in CIE Lab by k-means (k=3, scikit-learn). Skin-
coloured clusters (hands, neck) are dropped; the largest remaining cluster is the garment. Its Lab mean is named by
lightness and chroma first (black, grey, white) and hue angle after (red, orange, yellow, green, blue, purple,
pink; dark orange/red is brown). Clusters that get the same word (a garment and its shadow) are counted together.
When the garment holds less than :data:`MIN_SHARE` of the torso (a bag, a banner, a striped shirt), or its colour
lies so near a boundary that a little more light would change the word (:func:`stable`), the answer is
``unknown``: better no description than a wrong one.

Example:
    >>> import numpy as np
    >>> red = np.zeros((80, 60, 3), np.uint8); red[:] = (30, 30, 200)  # BGR
    >>> name_colour(red).colour
    'red'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from sklearn.cluster import KMeans

from incidents.colours import ColourWord

MIN_SHARE = 0.4
"""Least share of the torso's non-skin pixels the garment cluster must hold to be named."""
MARGIN_L = 7.0
"""Lightness change (CIE L, 0..100) a named colour must withstand (see :func:`stable`)."""
MARGIN_C = 3.0
"""Change of a or b a named colour must withstand."""
_SIDE = 40
_K = 3


@dataclass(frozen=True)
class GarmentColour:
    """A named colour, how much of the torso it covers (0..1), and the Lab mean it was named from."""

    colour: ColourWord
    share: float
    lab: tuple[float, float, float]

    @property
    def known(self) -> bool:
        """Whether a colour word was given (not ``unknown``)."""
        return self.colour != "unknown"


def torso_region(
    person: Sequence[float], face: Sequence[float] | None, width: int, height: int
) -> tuple[int, int, int, int] | None:
    """The upper-garment box of a person box (and face box when known), clipped to the image; ``None`` if empty.

    With a face: from half a face height under the chin, two face heights deep, 2.2 face widths wide (as the labels
    in ``vision/colour_labels`` were cut). Without: 20-55 % down the person box, the middle 60 % of its width.
    """
    px1, py1, px2, py2 = person
    if face is not None:
        fx1, fy1, fx2, fy2 = face
        fw, fh, cx = fx2 - fx1, fy2 - fy1, (fx1 + fx2) / 2
        box = (cx - 1.1 * fw, fy2 + 0.5 * fh, cx + 1.1 * fw, fy2 + 2.5 * fh)
    else:
        w, h = px2 - px1, py2 - py1
        box = (px1 + 0.2 * w, py1 + 0.2 * h, px2 - 0.2 * w, py1 + 0.55 * h)
    x1, y1 = max(0, round(box[0])), max(0, round(box[1]))
    x2, y2 = min(width, round(box[2])), min(height, round(box[3]))
    return (x1, y1, x2, y2) if x2 - x1 >= 2 and y2 - y1 >= 2 else None


def name_colour(crop: np.ndarray, min_share: float = MIN_SHARE) -> GarmentColour:
    """The colour word of the garment filling ``crop`` (a BGR torso crop), or ``unknown`` when unsure.

    The middle 70 % of the crop's width is used (sleeves, arms and background lie at the sides).
    """
    if crop.size == 0:
        return GarmentColour("unknown", 0.0, (0.0, 0.0, 0.0))
    w = crop.shape[1]
    core = crop[:, round(0.15 * w) : max(round(0.85 * w), round(0.15 * w) + 1)]
    scale = min(1.0, _SIDE / max(core.shape[:2]))
    if scale < 1:
        core = cv2.resize(core, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    pixels = core.reshape(-1, 3)
    lab = cv2.cvtColor(core, cv2.COLOR_BGR2LAB).reshape(-1, 3).astype(np.float32)
    lab = lab * np.array([100 / 255, 1, 1], np.float32) - np.array([0, 128, 128], np.float32)
    k = min(_K, len(np.unique(pixels, axis=0)))
    if k <= 1:
        labels, centres = np.zeros(len(lab), int), lab.mean(axis=0, keepdims=True)
    else:
        km = KMeans(n_clusters=k, n_init=2, random_state=0).fit(lab)
        labels, centres = km.labels_, km.cluster_centers_
    counts = np.bincount(labels, minlength=len(centres)).astype(float)
    means = [lab[labels == i].mean(axis=0) if counts[i] else centres[i] for i in range(len(centres))]
    by_word: dict[ColourWord, float] = {}
    for i, mean in enumerate(means):
        if counts[i] and not is_skin(*mean):
            word = lab_to_word(*mean)
            by_word[word] = by_word.get(word, 0.0) + counts[i]
    cloth = sum(by_word.values())
    if cloth < 0.3 * counts.sum():
        return GarmentColour("unknown", 0.0, _tuple(lab.mean(axis=0)))
    word = max(by_word, key=lambda w: by_word[w])
    share = by_word[word] / cloth
    chosen = [i for i, m in enumerate(means) if counts[i] and not is_skin(*m) and lab_to_word(*m) == word]
    mean = _tuple(np.average([means[i] for i in chosen], axis=0, weights=counts[chosen]))
    if share < min_share or not stable(*mean):
        return GarmentColour("unknown", round(share, 3), mean)
    return GarmentColour(word, round(share, 3), mean)


def stable(lightness: float, a: float, b: float, dl: float = MARGIN_L, dc: float = MARGIN_C) -> bool:
    """Whether the word of a Lab colour holds when lightness moves by ``dl`` or a or b by ``dc``.

    Why: light, shade and the camera move a garment's colour by about that much, so a colour that close to a
    boundary (light grey or white, navy or black) is named ``unknown`` rather than guessed.
    """
    word = lab_to_word(lightness, a, b)
    shifts = ((0.0, 0.0), (dc, 0.0), (-dc, 0.0), (0.0, dc), (0.0, -dc))
    return all(lab_to_word(lightness + x, a + da, b + db) == word for x in (-dl, 0.0, dl) for da, db in shifts)


def lab_to_word(lightness: float, a: float, b: float) -> ColourWord:
    """The basic colour word for a CIE Lab colour (L 0..100): achromatic by lightness, chromatic by hue angle.

    Example:
        >>> lab_to_word(15, 2, 1), lab_to_word(95, 0, 2), lab_to_word(55, 1, -2), lab_to_word(25, 8, -25)
        ('black', 'white', 'grey', 'blue')
    """
    chroma = math.hypot(a, b)
    hue = math.degrees(math.atan2(b, a)) % 360
    if lightness < 35 and b <= -8 and 200 <= hue < 305:
        return "blue"  # navy: dark, with a clear blue cast that black cloth lacks
    if lightness < 25 and a >= 8 and -0.5 * a < b < a:
        return "red"  # dark red / maroon: red over green that black cloth lacks
    if lightness >= 65 and a >= 4 and a >= 0.6 * b and chroma <= 25 and (hue >= 330 or hue < 60):
        return "pink"  # pale pink, a little warmer than white
    grey_limit = 8 + 0.05 * max(0.0, lightness - 40)
    if chroma < grey_limit or (lightness < 22 and chroma < 14):
        if lightness < 30:
            return "black"
        return "white" if lightness > 74 else "grey"
    if 72 <= hue < 115:
        if lightness > 60 and chroma > 35:
            return "yellow"
        return "green" if hue >= 95 else "brown"
    if 115 <= hue < 200:
        return "green"
    if 200 <= hue < 295:
        return "blue"
    if 295 <= hue < 340:
        return "pink" if lightness > 55 else "purple"
    # reds, oranges, pinks and browns share hue angles 340..72
    if lightness > 62 and (chroma < 40 or hue >= 340 or hue < 25):
        return "pink"
    if hue >= 45:
        return "orange" if lightness > 50 and chroma > 35 else "brown"
    if lightness < 35 and chroma < 30:
        return "brown"
    return "red"


def is_skin(lightness: float, a: float, b: float) -> bool:
    """Whether a Lab colour looks like skin: mid lightness, a warm hue of 30-70 degrees, moderate chroma.

    Saturated reds (chroma over 35) and khaki (hue over 70) stay garments.
    """
    chroma = math.hypot(a, b)
    hue = math.degrees(math.atan2(b, a)) % 360
    return 30 <= lightness <= 85 and 30 <= hue <= 70 and 10 <= chroma <= 35 and a >= 7


def _tuple(v: np.ndarray) -> tuple[float, float, float]:
    return round(float(v[0]), 1), round(float(v[1]), 1), round(float(v[2]), 1)


def upper_colour(
    image: np.ndarray, person: Sequence[float] | None, face: Sequence[float] | None = None
) -> ColourWord | None:
    """The upper-garment colour word of a person in a BGR frame, or ``None`` when unknown or no box is given.

    This is what vision puts in a no_mask incident's ``details["upper_colour"]`` for the loudspeaker.
    """
    if person is None and face is None:
        return None
    h, w = image.shape[:2]
    box = torso_region(person if person is not None else face, face, w, h)  # type: ignore[arg-type]
    if box is None:
        return None
    named = name_colour(image[box[1] : box[3], box[0] : box[2]])
    return named.colour if named.known else None
