"""Line breaks for Chinese text on screen (Kivy-free: the caller measures).

Kivy breaks a line only at spaces; Chinese has none, so a long sentence was cut wherever
the line was full: a word split across lines and one or two characters left alone on
the last line (停止/结算, 自动失/效。). :func:`break_lines` breaks CJK text itself:

- between any two CJK characters, but a run of Latin letters, digits and their signs
  (``2026-12-05``, ``96102``, ``*****0019``) stays whole, and spaces break as usual;
- no line starts with closing punctuation (，。、；：？！）」』”…) nor ends with opening
  punctuation (（「『“): the character before moves down with it (kinsoku);
- the last line of a paragraph keeps at least :data:`MIN_LAST` characters: when it would
  hold fewer, characters move down from the line above (never leaving that one shorter
  than the last).

Latin-only text is left to Kivy (it is wrapped at spaces already).
"""

from __future__ import annotations

import re
from collections.abc import Callable

MIN_LAST = 4   # characters on a paragraph's last line, punctuation not counted
CLOSING = set("，。、；：？！）】」』”’》〉…—,.;:?!)]}%·")
OPENING = set("（【「『“‘《〈([{")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
_TOKENS = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[\u3000-\u303f\uff00-\uffef]| +"
                     r"|[^\s\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+")


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds any Chinese character or full-width punctuation."""
    return bool(_CJK.search(text))


def _count(tokens: list[str]) -> int:
    """Characters that count for a line's length (punctuation and spaces do not)."""
    return sum(len(t) for t in tokens if t.strip() and not all(c in CLOSING | OPENING
                                                             for c in t))


def _fill(tokens: list[str], width: float, measure: Callable[[str], float]) -> list[list[str]]:
    """Greedy lines of tokens, with the punctuation rules (see the module doc)."""
    lines: list[list[str]] = []
    line: list[str] = []
    for tok in tokens:
        if not line and tok.isspace():
            continue   # a line never starts with the space it was broken at
        if line and measure("".join(line) + tok) > width:
            carry: list[str] = []
            if tok[0] in CLOSING:   # the punctuation takes the character before it along
                while len(line) > 1 and line[-1][0] in CLOSING:
                    carry.insert(0, line.pop())
                if len(line) > 1:
                    carry.insert(0, line.pop())
            while len(line) > 1 and line[-1][-1] in OPENING:
                carry.insert(0, line.pop())
            while line and line[-1].isspace():
                line.pop()
            lines.append(line)
            while carry and carry[0].isspace():
                carry.pop(0)
            line = carry
            if tok.isspace():
                continue
        line.append(tok)
    while line and line[-1].isspace():
        line.pop()
    if line or not lines:
        lines.append(line)
    return lines


def _no_orphan(lines: list[list[str]], width: float,
               measure: Callable[[str], float]) -> list[list[str]]:
    """Move characters down until the last line holds at least MIN_LAST of them."""
    while len(lines) > 1 and _count(lines[-1]) < MIN_LAST:
        above, last = lines[-2], lines[-1]
        if len(above) < 2 or _count(above) - 1 < _count(last) + 1:
            break
        moved = [above.pop()]
        while len(above) > 1 and (moved[0][0] in CLOSING or above[-1][-1] in OPENING):
            moved.insert(0, above.pop())   # keep the punctuation rules while moving
        candidate = moved + last
        if measure("".join(candidate)) > width:
            above.extend(moved)
            break
        lines[-1] = candidate
        while above and above[-1].isspace():
            above.pop()
    return lines


def break_lines(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """``text`` in lines no wider than ``width`` (as ``measure`` says; a token wider
    than a line gets a line of its own), following the rules in the module doc. Nothing
    is dropped but the spaces lines are broken at; a newline starts a new line."""
    out: list[str] = []
    for paragraph in text.split("\n"):
        lines = _fill(_TOKENS.findall(paragraph), width, measure)
        out += ["".join(line) for line in _no_orphan(lines, width, measure)]
    return out
