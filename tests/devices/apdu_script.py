"""Recorded APDU scripts: ``> C-APDU`` / ``< R-APDU`` hex lines, ``#`` comments.

:class:`ScriptedCard` replays a script as a ``transmit`` callable and fails the test
when the profile sends anything but the recorded command at that point.
"""

from __future__ import annotations

from pathlib import Path

SCRIPTS = Path(__file__).parent / "scripts"


def parse_script(text: str) -> list[tuple[bytes, bytes]]:
    steps: list[tuple[bytes, bytes]] = []
    pending: bytes | None = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        direction, hexdata = line[0], line[1:].replace(" ", "")
        if direction == ">":
            pending = bytes.fromhex(hexdata)
        elif direction == "<":
            assert pending is not None, f"answer without command: {raw}"
            steps.append((pending, bytes.fromhex(hexdata)))
            pending = None
    return steps


def load_script(name: str) -> list[tuple[bytes, bytes]]:
    return parse_script((SCRIPTS / name).read_text())


class ScriptedCard:
    """``transmit`` that checks each command against the script and replays answers."""

    def __init__(self, steps: list[tuple[bytes, bytes]]) -> None:
        self.steps = list(steps)
        self.sent: list[bytes] = []

    def __call__(self, apdu: bytes) -> tuple[bytes, int]:
        i = len(self.sent)
        self.sent.append(apdu)
        assert i < len(self.steps), f"extra APDU #{i + 1}: {apdu.hex().upper()}"
        want, answer = self.steps[i]
        assert apdu == want, f"APDU #{i + 1}: sent {apdu.hex().upper()}, " \
                             f"script has {want.hex().upper()}"
        return answer[:-2], (answer[-2] << 8) | answer[-1]

    @property
    def done(self) -> bool:
        return len(self.sent) == len(self.steps)


def record(card, apdus_from) -> str:
    """Run ``apdus_from(transmit)`` against an in-process virtual card; return a script."""
    lines: list[str] = []

    def transmit(apdu: bytes) -> tuple[bytes, int]:
        answer = card.process(apdu)
        lines.append(f"> {apdu.hex().upper()}")
        lines.append(f"< {answer.hex().upper()}")
        return answer[:-2], (answer[-2] << 8) | answer[-1]

    try:
        apdus_from(transmit)
    except Exception:  # noqa: BLE001 - record failing reads too
        pass
    return "\n".join(lines) + "\n"
