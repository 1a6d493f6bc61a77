import wave
from pathlib import Path

import numpy as np
import pytest

from speaker.synth import render_wav


@pytest.mark.parametrize(("text", "lang"), [("请佩戴口罩", "zh"), ("Please wear a mask", "en")])
def test_render_is_audible_speech(tmp_path: Path, text: str, lang: str) -> None:
    out = render_wav(text, lang, tmp_path / f"{lang}.wav")
    with wave.open(str(out)) as w:
        frames = w.readframes(w.getnframes())
        duration = w.getnframes() / w.getframerate()
    samples = np.frombuffer(frames, dtype=np.int16).astype(np.float64)
    assert 0.5 < duration < 10
    assert np.sqrt(np.mean(samples**2)) > 100


def test_unknown_lang_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="lang"):
        render_wav("hi", "fr", tmp_path / "x.wav")
