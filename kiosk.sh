#!/usr/bin/env bash
# The single entry: sets up a fresh Debian machine (as root) and runs the kiosk or its tests.
#   ./kiosk.sh run [kiosk run options]   start the kiosk demo (kiosk run --demo)
#   ./kiosk.sh install [options]         install this machine as a production terminal (root)
#   ./kiosk.sh test [pytest options]     run the whole test suite
#   ./kiosk.sh setup                     only install (idempotent, quick when done)
#   ./kiosk.sh tour|bench|...            any other `kiosk` subcommand, inside the venv
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
VENV="$ROOT/.venv"
APT_PACKAGES=(pcscd vsmartcard-vpcd libpcsclite-dev swig gcc python3-dev python3-venv
  xvfb xauth fonts-noto-cjk espeak-ng sox libmtdev1 libgl1-mesa-dri util-linux
  systemd iproute2 xserver-xorg-core xserver-xorg-video-dummy x11-xserver-utils xdotool x11-apps imagemagick prometheus
  chromium linux-libc-dev tzdata libxss1
  postgresql)  # the centre's tests and bench (kiosk/centre/): a private cluster each
# Left out on a production terminal (`./kiosk.sh install`): the kiosk refuses to start
# while the vpcd virtual reader driver is installed, so installing or upgrading must not
# bring it back. Nor the centre's PostgreSQL, which only the tests and the bench use here.
DEMO_ONLY_PACKAGES=(vsmartcard-vpcd postgresql)

say() { echo "[kiosk.sh] $*" >&2; }

apt_setup() {  # apt_setup [--terminal]: the packages, without the demo's on a terminal
  local missing=() p skip
  for p in "${APT_PACKAGES[@]}"; do
    if [ "${1:-}" = --terminal ]; then
      for skip in "${DEMO_ONLY_PACKAGES[@]}"; do [ "$p" = "$skip" ] && continue 2; done
    fi
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
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

setup() { apt_setup "$@"; venv_setup; assets_setup; }

cmd=${1:-run}; [ $# -gt 0 ] && shift
case "$cmd" in
  setup) setup ;;
  run) setup; exec "$VENV/bin/kiosk" run --demo "$@" ;;  # the demo; production runs under systemd
  install) setup --terminal; exec "$VENV/bin/kiosk" install "$@" ;;
  test) setup; exec "$VENV/bin/python" -m pytest "$@" ;;
  *) setup; exec "$VENV/bin/kiosk" "$cmd" "$@" ;;
esac
