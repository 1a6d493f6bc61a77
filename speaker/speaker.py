"""The station's loudspeaker: ``start()``, ``warn(incident)``, ``announce(text)``, ``stop()``.

``warn`` and ``announce`` only decide and queue, and return at once; a background thread picks the most
urgent job, takes its audio from the pre-rendered cache (or, for free text, asks the synthesis worker
process) and hands it to the sink. The station never waits on synthesis or playback.

Example:
    >>> speaker = Speaker(SpeakerConfig(), FileSink(Path("/tmp/out")), Path("/tmp/cache"))  # doctest: +SKIP
    >>> speaker.start(grids=["B7", "B8"])  # pre-renders the phrasebook  # doctest: +SKIP
    >>> speaker.warn(Incident(type="crowd", ts=now, people=6, grid_id="B7"))  # doctest: +SKIP
    Broadcast(kind='crowd', text='请勿聚集，保持一米以上距离', ..., outcome='queued')
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
import wave
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from speaker.address import (
    ADDRESSED_KINDS,
    DETAIL_KEY,
    PLACE_DETAIL_KEY,
    address_text,
    all_addresses,
    join_text,
    place_text,
)
from speaker.broadcast import Broadcast, now_utc
from speaker.cache import cache_key
from speaker.config import SpeakerConfig, VoiceConfig
from speaker.incident import Incident
from speaker.phrases import Template, join_wavs
from speaker.policy import PRIORITY, Policy
from speaker.sinks import Sink
from speaker.synth import SynthesisError, voice_for
from speaker.worker import SynthesisWorker

log = logging.getLogger(__name__)
Progress = Callable[[int, int, str], None]
"""``progress(done, total, text)`` during :meth:`Speaker.prerender`."""


@dataclass(frozen=True)
class PrerenderReport:
    """What :meth:`Speaker.prerender` did."""

    total: int
    rendered: int
    cached: int
    seconds: float


@dataclass(frozen=True)
class PreparedWarning:
    """A warning decided and worded by :meth:`Speaker.prepare`, not yet queued: :meth:`Speaker.play` queues it."""

    broadcast: Broadcast
    voice: VoiceConfig
    fragments: list[str] | None


@dataclass(order=True)
class _Job:
    priority: int
    seq: int
    broadcast: Broadcast = field(compare=False)
    voice: VoiceConfig = field(compare=False)
    fragments: list[str] | None = field(compare=False, default=None)
    audio: Path | None = field(compare=False, default=None)  # a recording to play as it is (push-to-talk)


def _duration_s(path: Path) -> float:
    with wave.open(str(path)) as wav:
        return wav.getnframes() / wav.getframerate()


class Speaker:
    """Queues warnings by priority (operator > crowd > no_mask > information) and plays them on a sink.

    Args:
        config: The ``[speaker]`` section.
        sink: Where audio goes.
        cache_dir: Pre-render cache, normally ``<state_dir>/speaker-cache``.
        policy: Cooldown/repeat policy (a fake clock in tests); default from ``config``.
        drone_id: Drone whose loudspeaker this is, copied into every :class:`Broadcast`.
        on_broadcast: Called from the playback thread with each finished :class:`Broadcast` (played,
            interrupted or failed), e.g. to post ``broadcast.to_api()`` to the incident log. It must not block long.
        lang: Language of warnings (default ``config.lang``).
    """

    def __init__(
        self,
        config: SpeakerConfig,
        sink: Sink,
        cache_dir: Path,
        policy: Policy | None = None,
        drone_id: str | None = None,
        on_broadcast: Callable[[Broadcast], None] | None = None,
        lang: str | None = None,
    ) -> None:
        self.config = config
        self.sink = sink
        self.lang = lang or config.lang
        voice_for(config, self.lang)
        self.policy = policy or Policy(config.cooldown_s, config.max_repeats, config.track_overlap)
        self.drone_id = drone_id
        self.on_broadcast = on_broadcast
        self.worker = SynthesisWorker(cache_dir, config.engine, config.synth_timeout_s)
        self.cache = self.worker.cache
        self.templates = {
            kind: {lang: Template.parse(text) for lang, text in texts.items()}
            for kind, texts in config.phrasebook.items()
        }
        self.played: list[Broadcast] = []
        self._heap: list[_Job] = []
        self._seq = itertools.count()
        self._cv = threading.Condition()
        self._policy_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._running = False
        self._playing: _Job | None = None
        self._busy_kind = ""
        self._busy_until = 0.0
        self._cut = False

    # --- start-up ---

    def _voice(self, lang: str, grid: str | None) -> VoiceConfig:
        voice = voice_for(self.config, lang)
        override = self.config.grids.get(grid or "")
        if override is not None and override.volume is not None:
            voice = voice.model_copy(update={"volume": override.volume})
        return voice

    def _addressed(self, grid: str | None) -> bool:
        override = self.config.grids.get(grid or "")
        return override is None or override.addressed

    def _address(self, incident: Incident, grid: str | None) -> list[str]:
        """What is said before ``incident``'s warning: where ("民生路广场附近，") and who ("穿红色上衣的行人，"), each
        when known; nothing for a crowd or in a grid where addressing is off."""
        if incident.type not in ADDRESSED_KINDS or not self._addressed(grid):
            return []
        place, who = self.config.place.get(self.lang), self.config.address.get(self.lang)
        parts = [
            None if place is None else place_text(place, self.lang, incident.details.get(PLACE_DETAIL_KEY)),
            None if who is None else address_text(who, self.lang, incident.details.get(DETAIL_KEY)),
        ]
        return [p for p in parts if p is not None]

    def prerender_plan(self, grids: Iterable[str] = (), places: Iterable[str] = ()) -> list[tuple[str, VoiceConfig]]:
        """Every (text, voice) the phrasebook and announcements can need at run time, without duplicates.

        Templates without placeholders are one text. Templates with ``{count}``/``{grid}`` are split into
        fragments (see :mod:`speaker.phrases`): their literal parts, each count in ``prerender_counts`` and
        each grid id (``grids``, ``prerender_grids`` and the keys of ``[speaker.grids]``), for every voice a
        grid can have (per-grid volume overrides). Types said to one person (no_mask) add the address of every
        colour word (``[speaker.address]``, see :mod:`speaker.address`) and of every place name in ``places``
        (``[speaker.place]``: the district's named streets and places) for the grids where it is not switched off.
        """
        places = list(dict.fromkeys(places))
        all_grids = list(dict.fromkeys([*grids, *self.config.prerender_grids, *self.config.grids]))
        low, high = self.config.prerender_counts
        counts = [str(n) for n in range(low, high + 1)]
        plan: dict[str, tuple[str, VoiceConfig]] = {}

        def add(text: str, voice: VoiceConfig) -> None:
            plan.setdefault(cache_key(text, voice, self.config.engine), (text, voice))

        for kind, by_lang in self.templates.items():
            for lang, template in by_lang.items():
                uses = {name for _, name in template.parts if name is not None}
                for grid in [None, *all_grids]:
                    voice = self._voice(lang, grid)
                    if kind in ADDRESSED_KINDS and lang in self.config.address and self._addressed(grid):
                        for text in all_addresses(self.config.address[lang], lang):
                            add(text, voice)
                    if kind in ADDRESSED_KINDS and lang in self.config.place and self._addressed(grid):
                        for name in places:
                            said = place_text(self.config.place[lang], lang, name)
                            if said is not None:
                                add(said, voice)
                    for text in template.literals():
                        add(text, voice)
                    for text in counts if "count" in uses else []:
                        add(text, voice)
                    if grid is not None and "grid" in uses:
                        add(grid, voice)
        for texts in self.config.announcements.values():
            for lang, announcement in texts.items():
                add(announcement, self._voice(lang, None))
        return list(plan.values())

    def prerender(
        self, grids: Iterable[str] = (), progress: Progress | None = None, places: Iterable[str] = ()
    ) -> PrerenderReport:
        """Render everything in :meth:`prerender_plan` into the cache through the worker (hits are skipped)."""
        start = time.monotonic()
        plan = self.prerender_plan(grids, places)
        if self.worker.process is None:
            self.worker.start()
        rendered = 0
        for i, (text, voice) in enumerate(plan):
            if self.cache.lookup(text, voice) is None:
                self.worker.render(text, voice)
                rendered += 1
            if progress is not None:
                progress(i + 1, len(plan), text)
        report = PrerenderReport(len(plan), rendered, len(plan) - rendered, time.monotonic() - start)
        log.info("speaker: %d phrases ready (%d rendered now) in %.1f s", report.total, rendered, report.seconds)
        return report

    def start(
        self,
        grids: Iterable[str] = (),
        progress: Progress | None = None,
        prerender: bool = True,
        places: Iterable[str] = (),
    ) -> None:
        """Start the synthesis worker, pre-render the phrasebook (unless ``prerender=False``), start playback.

        Args:
            grids: Grid ids of the district, pre-rendered for ``{grid}``.
            places: Names of the district's streets and places, pre-rendered for addressed warnings.
            progress: Called after each pre-rendered phrase.
            prerender: ``False`` skips it (warnings are then synthesised on demand: benchmarks only).
        """
        self.worker.start()
        if prerender:
            self.prerender(grids, progress, places)
        self._running = True
        self._thread = threading.Thread(target=self._loop, name="speaker", daemon=True)
        self._thread.start()

    # --- the station's calls ---

    def warn(self, incident: Incident) -> Broadcast | None:
        """Queue the phrasebook warning for ``incident`` unless the policy keeps quiet; never blocks on audio.

        Returns:
            The queued :class:`Broadcast`, or ``None`` when a cooldown or the repeat limit holds it back.

        Raises:
            SynthesisError: The phrasebook has no entry for the incident's type in the warning language.
        """
        prepared = self.prepare(incident)
        return None if prepared is None else self.play(prepared)

    def prepare(self, incident: Incident) -> PreparedWarning | None:
        """Decide and word the warning for ``incident`` (the policy counts it as given) without queueing it.

        The station uses it to *propose* a warning to the operator, who plays it later with :meth:`play`.

        Returns:
            The warning, ready to play, or ``None`` when a cooldown or the repeat limit holds it back.

        Raises:
            SynthesisError: The phrasebook has no entry for the incident's type in the warning language.
        """
        kind = incident.type
        template = self.templates.get(kind, {}).get(self.lang)
        if template is None:
            raise SynthesisError(
                f"no phrase for incident type {kind!r} in {self.lang!r}; "
                f'add [speaker.phrasebook.{kind}] {self.lang} = "..."'
            )
        grid = None if incident.grid_id is None else str(incident.grid_id)
        tracks = [str(t) for t in incident.track_ids]
        override = self.config.grids.get(grid or "")
        limit = override.max_repeats if override is not None else None
        with self._policy_lock:  # warn may be called from several vision threads
            # cooldowns run on the incident's own time (the frames' clock), not the station's wall clock
            repeat = self.policy.allow(kind, grid or "", limit, tracks, at=incident.ts.timestamp())
        if repeat is None:
            return None
        address = self._address(incident, grid)
        line = template.text(count=incident.people, grid=grid)
        broadcast = Broadcast(
            kind=kind,
            text=join_text(*address, line),
            language=self.lang,
            grid_id=grid,
            lat=incident.lat,
            lon=incident.lon,
            incident_id=incident.id,
            track_ids=tracks,
            drone_id=self.drone_id,
            repeat=repeat,
        )
        fragments = template.fragments(count=incident.people, grid=grid) if template.has_placeholders else None
        if address:  # said first, each from its own pre-rendered fragment
            fragments = [*address, *(fragments or [template.source])]
        return PreparedWarning(broadcast, self._voice(self.lang, grid), fragments)

    def play(self, prepared: PreparedWarning) -> Broadcast:
        """Queue a warning from :meth:`prepare` (its ``at`` becomes now); returns the queued :class:`Broadcast`."""
        broadcast = prepared.broadcast.model_copy(update={"at": now_utc()})
        return self._queue(broadcast, prepared.voice, prepared.fragments)

    def announce(self, text: str, lang: str | None = None) -> Broadcast:
        """Queue an operator message (free text, synthesised unless cached); it cuts off a warning being played."""
        if not text.strip():
            raise SynthesisError("the announcement is empty; type some words")
        lang = lang or self.lang
        broadcast = Broadcast(kind="operator", text=text, language=lang, drone_id=self.drone_id)
        return self._queue(broadcast, self._voice(lang, None), None)

    def announce_named(self, name: str, lang: str | None = None) -> Broadcast:
        """Queue the operator announcement ``name`` from ``[speaker.announcements]`` (pre-rendered)."""
        lang = lang or self.lang
        texts = self.config.announcements.get(name)
        if texts is None or lang not in texts:
            known = ", ".join(sorted(self.config.announcements)) or "none"
            raise SynthesisError(
                f"no announcement {name!r} in {lang!r} (known: {known}); add [speaker.announcements.{name}] {lang}"
            )
        return self.announce(texts[lang], lang)

    def talk(self, recording: Path, seconds: float, lang: str | None = None) -> Broadcast:
        """Queue the operator's own recorded voice (push-to-talk, checked by :mod:`speaker.recording`); like an
        announcement it goes first and cuts off a warning being played. ``lang``: what the operator spoke."""
        lang = lang or self.lang
        text = f"(operator's voice, {seconds:.1f} s)"
        broadcast = Broadcast(kind="operator", text=text, language=lang, drone_id=self.drone_id)
        return self._queue(broadcast, self._voice(lang, None), None, audio=recording)

    def _queue(
        self, broadcast: Broadcast, voice: VoiceConfig, fragments: list[str] | None, audio: Path | None = None
    ) -> Broadcast:
        priority = PRIORITY.get(broadcast.kind, len(PRIORITY))
        job = _Job(priority, next(self._seq), broadcast, voice, fragments, audio)
        with self._cv:
            heapq.heappush(self._heap, job)
            if broadcast.kind == "operator" and self._busy_kind != "operator" and time.monotonic() < self._busy_until:
                self._cut = True
                self._busy_until = 0.0
                cut = True
            else:
                cut = False
            self._cv.notify()
        if cut:
            self.sink.stop()
        return broadcast

    # --- playback ---

    def _audio(self, job: _Job) -> tuple[Path, bool]:
        """The WAV for ``job`` and whether it needed no synthesis (a recording, whole text or all fragments cached)."""
        if job.audio is not None:
            return job.audio, True
        text = job.broadcast.text
        whole = self.cache.lookup(text, job.voice)
        if whole is not None:
            return whole, True
        if job.fragments:
            parts = [self.cache.lookup(f, job.voice) for f in job.fragments]
            if all(p is not None for p in parts):
                joined = self.cache.root / "joined" / f"{cache_key(text, job.voice, self.config.engine)}.wav"
                if not joined.exists():
                    join_wavs([p for p in parts if p is not None], joined)
                return joined, True
        path, hit = self.worker.render(text, job.voice)
        return path, hit

    def _loop(self) -> None:
        while True:
            with self._cv:
                while self._running and not self._heap:
                    self._cv.wait()
                if not self._running:
                    return
                job = heapq.heappop(self._heap)
                self._playing = job
            self._play(job)

    def _play(self, job: _Job) -> None:
        update: dict[str, object] = {}
        try:
            path, cached = self._audio(job)
            with self._cv:
                now = time.monotonic()
                self._busy_until = max(self._busy_until, now) + _duration_s(path)
                self._busy_kind = job.broadcast.kind
                self._cut = False
            update = {"started_at": now_utc(), "cached": cached}
            self.sink.play(path)
            with self._cv:
                update["outcome"] = "interrupted" if self._cut else "played"
        except Exception as exc:
            log.exception("speaker: could not play %r", job.broadcast.text)
            update |= {"outcome": "failed", "error": f"{type(exc).__name__}: {exc}"}
        record = job.broadcast.model_copy(update=update)
        with self._cv:
            self._playing = None
        self.played.append(record)
        log.info(
            "broadcast %s %s %r grid=%s incident=%s tracks=%s repeat=%d cached=%s",
            record.outcome,
            record.kind,
            record.text,
            record.grid_id,
            record.incident_id,
            ",".join(record.track_ids),
            record.repeat,
            record.cached,
        )
        if self.on_broadcast is not None:
            try:
                self.on_broadcast(record)
            except Exception:
                log.exception("speaker: on_broadcast failed for %s", record.id)

    def pending(self) -> int:
        """How many jobs wait in the queue (not counting the one playing)."""
        with self._cv:
            return len(self._heap)

    def stop(self) -> None:
        """Cut off what is playing, stop the playback thread and the worker; queued warnings are dropped."""
        with self._cv:
            self._running = False
            self._cv.notify_all()
        self.sink.stop()
        if self._thread is not None:
            self._thread.join(timeout=35)
        self.worker.stop()
