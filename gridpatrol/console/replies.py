"""The station's answers in the operator's language: what an action did, or why it was refused, in zh or en.

The station words its answers in English where they are made (the terminal, the audit log and the tests read
them so). The console page says which language its operator reads (``X-Console-Lang: zh``), and
:class:`Replies` puts the ``result`` or ``detail`` of each answer to a POST into that language, by the patterns
below: ids, names and numbers are carried over as they are, and a sentence without a pattern stays English rather
than be guessed. Only answers to the page's own requests are touched; the audit log keeps the English.

Example:
    >>> translate("drone-1 paused (holding position)", "zh")
    'drone-1 已暂停（悬停）'
    >>> translate("go-to refused: the drone is not flying; launch it first", "zh")
    '飞往被拒绝：无人机不在飞行中；请先起飞'
    >>> translate("something new", "zh")
    'something new'
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"x-console-lang"

#: English pattern (whole sentence) -> Chinese; named groups are carried over, ``{rest}`` is translated again.
ZH: list[tuple[str, str]] = [
    (r"(?P<d>\S+) paused \(holding position\)", "{d} 已暂停（悬停）"),
    (r"(?P<d>\S+) resumed its mission", "{d} 已继续执行任务"),
    (r"(?P<d>\S+) landing where it is \(LAND\)", "{d} 正在原地降落（LAND）"),
    (r"(?P<d>\S+) will say: (?P<t>.*)", "{d} 将喊话：{t}"),
    (r"(?P<d>\S+) will play your voice: .*", "{d} 将播放您的语音"),
    (
        r"(?P<d>\S+) flying to (?P<w>.*) \(GUIDED\); resume to go back to the mission",
        "{d} 正飞往 {w}（GUIDED）；点“继续”回到任务",
    ),
    (
        r"(?P<d>\S+) investigating incident (?P<i>\S+): fly there, hover, warn, then back to the route",
        "{d} 前往查看事件 {i}：飞过去、悬停、喊话，然后回到航线",
    ),
    (r"RTL commanded", "已发出返航（RTL）指令"),
    (r"stopped before take-off", "起飞前已停止"),
    (
        r"(?P<d>\S+) skips the rest of grid (?P<g>\S+): on to mission item (?P<n>\d+)",
        "{d} 跳过网格 {g} 的剩余部分：前往航点 {n}",
    ),
    (r"grid (?P<g>\S+) will be skipped when (?P<d>\S+) gets there (?P<x>.*)", "{d} 到达时将跳过网格 {g} {x}"),
    (r"grid (?P<g>\S+) is already skipped on (?P<d>\S+)", "{d} 已跳过网格 {g}"),
    (r"launched (?P<d>.*) over grid\(s\) (?P<g>.*) \(sortie (?P<n>\d+)\)", "已起飞：{d}，巡逻网格 {g}（第 {n} 架次）"),
    (r"launched (?P<d>.*) over grid\(s\) (?P<g>.*)", "已起飞：{d}，巡逻网格 {g}"),
    (r"still flying: (?P<d>.*); launch it again once it has landed", "仍在飞行：{d}；降落后才能再次起飞"),
    (
        r"no sortie (?P<n>\d+): (?P<x>.*); choose a sortie they all have",
        "没有第 {n} 架次：{x}；请选择所有无人机都有的架次",
    ),
    (r"observers watch only; an operator login is needed to .*", "观察员只能查看；需要操作员账号才能操作"),
    (r"no drone (?P<d>'[^']*'); the drones are (?P<k>.*)", "没有无人机 {d}；现有无人机：{k}"),
    (r"(?P<a>\S+) on (?P<d>\S+) needs confirmation", "{d} 的 {a} 操作需要确认"),
    (r"launching needs confirmation", "起飞需要确认"),
    (r"(?P<d>\S+) is not connected yet", "{d} 尚未连接"),
    (r"no incident (?P<i>'[^']*') seen by this station", "本站没有事件 {i}"),
    (r"no phrase (?P<p>'[^']*'); the phrases are (?P<k>.*)", "没有短语 {p}；现有短语：{k}"),
    (r"there is nothing to say: type some words or pick a phrase", "没有可说的内容：请输入文字或选择短语"),
    (r"the text has (?P<n>\d+) characters; at most (?P<m>\d+) are spoken", "文字有 {n} 个字符；最多播报 {m} 个"),
    (r"no (?:voice for )?language (?P<l>'[^']*'); use one of (?P<k>.*)", "没有语言 {l}；可用：{k}"),
    (r"go-to refused: (?P<rest>.*)", "飞往被拒绝：{rest}"),
    (r"the drone is not flying; launch it first", "无人机不在飞行中；请先起飞"),
    (
        r"the point \((?P<p>[^)]*)\) is outside the fence; pick a point inside it",
        "该点（{p}）在电子围栏外；请选择围栏内的点",
    ),
    (
        r"the point is inside the no-fly zone (?P<z>.*); pick a point outside it",
        "该点在禁飞区 {z} 内；请选择禁飞区外的点",
    ),
    (r"the height (?P<h>\S+) m is outside (?P<r>\S+) m above home", "高度 {h} 米超出起飞点上方 {r} 米的范围"),
    (
        r"the straight way there leaves the fence; go to a point on the way first",
        "直线航路会飞出电子围栏；请先飞往途中的点",
    ),
    (r"the way there leaves the area this drone's uploaded fence allows", "航路超出了该无人机已上传围栏允许的范围"),
    (r"no grid (?P<g>.*); the grids are (?P<k>.*)", "没有网格 {g}；现有网格：{k}"),
    (r"no pattern (?P<p>'[^']*'); use one of (?P<k>.*)", "没有航线样式 {p}；可用：{k}"),
    (r"the planner refused: (?P<x>.*)", "规划被拒绝：{x}"),
    (
        r"the recording is silent; check that the browser may use the microphone",
        "录音没有声音；请检查浏览器是否允许使用麦克风",
    ),
    (r"the recording is (?P<s>\S+) s long; hold the talk button while you speak", "录音只有 {s} 秒；讲话时请按住按钮"),
    (r"missing or wrong CSRF token; reload the console", "CSRF 令牌缺失或错误；请刷新操作台"),
    (
        r"log in first \(the login ended, expired or its account was disabled\)",
        "请先登录（登录已结束、过期或账号已停用）",
    ),
]
_COMPILED = [(re.compile(rf"^{pattern}$", re.S), zh) for pattern, zh in ZH]


def translate(text: str, lang: str) -> str:
    """``text`` in ``lang`` (``zh``) where a pattern knows the sentence; otherwise ``text`` unchanged."""
    if lang != "zh":
        return text
    for pattern, zh in _COMPILED:
        match = pattern.match(text)
        if match is not None:
            parts = match.groupdict()
            if "rest" in parts:
                parts["rest"] = translate(parts["rest"], lang)
            return zh.format(**parts)
    return text


class Replies:
    """ASGI middleware: the ``result`` or string ``detail`` of a JSON answer to a POST, in the language the page
    asked for (header ``X-Console-Lang``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        lang = dict(scope.get("headers", [])).get(HEADER, b"").decode("latin-1") if scope["type"] == "http" else ""
        if lang != "zh" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body = b""

        async def buffered(message: Message) -> None:
            nonlocal start, body
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body += message.get("body", b"")
            if message.get("more_body", False):
                return
            body = _translated(body, lang)
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, buffered)


def _translated(body: bytes, lang: str) -> bytes:
    try:
        data: Any = json.loads(body)
    except ValueError:
        return body
    if not isinstance(data, dict):
        return body
    changed = False
    for key in ("result", "detail"):
        if isinstance(data.get(key), str):
            data[key] = translate(data[key], lang)
            changed = True
    return json.dumps(data, ensure_ascii=False).encode() if changed else body
