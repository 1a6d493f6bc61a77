"""Policy with a fake clock and the phrase cache on real espeak-ng."""

from __future__ import annotations

from pathlib import Path

from speaker.cache import PhraseCache, cache_key
from speaker.config import VoiceConfig
from speaker.policy import Policy


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_cooldown_and_max_repeats() -> None:
    clock = FakeClock()
    policy = Policy(cooldown_s=10, max_repeats=2, clock=clock)
    assert policy.allow("no_mask", "B7") == 1
    clock.t = 5
    assert policy.allow("no_mask", "B7") is None
    assert policy.allow("no_mask", "C1") == 1
    assert policy.allow("crowd", "B7") == 1
    clock.t = 11
    assert policy.allow("no_mask", "B7") == 2
    clock.t = 100
    assert policy.allow("no_mask", "B7") is None


def test_operator_is_never_throttled() -> None:
    policy = Policy(cooldown_s=10, max_repeats=1, clock=FakeClock())
    assert [policy.allow("operator", "x") for _ in range(3)] == [1, 1, 1]


def test_cache_key_depends_on_settings_and_cache_hits(tmp_path: Path) -> None:
    slow, fast = VoiceConfig(voice="en", rate=120), VoiceConfig(voice="en", rate=200)
    assert cache_key("hi", slow) != cache_key("hi", fast)
    cache = PhraseCache(tmp_path)
    first, hit1 = cache.get("Please wear a mask.", slow)
    second, hit2 = cache.get("Please wear a mask.", slow)
    assert (hit1, hit2) == (False, True) and first == second and first.stat().st_size > 1000


def test_per_grid_max_repeats_override() -> None:
    policy = Policy(cooldown_s=0, max_repeats=3, clock=FakeClock())
    assert policy.allow("no_mask", "H1", max_repeats=0) is None
    assert [policy.allow("no_mask", "B2", max_repeats=1), policy.allow("no_mask", "B2", max_repeats=1)] == [1, None]
