"""The ``[api]`` settings section: defaults, strictness and the values the UI reads."""

from __future__ import annotations

import pytest
from api_testkit import Api
from pydantic import ValidationError

from api.config import ApiConfig
from gridpatrol.config import Settings


def test_defaults_are_closed_and_offline() -> None:
    cfg = Settings().api
    assert cfg.cors_origins == [] and cfg.tile_url is None and cfg.host == "127.0.0.1"
    assert cfg.sqlalchemy_url().startswith("sqlite:///") and cfg.sqlalchemy_url().endswith("incidents.db")


def test_bad_settings_name_the_field() -> None:
    with pytest.raises(ValidationError, match="grid_colour_thresholds"):
        ApiConfig(grid_colour_thresholds=[5, 3, 6, 10])
    with pytest.raises(ValidationError, match="tile_ur"):
        ApiConfig.model_validate({"tile_ur": "x"})
    with pytest.raises(ValidationError, match="port"):
        ApiConfig(port=0)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_ui_config_and_page(api: Api) -> None:
    assert api.client.get("/api/ui-config").json() == {
        "tile_url": None,
        "grid_colour_thresholds": [1, 3, 6, 10],
    }
    page = api.client.get("/")
    assert page.status_code == 200 and "/static/vendor/leaflet/leaflet.js" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert api.client.get("/static/app.js").status_code == 200
    assert api.client.get("/static/vendor/leaflet/leaflet.js").status_code == 200
    assert api.client.get("/static/../config.py").status_code == 404
