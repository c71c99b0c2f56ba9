"""``kiosk package`` builds the kiosk's Debian package (kiosk/deploy/package.py);
``kiosk repo init|add`` keeps the province repository (kiosk/deploy/repository.py)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from kiosk.cli.common import CliError
from kiosk.config import REPO_ROOT
from kiosk.deploy import repository
from kiosk.deploy.package import Builder, PackageError, architecture


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``kiosk package`` and ``kiosk repo``."""
    parser = sub.add_parser("package", help="build kiosk_<version>_<arch>.deb")
    parser.add_argument("--src", default=str(REPO_ROOT), help="source tree (default: this one)")
    parser.add_argument("--out", default=str(REPO_ROOT / "dist"), help="where the .deb goes")
    parser.add_argument("--version", dest="pkg_version", default=None,
                        help="package version (default: kiosk.__version__ of the source)")
    parser.add_argument("--wheelhouse", default=None,
                        help="take the dependencies from this directory of wheels (offline)")
    parser.set_defaults(func=run_package)

    repo = sub.add_parser("repo", help="the province apt repository (reprepro, signed)")
    actions = repo.add_subparsers(dest="action", metavar="ACTION", required=True)
    init = actions.add_parser("init", help="make an empty signed repository")
    init.add_argument("dir")
    init.add_argument("--sign-with", required=True, help="the gpg key that signs releases")
    init.add_argument("--origin", default="province")
    init.set_defaults(func=run_repo_init)
    add = actions.add_parser("add", help="publish .deb files (the kiosk, its dependencies)")
    add.add_argument("dir")
    add.add_argument("debs", nargs="+")
    add.set_defaults(func=run_repo_add)


def run_package(args: argparse.Namespace) -> int:
    """Build the package; its path is the last line printed."""
    src = Path(args.src).resolve()
    wheelhouse = Path(args.wheelhouse).resolve() if args.wheelhouse else None
    try:
        built = Builder(src, version=args.pkg_version, wheelhouse=wheelhouse).build(
            Path(args.out).resolve())
    except PackageError as exc:
        raise CliError(f"package: {exc}") from None
    size = built.path.stat().st_size / 2**20
    print(f"built {built.path.name}: version {built.version}, {built.wheels} wheels, "
          f"{size:.0f} MiB")
    print(built.path)   # the last line: the path (./kiosk.sh install reads it)
    return 0


def run_repo_init(args: argparse.Namespace) -> int:
    """Make a signed repository; print the terminals' sources entry."""
    directory = Path(args.dir).resolve()
    try:
        keyring = repository.init(directory, args.sign_with, architecture(), args.origin,
                                  env=dict(os.environ))
    except (repository.RepositoryError, PackageError) as exc:
        raise CliError(f"repo init: {exc}") from None
    print(f"repository {directory}: signed by {args.sign_with}; terminals trust {keyring}")
    print(repository.sources_line("file:" + str(directory)), end="")
    return 0


def run_repo_add(args: argparse.Namespace) -> int:
    """Publish .deb files in the repository."""
    debs = [Path(d).resolve() for d in args.debs]
    missing = [str(d) for d in debs if not d.is_file()]
    if missing:
        raise CliError(f"repo add: no such file: {missing[0]}")
    try:
        repository.add(Path(args.dir).resolve(), debs, env=dict(os.environ))
    except repository.RepositoryError as exc:
        raise CliError(f"repo add: {exc}") from None
    print(f"published {len(debs)} package(s) in {args.dir}")
    return 0
