"""``gridpatrol say``: speak a phrase into a WAV file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from speaker.synth import SynthesisError, render, voice_for


def register(app: typer.Typer) -> None:
    """Add the speaker commands to the ``gridpatrol`` app."""

    @app.command()
    def say(
        text: Annotated[str, typer.Argument(help="What to say, e.g. 请佩戴口罩.")],
        lang: Annotated[str, typer.Option("--lang", help="Language code from [speaker.voices].")] = "zh",
        out: Annotated[Path, typer.Option("--out", help="WAV file to write.")] = Path("say.wav"),
    ) -> None:
        """Speak TEXT with the configured voice into a WAV file."""
        from gridpatrol.cli import console, fail, state

        try:
            path = render(text, voice_for(state.settings.speaker, lang), out)
        except SynthesisError as exc:
            fail(str(exc))
            return
        console.print(f"wrote {path}")
