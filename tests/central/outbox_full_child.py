"""Child for the real disk-full test: fill an Outbox on a tiny tmpfs until it refuses.

Prints ``STORED <n> KIND <kind> PENDING <pending>``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiosk.central.errors import OutboxError  # noqa: E402
from kiosk.central.outbox import KIND_PRE_LOSS, Outbox  # noqa: E402


def main() -> int:
    box = Outbox(Path(sys.argv[1]) / "outbox.sqlite3")
    stored = 0
    try:
        for n in range(100_000):
            box.enqueue(KIND_PRE_LOSS, {"card_number": "X00000019", "id_number": "1" * 18,
                                       "pad": "x" * 2000}, f"key-{n:08d}")
            stored += 1
    except OutboxError as exc:
        print(f"STORED {stored} KIND {exc.kind} PENDING {len(box.pending())}", flush=True)
        return 0
    print("NEVER FULL", flush=True)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
