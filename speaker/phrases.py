"""Phrasebook templates as fragments, and joining pre-rendered fragments into one clip.

Why fragments: a template such as ``"{count} people in grid {grid}"`` has as many concrete texts as
grids times counts (times languages and per-grid volumes), which grows with the district. Splitting it
into its literal parts and its values keeps the pre-render linear: each literal part, each grid id and
each count in ``prerender_counts`` is rendered once, and a warning is joined from them at play time
(a few milliseconds, no synthesis). A template without placeholders, like the default
"请勿聚集，保持一米以上距离", is one fragment and keeps its natural prosody.
"""

from __future__ import annotations

import string
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PLACEHOLDERS = ("count", "grid")
GAP_S = 0.06
"""Silence between joined fragments."""
_TRIM_LEVEL = 300
"""Samples quieter than this (of 32767) at a fragment's ends are cut before joining."""


class TemplateError(ValueError):
    """A phrasebook template uses an unknown placeholder or is malformed."""


@dataclass(frozen=True)
class Template:
    """A parsed phrasebook template: literal text and placeholder names, in order.

    Example:
        >>> t = Template.parse("{count} people in grid {grid}.")
        >>> t.fragments(count=5, grid="B7")
        ['5', 'people in grid', 'B7']
        >>> t.text(count=5, grid="B7")
        '5 people in grid B7.'
    """

    source: str
    parts: tuple[tuple[str, str | None], ...]
    """(literal, placeholder or None) pairs as :class:`string.Formatter` yields them."""

    @classmethod
    def parse(cls, source: str) -> Template:
        """Parse ``source``; only ``{count}`` and ``{grid}`` are allowed, without format specs."""
        try:
            parsed = list(string.Formatter().parse(source))
        except ValueError as exc:
            raise TemplateError(f"template {source!r}: {exc} (write literal braces as {{{{ and }}}})") from None
        parts: list[tuple[str, str | None]] = []
        for literal, name, spec, conversion in parsed:
            if name is not None and (name not in PLACEHOLDERS or spec or conversion):
                raise TemplateError(f"template {source!r}: unknown placeholder {{{name}}}; use {{count}} or {{grid}}")
            parts.append((literal, name))
        return cls(source, tuple(parts))

    @property
    def has_placeholders(self) -> bool:
        """Whether any ``{count}``/``{grid}`` is in the template."""
        return any(name is not None for _, name in self.parts)

    def text(self, count: int | None = None, grid: str | None = None) -> str:
        """The full sentence with the values filled in."""
        values = {"count": "" if count is None else str(count), "grid": grid or ""}
        return "".join(literal + ("" if name is None else values[name]) for literal, name in self.parts).strip()

    def fragments(self, count: int | None = None, grid: str | None = None) -> list[str]:
        """The texts rendered separately and joined: stripped literals and values; punctuation-only ones left out."""
        if not self.has_placeholders:
            return [self.source]
        values = {"count": "" if count is None else str(count), "grid": grid or ""}
        out: list[str] = []
        for literal, name in self.parts:
            out += [literal.strip()] if speakable(literal) else []
            if name is not None and speakable(values[name]):
                out.append(values[name].strip())
        return out

    def literals(self) -> list[str]:
        """The fixed fragments (pre-rendered once per voice)."""
        if not self.has_placeholders:
            return [self.source]
        return [literal.strip() for literal, _ in self.parts if speakable(literal)]


def speakable(text: str) -> bool:
    """Whether ``text`` has anything a TTS engine says (a letter, digit or CJK character), not only punctuation."""
    return any(ch.isalnum() for ch in text)


def _read(path: Path) -> tuple[wave._wave_params, np.ndarray]:
    with wave.open(str(path)) as wav:
        params = wav.getparams()
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    if params.nchannels != 1 or params.sampwidth != 2:
        raise ValueError(f"{path}: expected 16-bit mono WAV, got {params.nchannels} channels, {params.sampwidth} bytes")
    return params, frames


def _trim(frames: np.ndarray, rate: int) -> np.ndarray:
    loud = np.flatnonzero(np.abs(frames.astype(np.int32)) > _TRIM_LEVEL)
    if loud.size == 0:
        return frames[:0]
    margin = int(0.01 * rate)
    return frames[max(0, loud[0] - margin) : loud[-1] + margin]


def join_wavs(paths: list[Path], out: Path) -> Path:
    """Join fragment WAVs into ``out``: each trimmed of its silent ends, with :data:`GAP_S` of silence between.

    Raises:
        ValueError: The fragments differ in sample rate or are not 16-bit mono.
    """
    chunks: list[np.ndarray] = []
    rate = 0
    for path in paths:
        params, frames = _read(path)
        if rate and params.framerate != rate:
            raise ValueError(f"{path}: sample rate {params.framerate} Hz, the others have {rate} Hz")
        rate = params.framerate
        if chunks:
            chunks.append(np.zeros(int(GAP_S * rate), dtype=np.int16))
        chunks.append(_trim(frames, rate))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".part.wav")
    with wave.open(str(tmp), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate or 22050)
        wav.writeframes(np.concatenate(chunks).tobytes() if chunks else b"")
    tmp.replace(out)
    return out
