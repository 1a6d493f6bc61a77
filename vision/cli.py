"""``gridpatrol detect``: run the vision pipeline on a video, stream or image folder and write what it saw."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

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


class Writer:
    """Per-frame output: JSON lines and annotated frames (a folder of JPEGs, or one video ending in .mp4/.avi)."""

    def __init__(self, jsonl: Path | None, save: Path | None, fps: float) -> None:
        self.jsonl = jsonl.open("w", encoding="utf-8") if jsonl else None
        self.save, self.fps = save, fps
        self.video: Any = None
        if save is not None and save.suffix.lower() not in (".mp4", ".avi"):
            save.mkdir(parents=True, exist_ok=True)

    def write(self, record: dict[str, Any], annotated: Any | None) -> None:
        """Write one frame's record (and its annotated image when saving)."""
        import cv2

        if self.jsonl:
            self.jsonl.write(json.dumps(record, ensure_ascii=False) + "\n")
            self.jsonl.flush()
        if self.save is None or annotated is None:
            return
        if self.save.suffix.lower() in (".mp4", ".avi"):
            if self.video is None:
                h, w = annotated.shape[:2]
                fourcc = cv2.VideoWriter.fourcc(*("mp4v" if self.save.suffix.lower() == ".mp4" else "MJPG"))
                self.video = cv2.VideoWriter(str(self.save), fourcc, self.fps or 2.0, (w, h))
            self.video.write(annotated)
        else:
            cv2.imwrite(str(self.save / f"frame_{record['frame']:06d}.jpg"), annotated)

    def close(self) -> None:
        """Flush and close the outputs."""
        if self.jsonl:
            self.jsonl.close()
        if self.video is not None:
            self.video.release()


def register(app: typer.Typer) -> None:
    """Add ``detect`` to the ``gridpatrol`` app."""

    @app.command()
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
        fps: Annotated[
            float | None, typer.Option("--fps", help="Frames analysed per second (0: all of a file).")
        ] = None,
        tiling: Annotated[str | None, typer.Option("--tiling", help="auto, on or off.")] = None,
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

        from gridpatrol.cli import console, fail, state

        os.environ.setdefault("YOLO_OFFLINE", "1")
        from mission_planner.errors import PlanningError
        from vision.detections import track_ids
        from vision.detector import ModelError
        from vision.geolocate import Pose
        from vision.incidents import annotate
        from vision.pipeline import Pipeline
        from vision.sources import SourceError, open_source

        settings = state.settings
        cfg = settings.vision
        updates: dict[str, Any] = {}
        if fps is not None:
            if fps < 0:
                fail("--fps must be 0 (every frame of a file) or more")
            updates["analyse_fps"] = fps or 120.0  # 0: every frame of a file, as fast as possible for a stream
        if tiling is not None:
            if tiling not in ("auto", "on", "off"):
                fail(f"--tiling {tiling!r}: use auto, on or off")
            cfg = cfg.model_copy(update={"detector": cfg.detector.model_copy(update={"tiling": tiling})})
        if no_masks:
            cfg = cfg.model_copy(update={"masks": cfg.masks.model_copy(update={"enabled": False})})
        cfg = cfg.model_copy(update=updates)
        try:
            cam = load_camera(camera, settings.planner.camera)
            area = None
            if district is not None:
                from mission_planner.district_io import load_district

                area = load_district(district)
            alt = altitude if altitude is not None else settings.planner.alt_m
            if alt <= 0:
                fail("--altitude must be above 0 m")
            pose = Pose(
                lat=lat,
                lon=lon,
                alt_rel=alt,
                yaw=heading,
                gimbal_pitch=gimbal_pitch if gimbal_pitch is not None else cam.gimbal_pitch_deg,
            )
            pipe = Pipeline(
                cfg, cam, area, drone_id=drone_id, mission_id=mission_id, data_dir=settings.station.data_dir
            )
            frames = open_source(
                source,
                fps=0.0 if fps == 0 else cfg.analyse_fps,
                timeout_s=cfg.open_timeout_s,
                reconnect_s=cfg.reconnect_s,
            )
        except (ValueError, PlanningError, ModelError, SourceError) as exc:
            fail(str(exc))
            return
        if not frames.live:  # recordings are not watched live: check every face, whatever the per-frame budget
            pipe.masks.cfg = pipe.masks.cfg.model_copy(update={"max_checks_per_frame": 0})
        if not pipe.masks.available and cfg.masks.enabled:
            console.print(Text.assemble(("masks not checked:", "yellow"), " ", pipe.masks.reason))
        writer = Writer(jsonl, save, frames.rate)
        total = len(getattr(frames, "files", [])) or None
        people_seen: set[int] = set()
        n_incidents = 0
        columns = (
            TextColumn("[bold]detect"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[info]}"),
        )
        try:
            with frames, Progress(*columns, console=console, transient=False) as progress:
                task = progress.add_task("frames", total=total, info="")
                for frame in frames:
                    result = pipe.process(frame.image, frame.t, pose)
                    record = {"frame": frame.index, **result.to_json()}
                    if frame.name:
                        record["file"] = frame.name
                    out = annotate(frame.image, result.people) if save is not None else None
                    writer.write(record, out)
                    people_seen.update(int(i) for i in track_ids(result.people) if i >= 0)
                    n_incidents += len(result.incidents)
                    info = f"{len(result.people)} people, {n_incidents} incidents, {result.timings_ms['total']:.0f} ms"
                    progress.update(task, advance=1, info=info)
                    if max_frames and frame.index + 1 >= max_frames:
                        break
        except SourceError as exc:
            fail(str(exc))
        finally:
            writer.close()
        console.print(f"{len(people_seen)} people tracked, {n_incidents} incidents")
