#!/usr/bin/env bash
# The single entry: sets up a fresh Debian machine (as root) and runs the kiosk or its tests.
#   ./kiosk.sh run [kiosk run options]   start the kiosk demo (kiosk run --demo)
#   ./kiosk.sh test [pytest options]     run the whole test suite, one worker per core
#                                        (KIOSK_TEST_WORKERS=N to choose, 0 = in this process)
#   ./kiosk.sh package [options]         build kiosk_<version>_<arch>.deb into dist/
#   ./kiosk.sh install                   build that package and install it with apt (root):
#                                        this machine becomes a terminal (then kiosk-provision)
#   ./kiosk.sh setup                     only install (idempotent, quick when done)
#   ./kiosk.sh tour|bench|...            any other `kiosk` subcommand, inside the venv
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
VENV="$ROOT/.venv"
# Debian packages, in three lists (deploy/packages/*.txt, one name a line): what a
# terminal runs (the package's Depends), what building the package needs, and what only a
# development or test machine may have (vpcd, xdotool, prometheus, chromium, ...).
# `./kiosk.sh install` takes the build list only; apt brings the terminal's from the
# package's Depends, and never the development list: the kiosk refuses to start while
# the vpcd driver is installed.
package_list() { sed 's/#.*//' "deploy/packages/$1.txt" | awk 'NF { print $1 }'; }

say() { echo "[kiosk.sh] $*" >&2; }

apt_setup() {  # apt_setup LIST...: the missing packages of these lists
  local missing=() p list
  for list in "$@"; do
    for p in $(package_list "$list"); do
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || [[ " ${missing[*]} " == *" $p "* ]] || missing+=("$p")
    done
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    say "missing Debian packages: ${missing[*]} (run as root once to install them)"; exit 1
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

venv_setup() {
  local stamp="$VENV/.setup-stamp" want
  want=$(cat pyproject.toml | sha256sum | cut -c1-16)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  say "creating the virtualenv and installing the kiosk"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  # .[centre]: the province centre's database driver, for its tests (a terminal's
  # install never takes it: kiosk install installs [project] dependencies only).
  "$VENV/bin/pip" install -q --disable-pip-version-check -e ".[dev,centre]" 2>&1 \
    | { grep -v '^WARNING: Location' || true; } >&2
  echo "$want" > "$stamp"
}

assets_setup() {
  # A Simplified Chinese face for SDL2_ttf (face 0 of the Noto .ttc is Japanese).
  "$VENV/bin/python" -m kiosk.ui.fonts --quiet
}

setup() { apt_setup terminal build development; venv_setup; assets_setup; }

install_package() {  # the one install path: the package, built here, installed by apt
  [ "$(id -u)" -eq 0 ] || { say "install: run as root"; exit 1; }
  apt_setup build; venv_setup; assets_setup
  local deb
  deb=$("$VENV/bin/kiosk" package "$@" | tail -1)
  say "installing $deb with apt (its Depends come from this machine's apt sources)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall "$deb"
  say "next: kiosk-provision --credential FILE (docs/deploying.md, Provisioning)"
}

cmd=${1:-run}; [ $# -gt 0 ] && shift
case "$cmd" in
  setup) setup ;;
  run) setup; exec "$VENV/bin/kiosk" run --demo "$@" ;;  # the demo; production runs under systemd
  package) apt_setup build; venv_setup; assets_setup; exec "$VENV/bin/kiosk" package "$@" ;;
  install) install_package "$@" ;;
  test)  # pytest-xdist: each worker its own Xvfb, pcscd, sandbox and app (tests/fixtures)
    setup
    exec "$VENV/bin/python" -m pytest -n "${KIOSK_TEST_WORKERS:-$(nproc)}" --dist worksteal "$@" ;;
  *) setup; exec "$VENV/bin/kiosk" "$cmd" "$@" ;;
esac
