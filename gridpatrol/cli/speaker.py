"""``gridpatrol say``, ``gridpatrol speaker-prerender`` and ``gridpatrol speaker-agent``."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from gridpatrol.cli.core import console, fail, state
from speaker.config import SinkConfig, SpeakerConfig
from speaker.net import AgentServer, NetworkSink, SinkError, parse_address
from speaker.sinks import DeviceSink, FileSink, NoSoundCardError, Sink
from speaker.synth import SynthesisError, voice_for
from speaker.worker import SynthesisWorker


def build_sink(config: SinkConfig, state_dir: Path, kind: str | None = None) -> Sink:
    """The sink named by ``kind`` (default: the configured one), falling back as configured without a sound card."""

    kind = kind or config.kind
    if kind == "network":
        if not config.key:
            raise SinkError("[speaker.sink] key is empty; set the key shared with `gridpatrol speaker-agent`")
        return NetworkSink(parse_address(config.address), config.key.encode(), config.max_queue)
    if kind == "device":
        try:
            return DeviceSink()
        except NoSoundCardError as exc:
            if config.fallback == "none":
                raise
            console.print(f"[yellow]{escape(str(exc))}[/]; falling back to the file sink")
    elif kind != "file":
        raise SinkError(f"unknown sink {kind!r}; use device, file or network")
    return FileSink(state_dir / config.directory)


def _worker(config: SpeakerConfig, state_dir: Path) -> SynthesisWorker:
    worker = SynthesisWorker(state_dir / "speaker-cache", config.engine, config.synth_timeout_s)
    worker.start()
    return worker


def register(app: typer.Typer) -> None:
    """Add the speaker commands to the ``gridpatrol`` app."""
    app.command("say")(say)
    app.command("speaker-prerender")(speaker_prerender)
    app.command("speaker-agent")(speaker_agent)


def say(
    text: Annotated[str, typer.Argument(help="What to say, e.g. 请佩戴口罩.")],
    lang: Annotated[str, typer.Option("--lang", help="Language code from [speaker.voices].")] = "zh",
    out: Annotated[Path | None, typer.Option("--out", help="WAV file to write.")] = None,
    sink: Annotated[str | None, typer.Option("--sink", help="device, file or network.")] = None,
) -> None:
    """Speak TEXT with the configured voice and engine into a WAV file or onto a sink."""

    settings = state.settings
    worker: SynthesisWorker | None = None
    try:
        voice = voice_for(settings.speaker, lang)
        target = None if out is not None else build_sink(settings.speaker.sink, settings.station.state_dir, sink)
        worker = _worker(settings.speaker, settings.station.state_dir)
        wav, _ = worker.render(text, voice)
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(wav, out)
            console.print(f"wrote {out}", markup=False)
            return
        assert target is not None
        target.play(wav)
        if isinstance(target, NetworkSink):
            target.close()
            if target.sent != 1:
                fail("the speaker agent did not take the audio (see the log above)")
        console.print(f"played on {type(target).__name__}")
    except (SynthesisError, SinkError, NoSoundCardError, OSError) as exc:
        fail(str(exc))
    finally:
        if worker is not None:
            worker.stop()


def speaker_prerender(
    grid: Annotated[list[str] | None, typer.Option("--grid", help="Grid id to pre-render (repeatable).")] = None,
) -> None:
    """Render every phrasebook entry and announcement into the cache now, with progress."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from speaker.speaker import Speaker

    settings = state.settings
    speaker = Speaker(
        settings.speaker,
        FileSink(settings.station.state_dir / "speaker-out"),
        settings.station.state_dir / "speaker-cache",
    )
    columns = (TextColumn("pre-rendering"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("prerender", total=None)
            report = speaker.prerender(grid or [], lambda done, total, _: bar.update(task, completed=done, total=total))
    except SynthesisError as exc:
        fail(str(exc))
        return
    finally:
        speaker.worker.stop()
    console.print(
        f"{report.total} phrases ready in {speaker.cache.root}: {report.rendered} rendered now, "
        f"{report.cached} already cached ({report.seconds:.1f} s)",
        markup=False,
        soft_wrap=True,  # one line whatever the terminal's width: scripts and tests read it
    )


def speaker_agent(
    listen: Annotated[str, typer.Option("--listen", help="HOST:PORT to listen on.")] = "127.0.0.1:8765",
    key: Annotated[str | None, typer.Option("--key", help="Shared HMAC key (default [speaker.sink] key).")] = None,
) -> None:
    """Receive signed audio from the station and play it on this machine's loudspeaker."""

    settings = state.settings
    secret = key or settings.speaker.sink.key
    try:
        if not secret:
            raise SinkError("no key; pass --key or set [speaker.sink] key")
        local = settings.speaker.sink.model_copy(update={"kind": "device"})
        server = AgentServer(
            parse_address(listen),
            secret.encode(),
            build_sink(local, settings.station.state_dir),
            settings.station.state_dir / "speaker-agent",
        )
    except (SinkError, NoSoundCardError, OSError) as exc:
        fail(str(exc))
        return
    console.print(f"speaker agent listening on {listen}", markup=False)
    try:
        server.serve_forever()
    finally:
        server.server_close()
