"""A support bundle the centre collected is kept private at the sandbox: its directory
0700 and the file 0600 (it holds a terminal's logs), whatever the process umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def test_an_uploaded_bundle_is_private(sandbox, terminals):
    t = terminals("T-BUNDLE-0001")
    t.agent.beat()
    sent = sandbox.admin("POST", "/fleet/terminals/T-BUNDLE-0001/bundle")
    old = os.umask(0o022)
    try:
        t.agent.beat()  # takes the directive, makes and uploads the bundle
        t.agent.beat()
    finally:
        os.umask(old)
    bundle = next(b for b in sandbox.admin("GET", "/fleet/bundles")
                  if b["directive_id"] == sent["id"])
    assert bundle["complete"] == 1
    path = Path(bundle["path"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
