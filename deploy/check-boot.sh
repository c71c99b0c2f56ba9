#!/usr/bin/env bash
# Boots the terminal for real: a Debian 12 root filesystem under systemd-nspawn, a clean
# clone of this repo's HEAD in it, the README's install, the kiosk under the container's
# own systemd (deploy/check-boot-inside.sh), a reboot of the container (the kiosk must come
# up by itself), then the uninstall. Run as root on a Debian host:
#   apt-get install mmdebstrap systemd-container
#   deploy/check-boot.sh [SCRATCH_DIR]        # default /var/tmp/kiosk-boot-check
# Downloads a root filesystem, the Debian packages and the Python wheels (about 1 GB):
# not part of the test suite. Figures and what it showed: docs/deploying.md.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=${1:-/var/tmp/kiosk-boot-check}
ROOT=$SCRATCH/rootfs
MACHINE=kiosk-boot-check
BOOT_TIMEOUT_S=120
say() { echo "[check-boot] $*" >&2; }
[ "$(id -u)" -eq 0 ] || { say "run as root"; exit 1; }
for tool in mmdebstrap systemd-nspawn nsenter git; do
  command -v "$tool" >/dev/null || { say "missing $tool (apt-get install mmdebstrap systemd-container)"; exit 1; }
done
case "$ROOT" in /|"") say "refusing root filesystem $ROOT"; exit 1 ;; esac

mkdir -p "$SCRATCH"
if [ ! -x "$ROOT/lib/systemd/systemd" ]; then
  say "debootstrapping Debian 12 into $ROOT"
  mmdebstrap --variant=important \
    --include=systemd,systemd-sysv,dbus,ca-certificates,git,python3,procps \
    bookworm "$ROOT" http://deb.debian.org/debian
fi
echo "$MACHINE" > "$ROOT/etc/hostname"
# A host that reaches PyPI through a TLS-inspecting proxy: pip in the container trusts
# the host's CA bundle (harmless otherwise).
cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/host-ca-bundle.crt"
printf '[global]\ncert = /etc/ssl/host-ca-bundle.crt\n' > "$ROOT/etc/pip.conf"
rm -rf "$ROOT/root/kiosk"
git clone -q "$REPO" "$ROOT/root/kiosk"
say "testing $(git -C "$ROOT/root/kiosk" log --oneline -1)"

LEADER=""
NSPAWN=""
boot() {  # boot the container; LEADER = its PID 1 as the host sees it
  # The host's PID 1 is not systemd: no machined to register with, no scope to make.
  # cgroup v2 in the container: with v1 (=0) stopping user@UID.service (the kiosk's PAM
  # session) waited forever on an empty cgroup, and so did the container's poweroff.
  SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 setsid systemd-nspawn -b -D "$ROOT" -M "$MACHINE" \
    --register=no --keep-unit --console=passive >"$SCRATCH/nspawn-$1.log" 2>&1 </dev/null &
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
poweroff() {
  inside systemctl poweroff || true
  for _ in $(seq 1200); do kill -0 "$NSPAWN" 2>/dev/null || return 0; sleep 0.1; done
  say "the container did not power off in 120 s; terminating it"
  kill -TERM "$NSPAWN"; sleep 1; kill -TERM "$NSPAWN" 2>/dev/null || true   # twice: at once
  wait "$NSPAWN" 2>/dev/null || true
}
trap '[ -n "$NSPAWN" ] && kill -0 "$NSPAWN" 2>/dev/null && poweroff' EXIT

boot 1
inside bash /root/kiosk/deploy/check-boot-inside.sh --keep
poweroff

say "rebooting the container: the kiosk must come up by itself"
t0=$(date +%s.%N)
boot 2
for _ in $(seq "$BOOT_TIMEOUT_S"); do
  [ "$(inside systemctl show -p ActiveState --value kiosk)" = active ] && break
  sleep 1
done
t1=$(date +%s.%N)
inside systemctl show -p ActiveState -p StatusText -p MainPID kiosk
state=$(inside systemctl show -p ActiveState --value kiosk)
[ "$state" = active ] || { say "FAILED: kiosk.service is $state after the reboot"; exit 1; }
main=$(inside systemctl show -p MainPID --value kiosk)
say "after the reboot: kiosk active (READY=1) $(python3 -c "print(f'{$t1 - $t0:.1f}')") s after the container started, as $(inside ps -o user= -p "$main")"
inside sh -c 'rm -rf /etc/systemd/system/kiosk.service.d /etc/X11/kiosk-dummy.conf;
  cd /root/kiosk && ./kiosk.sh install --uninstall && ! id kiosk 2>/dev/null && ! test -e /opt/kiosk'
say "uninstalled after the reboot"
poweroff
say "ALL DONE"
