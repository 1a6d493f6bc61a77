import pytest
from pydantic import ValidationError

from speaker.config import SpeakerConfig


def test_defaults_have_mandarin_and_english() -> None:
    assert SpeakerConfig().voices == {"zh": "cmn", "en": "en"}


def test_unknown_field_and_bad_rate_are_rejected() -> None:
    with pytest.raises(ValidationError, match="volum"):
        SpeakerConfig.model_validate({"volum": 3})
    with pytest.raises(ValidationError, match="rate"):
        SpeakerConfig(rate=5)
