"""``gridpatrol detect``: run the vision pipeline on a video, stream or image folder and write what it saw."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from gridpatrol.cli.core import console, fail, state
from mission_planner.profiles import CameraProfile


def load_camera(path: Path | None, default: CameraProfile) -> CameraProfile:
    """A camera profile from a JSON or TOML file of CameraProfile fields, or the configured one."""
    if path is None:
        return default
    if not path.is_file():
        raise ValueError(f"camera profile {path} does not exist; give a JSON or TOML file of [planner.camera] fields")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".toml":
        import tomllib

        data: Any = tomllib.loads(text)
    else:
        data = json.loads(text)
    return CameraProfile.model_validate(data)


def check_pitch(pitch: float | None) -> str | None:
    """The error for a gimbal pitch outside -90 (straight down) .. 0 (the horizon), the convention of
    ``vision.geolocate`` and ``CameraProfile.gimbal_pitch_deg``; None when it is fine or not given."""
    if pitch is None or -90.0 <= pitch <= 0.0:
        return None
    return f"--gimbal-pitch {pitch:g}: must be between -90 (straight down) and 0 (level with the horizon)"


def check_tile(tile: int | None, tiling: str | None, imgsz: int) -> str | None:
    """The error for a ``--tile`` size outside half the network input (``imgsz``) .. 4096 px, or given with
    ``--tiling off``; None when fine. Tiles under half the input would only be upscaled (``choose_tile``)."""
    if tile is None or tile == 0:
        return None
    if not imgsz // 2 <= tile <= 4096:
        return f"--tile {tile}: give a tile side of {imgsz // 2} to 4096 px (half the detector input or more), or 0"
    if tiling == "off":
        return f"--tile {tile} with --tiling off: drop one of them"
    return None


def register(app: typer.Typer) -> None:
    """Add ``detect`` to the ``gridpatrol`` app."""
    app.command("detect")(detect)


def detect(
    source: Annotated[
        str, typer.Argument(help="Video file, image folder, URL (rtsp/rtmp/http/udp://:5600) or webcam 0.")
    ],
    camera: Annotated[
        Path | None, typer.Option("--camera", help="Camera profile (JSON/TOML of CameraProfile).")
    ] = None,
    altitude: Annotated[float | None, typer.Option("--altitude", help="Height above ground (m).")] = None,
    gimbal_pitch: Annotated[float | None, typer.Option("--gimbal-pitch", help="Degrees, -90 nadir.")] = None,
    heading: Annotated[float, typer.Option("--heading", help="Camera azimuth, degrees from north.")] = 0.0,
    lat: Annotated[float, typer.Option("--lat", help="Drone latitude (for map positions).")] = 0.0,
    lon: Annotated[float, typer.Option("--lon", help="Drone longitude.")] = 0.0,
    district: Annotated[Path | None, typer.Option("--district", help="District GeoJSON/KML (grid ids).")] = None,
    fps: Annotated[float | None, typer.Option("--fps", help="Frames analysed per second (0: all of a file).")] = None,
    tiling: Annotated[str | None, typer.Option("--tiling", help="auto, on or off.")] = None,
    tile: Annotated[
        int | None, typer.Option("--tile", help="Tile side in px (tiles every frame); 0: no tiling.")
    ] = None,
    stills: Annotated[
        bool | None,
        typer.Option(
            "--stills/--video",
            help="--stills: judge each image on its own (no tracks, no votes, no pose needed); the default for "
            "an image folder or one image. --video: track across frames (the default for videos and streams).",
        ),
    ] = None,
    no_masks: Annotated[bool, typer.Option("--no-masks", help="Skip the face-mask stage.")] = False,
    max_frames: Annotated[int, typer.Option("--max-frames", help="Stop after this many frames (0: no limit).")] = 0,
    jsonl: Annotated[Path | None, typer.Option("--jsonl", help="Write one JSON line per frame here.")] = None,
    save: Annotated[Path | None, typer.Option("--save", help="Annotated frames: a folder, or a .mp4 file.")] = None,
    drone_id: Annotated[str | None, typer.Option("--drone-id", help="Drone id put in incidents.")] = None,
    mission_id: Annotated[str | None, typer.Option("--mission-id", help="Mission id put in incidents.")] = None,
) -> None:
    """Find people, crowds and unmasked faces in SOURCE; write per-frame JSON lines and annotated frames."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.text import Text

    os.environ.setdefault("YOLO_OFFLINE", "1")
    from mission_planner.errors import PlanningError
    from vision.detect_output import Summary, Writer
    from vision.detector import ModelError
    from vision.geolocate import Pose
    from vision.incidents import annotate, annotate_faces
    from vision.pipeline import Pipeline
    from vision.sources import FolderSource, SourceError, open_source

    settings = state.settings
    cfg = settings.vision
    updates: dict[str, Any] = {}
    for error in (check_pitch(gimbal_pitch), check_tile(tile, tiling, cfg.detector.imgsz)):
        if error:
            fail(error)
    if fps is not None:
        if fps < 0:
            fail("--fps must be 0 (every frame of a file) or more")
        updates["analyse_fps"] = fps or 120.0  # 0: every frame of a file, as fast as possible for a stream
    if altitude is not None and altitude <= 0:
        fail("--altitude must be above 0 m")
    if tiling is not None and tiling not in ("auto", "on", "off"):
        fail(f"--tiling {tiling!r}: use auto, on or off")
    det: dict[str, Any] = {"tiling": tiling} if tiling is not None else {}
    if tile is not None:
        det = {"tiling": "on", "tile_px": tile} if tile else {"tiling": "off"}
    cfg = cfg.model_copy(update={"detector": cfg.detector.model_copy(update=det)})
    if no_masks:
        cfg = cfg.model_copy(update={"masks": cfg.masks.model_copy(update={"enabled": False})})
    cfg = cfg.model_copy(update=updates)
    try:  # the source first: a wrong path is reported at once, not after the models load
        frames = open_source(
            source,
            fps=0.0 if fps == 0 else cfg.analyse_fps,
            timeout_s=cfg.open_timeout_s,
            reconnect_s=cfg.reconnect_s,
        )
    except SourceError as exc:
        fail(str(exc))
        return
    photos = isinstance(frames, FolderSource)
    judge_stills = photos if stills is None else stills
    if save is not None and photos and save.resolve() == Path(source).resolve():
        frames.close()
        fail(f"--save {save} is the source folder: annotated images would replace the originals")
    try:
        cam = load_camera(camera, settings.planner.camera)
        area = None
        if district is not None:
            from mission_planner.district_io import load_district

            area = load_district(district)
        pose: Pose | None = None
        if not judge_stills or altitude is not None:  # photos need no pose; video is geolocated
            pose = Pose(
                lat=lat,
                lon=lon,
                alt_rel=altitude if altitude is not None else settings.planner.alt_m,
                yaw=heading,
                gimbal_pitch=gimbal_pitch if gimbal_pitch is not None else cam.gimbal_pitch_deg,
            )
        pipe = Pipeline(cfg, cam, area, drone_id=drone_id, mission_id=mission_id, data_dir=settings.station.data_dir)
        pipe.warmup()  # the first frame would otherwise pay model compilation (seconds)
    except (ValueError, PlanningError, ModelError) as exc:
        frames.close()
        fail(str(exc))
        return
    if not frames.live:  # recordings are not watched live: check every face, whatever the per-frame budget
        pipe.masks.cfg = pipe.masks.cfg.model_copy(update={"max_checks_per_frame": 0})
    if not pipe.masks.available and cfg.masks.enabled:
        console.print(Text.assemble(("masks not checked:", "yellow"), " ", pipe.masks.reason))
    writer = Writer(jsonl, save, frames.rate)
    total = len(getattr(frames, "files", [])) or None
    summary = Summary(stills=judge_stills)
    columns = (
        TextColumn("[bold]detect"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[info]}", markup=False),
    )
    try:
        with frames, Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task("frames", total=total, info="")
            for frame in frames:
                if judge_stills:
                    result = pipe.process_still(frame.image, frame.t, pose)
                else:
                    assert pose is not None
                    result = pipe.process(frame.image, frame.t, pose)
                record = {"frame": frame.index, **result.to_json()}
                if frame.name:
                    record["file"] = frame.name
                out = None
                if save is not None:
                    out = annotate_faces(annotate(frame.image, result.people), result.faces)
                writer.write(record, out)
                summary.add(record, len(result.incidents))
                ms = result.timings_ms["total"]
                info = f"{len(result.people)} people, {summary.incidents} incidents, {ms:.0f} ms"
                progress.update(task, advance=1, info=info)
                if max_frames and frame.index + 1 >= max_frames:
                    break
    except SourceError as exc:
        fail(str(exc))
    finally:
        writer.close()
    for line in summary.lines(frames):
        style = "yellow" if line.startswith(("skipped", "warning")) else ""
        console.print(Text(line, style=style), highlight=False, soft_wrap=True)
