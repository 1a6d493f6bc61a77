"""``gridpatrol models``: which vision models are in use and where they come from; ``models fetch`` obtains them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gridpatrol.cli.core import console, fail, state


def register(app: typer.Typer) -> None:
    """Add the ``models`` group (list, ``fetch``) to the ``gridpatrol`` app."""
    models = typer.Typer(
        name="models",
        help="Vision models in use (person detector, mask model), where each comes from; 'fetch' obtains them.",
        invoke_without_command=True,
    )
    models.callback()(listing)
    models.command("fetch")(fetch)
    app.add_typer(models)


def listing(ctx: typer.Context) -> None:
    """List the models in use: path, source, licence and whether present."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.text import Text

    from vision.model_store import models_in_use

    settings = state.settings
    console.print(Text(f"data directory: {settings.station.data_dir}"))
    infos = models_in_use(settings.vision, settings.station.data_dir)
    for m in infos:
        present = ("present", "green") if m.present else ("MISSING", "bold red")
        console.print(Text.assemble((m.role, "bold"), ": ", present), highlight=False)
        for key, value in (("path", m.path), ("source", m.source), ("licence", m.licence)):
            console.print(Text(f"  {key}: {value}"), highlight=False, soft_wrap=True)
    if not all(m.present for m in infos):
        console.print(Text("run 'gridpatrol models fetch' to obtain the official person detector"))


def fetch(
    name: Annotated[str, typer.Option("--model", help="Official COCO detector: yolo11n or yolov8n.")] = "yolo11n",
    weights: Annotated[
        Path | None,
        typer.Option("--weights", help="Export this local .pt instead of downloading (no internet needed)."),
    ] = None,
    int8: Annotated[bool, typer.Option("--int8/--no-int8", help="INT8 calibration (needs nncf).")] = True,
) -> None:
    """Download the official COCO weights (ultralytics) and export them to OpenVINO in the data directory."""
    from rich.text import Text

    from vision.model_store import FetchError, fetch_detector

    data_dir = state.settings.station.data_dir
    try:
        folder = fetch_detector(data_dir, name, weights=weights, int8=int8)
    except FetchError as exc:
        fail(str(exc), code=1)
        return
    console.print(Text(f"written {folder}"))
    expected = state.settings.vision.model_path(data_dir)
    if folder != expected:
        rel = folder.relative_to(data_dir)
        hint = f"the station loads {expected}; to use this model set [vision.detector] model = '{rel}'"
        console.print(Text(hint))
