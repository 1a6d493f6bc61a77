"""The ``[vision]`` settings section: registered, strict, documented, loadable from the example file."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from gridpatrol.config import ConfigError, Settings, load_settings
from vision.config import VisionConfig


def walk(model: type[BaseModel], prefix: str = "vision") -> list[str]:
    missing = []
    for name, field in model.model_fields.items():
        if not field.title or not field.description:
            missing.append(f"{prefix}.{name}")
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            missing += walk(ann, f"{prefix}.{name}")
    return missing


def test_every_field_has_title_and_description() -> None:
    assert walk(VisionConfig) == []


def test_registered_in_settings_and_example_file() -> None:
    assert isinstance(Settings().vision, VisionConfig)
    s = load_settings(Path(__file__).parents[2] / "examples" / "station.toml")
    assert s.vision == VisionConfig()


def test_typo_names_the_field(tmp_path: Path) -> None:
    cfg = tmp_path / "station.toml"
    cfg.write_text("[vision.crowd]\nmin_peopel = 4\n")
    with pytest.raises(ConfigError, match="min_peopel"):
        load_settings(cfg)
