#!/usr/bin/env bash
# Boots a terminal for real, the way a province deploys one: the kiosk Debian packages
# built from a clean clone of this repo's HEAD, a signed province repository (reprepro)
# holding them and every Debian package they pull in, and a Debian 12 root filesystem
# booted under systemd-nspawn with --private-network (no network at all: apt reads the
# repository from a read-only bind mount, as a terminal reads it from the province's
# server). Inside (deploy/check-boot-inside.sh): apt install, kiosk-provision with the
# sealed key, the session under systemd (watchdog, kill -9, stop: one Xorg and one app),
# the device and address policies, listeners, apt upgrade, a crash-loop rollback (a
# release that exits at start, one that draws and then crashes), a reboot, apt purge,
# the same terminal installed and provisioned again, purged again.
# Run as root on a Debian 12 host:
#   apt-get install mmdebstrap systemd-container reprepro gnupg
#   deploy/check-boot.sh [SCRATCH_DIR]        # default /var/tmp/kiosk-boot-check
# Downloads a root filesystem and the Debian packages (about 400 MB) and the wheels: not
# part of the test suite. Figures and what it showed: docs/deploying.md.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=${1:-/var/tmp/kiosk-boot-check}
ROOT=$SCRATCH/rootfs
BASE=$SCRATCH/base-rootfs.tar
MACHINE=kiosk-boot-check
BOOT_TIMEOUT_S=120
say() { echo "[check-boot] $*" >&2; }
[ "$(id -u)" -eq 0 ] || { say "run as root"; exit 1; }
for tool in mmdebstrap systemd-nspawn nsenter git reprepro gpg; do
  command -v "$tool" >/dev/null || {
    say "missing $tool (apt-get install mmdebstrap systemd-container reprepro gnupg)"; exit 1; }
done
case "$ROOT" in /|"") say "refusing root filesystem $ROOT"; exit 1 ;; esac
[ -x "$REPO/.venv/bin/kiosk" ] || { say "run ./kiosk.sh setup first (it builds with .venv)"; exit 1; }
KIOSK="$REPO/.venv/bin/kiosk"
mkdir -p "$SCRATCH"
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.1f}')"; }

# 1. A clean clone (no extracted fonts, as git has it) and the packages built from it:
#    the release, its next version, a release that exits at start, one that draws and
#    then crashes (its app ends 8 s after it starts).
SRC=$SCRATCH/src
if [ "${REUSE_PACKAGES:-}" = 1 ] && [ -d "$SCRATCH/debs" ]; then
  # Working on the checks themselves: the packages of the last run, the scripts of now.
  rm -rf "$SRC/deploy"; cp -a "$REPO/deploy" "$SRC/deploy"
  say "REUSE_PACKAGES=1: the packages of $(git -C "$SRC" log --oneline -1)"
else
rm -rf "$SRC" "$SCRATCH/debs" "$SCRATCH/wheelhouse"
git clone -q "$REPO" "$SRC"
say "testing $(git -C "$SRC" log --oneline -1)"
V=$(sed -n 's/^__version__ = "\([^"]*\)"/\1/p' "$SRC/kiosk/__init__.py")
t0=$(now)
"$KIOSK" package --src "$SRC" --out "$SCRATCH/debs" >&2
say "kiosk package (fresh clone: wheels, fonts cut) took $(secs "$t0" "$(now)") s"
mkdir -p "$SCRATCH/wheelhouse"
dpkg-deb --fsys-tarfile "$SCRATCH/debs/kiosk_${V}_"*.deb \
  | tar -x -C "$SCRATCH/wheelhouse" --strip-components=6 "./opt/kiosk/releases/$V/wheels"
"$KIOSK" package --src "$SRC" --out "$SCRATCH/debs" --version "$V+boot2" \
  --wheelhouse "$SCRATCH/wheelhouse" >&2
variant() {  # variant NAME PYTHON-LINE: a copy of the clone whose `kiosk run` starts so
  rm -rf "$SCRATCH/$1"; cp -a "$SRC" "$SCRATCH/$1"
  python3 - "$SCRATCH/$1/kiosk/cli/run.py" "$2" <<'EOF'
import sys
path, line = sys.argv[1], sys.argv[2]
text = open(path).read()
head = "def run(args: argparse.Namespace) -> int:\n"
assert head in text, "kiosk/cli/run.py changed: the boot check's bad releases need a new spot"
open(path, "w").write(text.replace(head, head + "    " + line + "  # boot check\n", 1))
EOF
}
variant exits "raise SystemExit(3)"
"$KIOSK" package --src "$SCRATCH/exits" --out "$SCRATCH/debs" --version "$V+boot3" \
  --wheelhouse "$SCRATCH/wheelhouse" >&2
variant crashes "__import__('threading').Timer(8, __import__('os')._exit, (3,)).start()"
"$KIOSK" package --src "$SCRATCH/crashes" --out "$SCRATCH/debs" --version "$V+boot4" \
  --wheelhouse "$SCRATCH/wheelhouse" >&2
ls -l "$SCRATCH/debs" >&2
fi
V=$(sed -n 's/^__version__ = "\([^"]*\)"/\1/p' "$SRC/kiosk/__init__.py")

# 2. The root filesystem: Debian 12 with systemd, nothing of the kiosk's.
if [ ! -s "$BASE" ]; then
  say "mmdebstrap: Debian 12 into $BASE"
  mmdebstrap --variant=important --include=systemd,systemd-sysv,dbus,ca-certificates,procps,iproute2 \
    bookworm "$BASE" http://deb.debian.org/debian
fi
rm -rf "$ROOT"; mkdir -p "$ROOT"; tar -x -C "$ROOT" -f "$BASE"
echo "$MACHINE" > "$ROOT/etc/hostname"

# 3. The province repository: a throwaway signing key, the kiosk, and the Debian packages
#    it needs (downloaded here, with the network, by the root filesystem's own apt).
export GNUPGHOME=$SCRATCH/gnupg
rm -rf "$GNUPGHOME" "$SCRATCH/repo"; mkdir -m 0700 "$GNUPGHOME"
gpg --batch --pinentry-mode loopback --passphrase '' --quick-gen-key \
  "Province kiosk repository (boot check) <repo@province.invalid>" ed25519 sign never 2>/dev/null
FPR=$(gpg --batch --with-colons --list-keys | awk -F: '/^fpr/ { print $10; exit }')
"$KIOSK" repo init "$SCRATCH/repo" --sign-with "$FPR" >&2
systemd-nspawn -q -D "$ROOT" --register=no --keep-unit --pipe \
  --bind-ro="$SCRATCH/debs:/srv/debs" sh -c "
  apt-get update -qq && apt-get install -y -qq --download-only --no-install-recommends \
    /srv/debs/kiosk_${V}_*.deb xserver-xorg-video-dummy" >&2
"$KIOSK" repo add "$SCRATCH/repo" "$ROOT"/var/cache/apt/archives/*.deb \
  "$SCRATCH/debs/kiosk_${V}_"*.deb >&2
say "province repository: $(ls "$ROOT"/var/cache/apt/archives/*.deb | wc -l) Debian packages + kiosk $V, $(du -sh "$SCRATCH/repo/pool" | cut -f1)"
# The terminal knows only the province repository, and its key.
rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/*
rm -f "$ROOT/etc/apt/sources.list"; rm -rf "$ROOT"/etc/apt/sources.list.d/*
mkdir -p "$ROOT/etc/apt/keyrings"
cp "$SCRATCH/repo/kiosk-archive-keyring.gpg" "$ROOT/etc/apt/keyrings/"
"$REPO/.venv/bin/python" -c "from kiosk.deploy.repository import sources_line; \
print(sources_line('file:/srv/province'), end='')" > "$ROOT/etc/apt/sources.list.d/province.list"

LEADER=""
NSPAWN=""
boot() {  # boot the container; LEADER = its PID 1 as the host sees it
  # The host's PID 1 is not systemd: no machined to register with, no scope to make.
  # cgroup v2 inside. --private-network: no interface but lo; the repository and the
  # check scripts come in as read-only bind mounts. --system-call-filter=bpf: nspawn's
  # filter otherwise keeps the container's systemd from attaching its BPF programs, and
  # DevicePolicy=/IPAddressDeny= would silently do nothing (seen: no program on the
  # unit's cgroup, /dev/net/tun opened); on a real terminal systemd attaches them.
  SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 setsid systemd-nspawn -b -D "$ROOT" -M "$MACHINE" \
    --register=no --keep-unit --console=passive --private-network --system-call-filter=bpf \
    --bind-ro="$SCRATCH/repo:/srv/province" --bind-ro="$SRC/deploy:/root/check" \
    >"$SCRATCH/nspawn-$1.log" 2>&1 </dev/null &
  NSPAWN=$!
  for _ in $(seq 100); do
    LEADER=$(pgrep -P "$NSPAWN" | head -1 || true)
    [ -n "$LEADER" ] && break
    sleep 0.1
  done
  [ -n "$LEADER" ] || { say "the container did not start: $SCRATCH/nspawn-$1.log"; exit 1; }
  for _ in $(seq 100); do inside systemctl is-system-running >/dev/null 2>&1 && break
    [ "$(inside systemctl is-system-running 2>/dev/null)" = starting ] && break; sleep 0.1; done
  inside timeout "$BOOT_TIMEOUT_S" systemctl is-system-running --wait || true
}
inside() {  # a command in the container's namespaces, with a clean environment
  nsenter -t "$LEADER" -a env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 "$@"
}
phase() { inside bash /root/check/check-boot-inside.sh "$@"; }
publish() {  # publish VERSION: the province repository gets that release
  "$KIOSK" repo add "$SCRATCH/repo" "$SCRATCH/debs/kiosk_$1_"*.deb >&2
  say "published kiosk $1"
}
poweroff() {
  inside systemctl poweroff || true
  for _ in $(seq 1200); do kill -0 "$NSPAWN" 2>/dev/null || return 0; sleep 0.1; done
  say "the container did not power off in 120 s; terminating it"
  kill -TERM "$NSPAWN"; sleep 1; kill -TERM "$NSPAWN" 2>/dev/null || true   # twice: at once
  wait "$NSPAWN" 2>/dev/null || true
}
trap '[ -n "$NSPAWN" ] && kill -0 "$NSPAWN" 2>/dev/null && poweroff' EXIT

boot 1
phase install "$V"
publish "$V+boot2"; phase upgrade "$V+boot2"
publish "$V+boot3"; phase rollback "$V+boot3" "$V+boot2"
publish "$V+boot4"; phase rollback "$V+boot4" "$V+boot2"
poweroff

say "rebooting the container: the kiosk must come up by itself"
t0=$(now)
boot 2
for _ in $(seq "$BOOT_TIMEOUT_S"); do
  [ "$(inside systemctl show -p ActiveState --value kiosk)" = active ] && break
  sleep 1
done
t1=$(now)
state=$(inside systemctl show -p ActiveState --value kiosk)
[ "$state" = active ] || { say "FAILED: kiosk.service is $state after the reboot"; exit 1; }
main=$(inside systemctl show -p MainPID --value kiosk)
say "after the reboot: kiosk active (READY=1) $(secs "$t0" "$t1") s after the container started, as $(inside ps -o user= -p "$main")"
phase purge
phase reinstall   # the terminal set up again on what the purge left
phase purge
poweroff
say "ALL DONE"
