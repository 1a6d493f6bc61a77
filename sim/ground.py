"""A procedural ground for the simulated camera: paved squares between asphalt streets, seeded, no map tiles.

The texture is a function of ground position (east, north metres), not of the image, so the same spot looks the
same from every pose and every drone (trackers and geolocation can rely on it). It is built from a seeded value
noise and a street grid; paving joints fade out as a pixel covers more ground than a joint is wide, so distant
paving turns into an even tone instead of moiré.

Example:
    >>> import numpy as np
    >>> ground = GroundTexture(seed=3)
    >>> bgr = ground.colour(np.array([0.0, 31.0]), np.array([0.0, 5.0]), np.array([0.01, 0.01]))
    >>> bgr.shape, bgr.dtype
    ((2, 3), dtype('uint8'))
"""

from __future__ import annotations

import numpy as np

SKY_BGR = np.array([225.0, 205.0, 185.0], np.float32)


class GroundTexture:
    """Colours of the flat ground at any (east, north) point.

    Args:
        seed: the random seed (block colours, street offsets, noise).
        street_spacing_m: distance between parallel streets (east-west and north-south grids).
        street_width_m: carriageway width.
    """

    def __init__(self, seed: int = 0, street_spacing_m: float = 70.0, street_width_m: float = 9.0) -> None:
        rng = np.random.default_rng(seed)
        self._noise = rng.random((256, 256)).astype(np.float32)
        self._offset = rng.uniform(0, street_spacing_m, 2)
        self.spacing = street_spacing_m
        self.width = street_width_m
        # paving tones of the blocks between streets (BGR): light granite, beige, brick red, grey concrete
        palette = np.array([[168, 170, 172], [150, 172, 186], [98, 112, 160], [140, 142, 140], [125, 150, 160]])
        self._blocks = palette[rng.integers(0, len(palette), (64, 64))].astype(np.float32)
        self._tile = rng.choice([0.4, 0.5, 0.6, 0.8], (64, 64)).astype(np.float32)

    def _value_noise(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Smooth noise in 0..1 with unit cells (bilinear over a 256-periodic lattice)."""
        xf, yf = np.floor(x), np.floor(y)
        tx, ty = x - xf, y - yf
        tx, ty = tx * tx * (3 - 2 * tx), ty * ty * (3 - 2 * ty)
        xi, yi = xf.astype(np.int64) & 255, yf.astype(np.int64) & 255
        n = self._noise
        a, b = n[yi, xi], n[yi, (xi + 1) & 255]
        c, d = n[(yi + 1) & 255, xi], n[(yi + 1) & 255, (xi + 1) & 255]
        return (a + (b - a) * tx) * (1 - ty) + (c + (d - c) * tx) * ty

    def colour(self, east: np.ndarray, north: np.ndarray, footprint_m: np.ndarray) -> np.ndarray:
        """BGR uint8 colours (N, 3) of ground points; ``footprint_m`` is how much ground each pixel covers."""
        e = east.astype(np.float32)
        n = north.astype(np.float32)
        fp = np.maximum(footprint_m.astype(np.float32), 1e-3)
        ge, gn = e + self._offset[0], n + self._offset[1]
        # distance to the nearest street centre line in each direction
        de = np.abs((ge + self.spacing / 2) % self.spacing - self.spacing / 2)
        dn = np.abs((gn + self.spacing / 2) % self.spacing - self.spacing / 2)
        half = self.width / 2
        on_street = (de < half) | (dn < half)
        out = np.empty((len(e), 3), np.float32)
        # each point is street or paving: each part's noise and lines only where it shows (same colours, less work)
        pave = ~on_street
        if pave.any():
            out[pave] = self._paving(e[pave], n[pave], ge[pave], gn[pave], fp[pave])
        if on_street.any():
            out[on_street] = self._street(e[on_street], n[on_street], ge[on_street], gn[on_street],
                                          de[on_street], dn[on_street], fp[on_street])  # fmt: skip
        return np.clip(out, 0, 255).astype(np.uint8)

    def _paving(self, e: np.ndarray, n: np.ndarray, ge: np.ndarray, gn: np.ndarray, fp: np.ndarray) -> np.ndarray:
        """Blocks between the streets: one paving tone and joint size each, with stains."""
        bi = np.floor(ge / self.spacing).astype(np.int64) & 63
        bj = np.floor(gn / self.spacing).astype(np.int64) & 63
        base = self._blocks[bj, bi]
        tile = self._tile[bj, bi]
        stains = 0.75 + 0.35 * self._value_noise(e / 3.0, n / 3.0) + 0.15 * self._value_noise(e * 1.7, n * 1.7)
        joint = _line_cover(e, tile, 0.02, fp) + _line_cover(n, tile, 0.02, fp)
        return base * (stains * (1.0 - 0.35 * np.minimum(joint, 1.0)))[:, None]

    def _street(
        self, e: np.ndarray, n: np.ndarray, ge: np.ndarray, gn: np.ndarray, de: np.ndarray, dn: np.ndarray,
        fp: np.ndarray,
    ) -> np.ndarray:  # fmt: skip
        """Asphalt with dashed white centre lines and a kerb line."""
        half = self.width / 2
        asphalt = 62.0 + 28.0 * self._value_noise(e * 0.9, n * 0.9) + 10.0 * self._value_noise(e * 6, n * 6)
        road = np.repeat(asphalt[:, None], 3, axis=1)
        dash_e = (de < 0.08 + fp / 2) & ((gn % 6.0) < 3.0) & (dn >= half)
        dash_n = (dn < 0.08 + fp / 2) & ((ge % 6.0) < 3.0) & (de >= half)
        paint = np.clip(0.16 / np.maximum(fp, 0.16), 0, 1) * (dash_e | dash_n)
        road = road * (1 - paint[:, None]) + 215.0 * paint[:, None]
        kerb = (np.abs(de - half) < 0.15 + fp / 2) | (np.abs(dn - half) < 0.15 + fp / 2)
        road[kerb] = 150.0
        return road


def _line_cover(x: np.ndarray, spacing: np.ndarray, width: float, fp: np.ndarray) -> np.ndarray:
    """How much of a pixel a joint line (every ``spacing`` m, ``width`` m wide) covers: 0..1, area-averaged."""
    d = np.abs((x + spacing / 2) % spacing - spacing / 2)
    band = np.maximum(width, fp) / 2
    return np.where(d < band, np.minimum(1.0, width / fp), 0.0).astype(np.float32)
