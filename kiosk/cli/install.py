"""``kiosk install [--root DIR] [--uninstall] [--upgrade SRC]``: make this machine a
production terminal (as root), or upgrade/remove it. See kiosk/deploy/install.py."""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

from kiosk.cli.common import CliError
from kiosk.config import REPO_ROOT
from kiosk.deploy.install import Installer, InstallError
from kiosk.deploy.layout import Layout


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("install", help="install this machine as a kiosk terminal (root)")
    parser.add_argument("--root", default="/", help="install under DIR (tests; no user made)")
    parser.add_argument("--uninstall", action="store_true", help="remove what install added")
    parser.add_argument("--upgrade", metavar="SRC", default=None,
                        help="install SRC beside the current version, self-check, switch")
    parser.add_argument("--deps-from", metavar="VENV", default=None,
                        help="reuse VENV's packages instead of pip (offline, tests)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    root = Path(args.root).resolve()
    if root == Path("/") and os.geteuid() != 0:
        raise CliError("install: run as root (or use --root DIR for a scratch install)")
    deps = Path(args.deps_from).resolve() if args.deps_from else None
    inst = Installer(Layout(root), deps_from=deps)
    try:
        if args.uninstall:
            kept = inst.uninstall()
            print("uninstalled" + (f"; kept (not empty): {', '.join(kept)}" if kept else ""))
        elif args.upgrade:
            version = inst.upgrade(Path(args.upgrade).resolve())
            print(f"current: {version}")
        else:
            version = inst.install(REPO_ROOT)
            print(f"installed: {version} under {root}")
    except InstallError as exc:
        raise CliError(f"install: {exc}") from None
    except subprocess.TimeoutExpired as exc:
        raise CliError(f"install: {' '.join(map(str, exc.cmd))[:120]} timed out") from None
    except subprocess.CalledProcessError as exc:
        raise CliError(f"install: {' '.join(map(str, exc.cmd))[:120]} failed "
                       f"(exit {exc.returncode})") from None
    for line in inst.log + inst.manifest.notes:
        print(f"  {line}")
    return 0
