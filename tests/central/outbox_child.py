"""Child process for the kill -9 outbox test (run: python tests/central/outbox_child.py).

``enqueue-and-send``: enqueue a confirmed pre-loss, say ENQUEUED, then try to deliver it
(the parent kills us while the answer is still on its way). ``deliver``: a restarted
terminal delivering whatever is pending, then printing the outbox stats as JSON.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiosk.central.client import CentralClient  # noqa: E402
from kiosk.central.outbox import KIND_PRE_LOSS, Outbox  # noqa: E402
from kiosk.central.outbox_sender import OutboxSender  # noqa: E402
from kiosk.config import load_settings  # noqa: E402
from kiosk.secrets import load_secrets  # noqa: E402


def main() -> int:
    mode, base_url, secrets_file, db, key, handle = sys.argv[1:7]
    settings = load_settings(environ={"KIOSK__KIOSK__DEMO": "true",
                                      "KIOSK__SECURITY__SECRETS_FILE": secrets_file,
                                      "KIOSK__KIOSK__DATA_DIR": str(Path(db).parent)})
    settings = dataclasses.replace(settings, central=dataclasses.replace(
        settings.central, base_url=base_url, read_timeout=30.0, retries=0))
    client = CentralClient(settings, load_secrets(settings))
    outbox = Outbox(db)
    if mode == "enqueue-and-send":
        outbox.enqueue(KIND_PRE_LOSS, {"body": dict(client.pre_loss_request(handle).body)},
                       key)
        print("ENQUEUED", flush=True)
    sender = OutboxSender(outbox, client)
    delivered = sender.deliver_once()
    print(json.dumps({"delivered": delivered, **dataclasses.asdict(outbox.stats())}),
          flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
