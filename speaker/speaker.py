"""The station's loudspeaker: ``start()``, ``warn(incident)``, ``announce(text, lang)``, ``stop()``.

``warn`` and ``announce`` only decide and queue; a background thread asks the synthesis worker for
the audio (cached or rendered) and hands it to the sink, so the station never waits on synthesis.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from pathlib import Path
from typing import Any, Protocol

from speaker.config import SpeakerConfig
from speaker.policy import PRIORITY, Broadcast, Policy, now_utc
from speaker.sinks import Sink
from speaker.synth import SynthesisError, voice_for
from speaker.worker import SynthesisWorker

log = logging.getLogger(__name__)


class IncidentLike(Protocol):
    """What :meth:`Speaker.warn` needs from an incident."""

    kind: str
    count: int
    grid: str


class Speaker:
    """Queues warnings by priority (operator > crowd > no_mask > information) and plays them on a sink.

    Args:
        config: The ``[speaker]`` section.
        sink: Where audio goes.
        cache_dir: Pre-render cache, normally ``<state_dir>/speaker-cache``.
        lang: Language of warnings.
        policy: Cooldown/repeat policy (a fake clock in tests).
    """

    def __init__(
        self, config: SpeakerConfig, sink: Sink, cache_dir: Path, lang: str = "zh", policy: Policy | None = None
    ) -> None:
        self.config = config
        self.sink = sink
        self.lang = lang
        self.policy = policy or Policy(cooldown_s=config.cooldown_s, max_repeats=config.max_repeats)
        self.worker = SynthesisWorker(cache_dir)
        self.played: list[Broadcast] = []
        self._heap: list[tuple[int, int, Broadcast]] = []
        self._seq = itertools.count()
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None
        self._running = False

    def start(self) -> None:
        """Start the synthesis worker process and the playback thread."""
        self.worker.start()
        self._running = True
        self._thread = threading.Thread(target=self._loop, name="speaker", daemon=True)
        self._thread.start()

    def warn(self, incident: IncidentLike | Any, incident_id: str | None = None) -> Broadcast | None:
        """Queue the phrasebook warning for ``incident`` unless the policy keeps quiet; never blocks on audio."""
        templates = self.config.phrasebook.get(incident.kind)
        if templates is None or self.lang not in templates:
            raise SynthesisError(
                f"no phrase for incident type {incident.kind!r} in {self.lang!r}; "
                f'add [speaker.phrasebook.{incident.kind}] {self.lang} = "..."'
            )
        override = self.config.grids.get(str(incident.grid))
        repeat = self.policy.allow(incident.kind, str(incident.grid), override.max_repeats if override else None)
        if repeat is None:
            return None
        text = templates[self.lang].format(count=incident.count, grid=incident.grid)
        return self._queue(incident.kind, text, self.lang, str(incident.grid), incident_id, repeat)

    def announce(self, text: str, lang: str | None = None) -> Broadcast:
        """Queue an operator announcement; it goes before every queued warning."""
        return self._queue("operator", text, lang or self.lang, None, None, 1)

    def _queue(
        self, kind: str, text: str, lang: str, grid: str | None, incident_id: str | None, repeat: int
    ) -> Broadcast:
        voice_for(self.config, lang)
        broadcast = Broadcast(
            kind=kind, text=text, lang=lang, at=now_utc(), grid=grid, incident_id=incident_id, repeat=repeat
        )
        with self._cv:
            heapq.heappush(self._heap, (PRIORITY.get(kind, len(PRIORITY)), next(self._seq), broadcast))
            self._cv.notify()
        return broadcast

    def _loop(self) -> None:
        while True:
            with self._cv:
                while self._running and not self._heap:
                    self._cv.wait()
                if not self._running:
                    return
                _, _, broadcast = heapq.heappop(self._heap)
            try:
                voice = voice_for(self.config, broadcast.lang)
                override = self.config.grids.get(broadcast.grid or "")
                if override is not None and override.volume is not None:
                    voice = voice.model_copy(update={"volume": override.volume})
                wav, _ = self.worker.render(broadcast.text, voice)
                self.sink.play(wav)
                self.played.append(broadcast)
            except Exception:
                log.exception("could not play %r", broadcast.text)

    def stop(self) -> None:
        """Stop the playback thread and the worker; queued warnings are dropped."""
        with self._cv:
            self._running = False
            self._cv.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=35)
        self.worker.stop()
