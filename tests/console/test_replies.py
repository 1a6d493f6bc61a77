"""The station's answers in the operator's language (gridpatrol/console/replies.py)."""

from __future__ import annotations

import re

import pytest

from gridpatrol.console.replies import ZH, translate


@pytest.mark.parametrize(("pattern", "zh"), ZH)
def test_every_pattern_fills_its_chinese_from_its_own_groups(pattern: str, zh: str) -> None:
    groups = set(re.compile(pattern).groupindex)
    assert set(re.findall(r"\{(\w+)\}", zh)) <= groups, (pattern, zh)
    assert re.search(r"[\u4e00-\u9fff]", zh), zh


def test_ids_names_and_numbers_are_carried_over_and_unknown_sentences_stay_english() -> None:
    assert translate("no drone 'drone-9'; the drones are drone-1, drone-2", "zh") == (
        "没有无人机 'drone-9'；现有无人机：drone-1, drone-2"
    )
    assert translate("the text has 51 characters; at most 50 are spoken", "zh") == "文字有 51 个字符；最多播报 50 个"
    assert translate("go-to refused: something nobody wrote a pattern for", "zh") == (
        "飞往被拒绝：something nobody wrote a pattern for"
    )
    assert translate("drone-1 paused (holding position)", "en") == "drone-1 paused (holding position)"
    assert translate("an answer with {braces} in it", "zh") == "an answer with {braces} in it"
    said = translate("drone-1 will say: {d} <script>", "zh")
    assert said == "drone-1 将喊话：{d} <script>"  # the operator's words go through as they are
