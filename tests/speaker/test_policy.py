"""Policy with a fake clock: cooldown per place and per track, repeats, overrides; the phrase cache on espeak-ng."""

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


def test_same_tracks_in_another_grid_are_not_warned_again() -> None:
    clock = FakeClock()
    policy = Policy(cooldown_s=30, clock=clock)
    assert policy.allow("crowd", "B7", tracks=["4", "5", "6"]) == 1
    clock.t = 10
    assert policy.allow("crowd", "B8", tracks=["4", "5", "6"]) is None  # the group walked on
    assert policy.allow("no_mask", "B8", tracks=["4"]) == 1  # another line is not held back
    assert policy.allow("crowd", "B9", tracks=["7", "8", "9"]) == 1  # other people
    clock.t = 31
    assert policy.allow("crowd", "B8", tracks=["4", "5", "6"]) == 1  # cooldown over


def test_track_overlap_share_decides() -> None:
    clock = FakeClock()
    policy = Policy(cooldown_s=30, track_overlap=0.5, clock=clock)
    assert policy.allow("crowd", "A1", tracks=["1", "2"]) == 1
    # 1 of 4 heard it (25 % < 50 %): a mostly new crowd is warned
    assert policy.allow("crowd", "A2", tracks=["1", "10", "11", "12"]) == 1
    # now 1, 2, 10, 11, 12 heard it: 2 of 3 (67 %) is enough to keep quiet
    assert policy.allow("crowd", "A3", tracks=["2", "12", "20"]) is None
    strict = Policy(cooldown_s=30, track_overlap=1.0, clock=clock)
    strict.allow("crowd", "A1", tracks=["1", "2"])
    assert strict.allow("crowd", "A2", tracks=["1", "2", "3"]) == 1  # one newcomer is enough when overlap = 1


def test_place_cooldown_holds_even_for_new_tracks_and_old_tracks_are_pruned() -> None:
    clock = FakeClock()
    policy = Policy(cooldown_s=5, clock=clock)
    assert policy.allow("crowd", "A1", tracks=["1"]) == 1
    assert policy.allow("crowd", "A1", tracks=["2"]) is None
    for i in range(5000):
        clock.t = 10 + i * 0.001
        policy.allow("no_mask", f"G{i}", tracks=[f"t{i}"])
    clock.t = 100
    policy.allow("no_mask", "G-last", tracks=[f"t{i}" for i in range(4100)])
    assert len(policy._track_last) <= 4100 + 1


def test_per_grid_max_repeats_override() -> None:
    policy = Policy(cooldown_s=0, max_repeats=3, clock=FakeClock())
    assert policy.allow("no_mask", "H1", max_repeats=0) is None
    assert [policy.allow("no_mask", "B2", max_repeats=1), policy.allow("no_mask", "B2", max_repeats=1)] == [1, None]


def test_cache_key_depends_on_settings_and_engine_and_cache_hits(tmp_path: Path) -> None:
    slow, fast = VoiceConfig(voice="en", rate=120), VoiceConfig(voice="en", rate=200)
    assert cache_key("hi", slow) != cache_key("hi", fast)
    assert cache_key("hi", slow, "pyttsx3") != cache_key("hi", slow, "espeak-ng")
    cache = PhraseCache(tmp_path)
    assert cache.lookup("Please wear a mask.", slow) is None
    first, hit1 = cache.get("Please wear a mask.", slow)
    second, hit2 = cache.get("Please wear a mask.", slow)
    assert (hit1, hit2) == (False, True) and first == second and first.stat().st_size > 1000
    assert cache.lookup("Please wear a mask.", slow) == first
    assert list(tmp_path.glob("*.tmp.wav")) == []
