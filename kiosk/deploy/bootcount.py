"""Crash-loop rollback: ``python -m kiosk.deploy.bootcount check [--root DIR]``.

``kiosk.service`` runs this (privileged, ``ExecStartPre=+``) before every start. After an
upgrade, ``/opt/kiosk/probation.json`` names the new version and where the previous one
is kept (``previous``: a directory under ``/opt/kiosk``, ``kept/<version>`` after a
package upgrade). Each start in the probation window counts; the fourth start within it
means the new version keeps crashing, so ``current`` is switched back to the previous
release and the probation ends. After the window the new version is trusted and the file
goes. :func:`on_trial` is the same test, read-only, for the session runner.

After a rollback dpkg still lists the new version as installed (its files stay in
``releases/``): the terminal runs the kept copy until the next package version arrives.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from kiosk.deploy.layout import PROBATION_MAX_STARTS, PROBATION_S, Layout


def on_trial(layout: Layout, now: float | None = None) -> bool:
    """Whether ``current`` is a release still in probation (upgraded, not yet trusted).
    Read-only; an unreadable file counts as trusted, as in :func:`check`."""
    now = time.time() if now is None else now
    try:
        data = json.loads(layout.probation.read_text(encoding="utf-8"))
        version, since = str(data["version"]), float(data["since"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return layout.current_version() == version and now - since <= PROBATION_S


def check(layout: Layout, now: float | None = None) -> str:
    """Count this start; roll back on a crash loop. Returns what was done (one word+)."""
    now = time.time() if now is None else now
    path = layout.probation
    if not path.exists():
        return "no probation"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        version, previous = str(data["version"]), str(data["previous"])
        since, starts = float(data["since"]), int(data.get("starts", 0))
    except (OSError, ValueError, KeyError, TypeError):
        path.unlink(missing_ok=True)   # unreadable: do not guess, trust what is current
        return "probation file unreadable: removed"
    if layout.current_version() != version or now - since > PROBATION_S:
        path.unlink(missing_ok=True)
        return f"{version} trusted"
    starts += 1
    if starts > PROBATION_MAX_STARTS and (layout.opt / previous).is_dir():
        layout.switch(previous)
        path.unlink(missing_ok=True)
        return (f"rolled back from {version} to {Path(previous).name} ({previous}) after "
                f"{starts - 1} quick restarts")
    path.write_text(json.dumps({**data, "starts": starts}))
    return f"{version} start {starts} in probation"


def main(argv: list[str] | None = None) -> int:
    """``check`` once, as ExecStartPre= runs it; always exit 0."""
    parser = argparse.ArgumentParser(prog="kiosk-bootcount")
    parser.add_argument("action", choices=["check"])
    parser.add_argument("--root", default="/")
    args = parser.parse_args(argv)
    print(f"kiosk-bootcount: {check(Layout(Path(args.root)))}", file=sys.stderr)
    return 0   # never block the start: rolling back is the only effect


if __name__ == "__main__":
    raise SystemExit(main())
