#!/usr/bin/env bash
# Runs INSIDE the booted Debian 12 container (deploy/check-boot.sh starts it and calls one
# phase at a time), as root, with no network: apt's only source is the signed province
# repository at /srv/province. Prints "check: ..." lines and figures; exits non-zero at
# the first failed check. Leaves screenshots in $OUT.
#   install VERSION | upgrade VERSION | rollback BAD GOOD | purge | reinstall
# A container has no console and no GPU: kiosk-provision --console none --display dummy
# (the documented option for such boxes); everything else is the package's.
set -euo pipefail
OUT=${OUT:-/root/boot-check}
mkdir -p "$OUT"
say() { echo "check: $*"; }
fail() { echo "FAILED: $*"; journalctl -u kiosk --no-pager -n 40 || true; exit 1; }
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }
OOS="srgb(27,40,56)"   # the out-of-service background #1b2838 (kiosk/system/session.py)
TERMINAL=T-BOOT-0001
CENTRAL_PORT=18765     # the sandbox stands in for the centre (not the demo's 8765)
ADMIN_PORT=18766
SANDBOX=/var/lib/kiosk-sandbox   # the centre's side: it holds the key, as a centre does
PY=/opt/kiosk/current/venv/bin/python
export DEBIAN_FRONTEND=noninteractive

state() { systemctl show -p ActiveState --value kiosk; }
wait_active() {  # wait_active SECONDS
  timeout "$1" bash -c 'until [ "$(systemctl show -p ActiveState --value kiosk)" = active ]; do sleep 0.1; done'
}
main_pid() { systemctl show -p MainPID --value kiosk; }
app_pid() { pgrep -u kiosk -f "kiosk run" | head -1; }
xorg_pid() { pgrep -u kiosk -x Xorg | head -1; }
display() { journalctl -u kiosk -o cat | sed -n 's/^kiosk-session: X on \(:[0-9]*\)$/\1/p' | tail -1; }
export XAUTHORITY=/var/lib/kiosk/session/Xauthority   # the session's cookie
pixel() { import -display "$(display)" -window root -crop 1x1+5+5 -depth 8 txt:- 2>/dev/null \
  | grep -o 'srgb([0-9,]*)' | head -1; }
wait_drawn() {  # the start screen over the out-of-service background
  for _ in $(seq 600); do p=$(pixel); [ -n "$p" ] && [ "$p" != "$OOS" ] && return 0; sleep 0.1; done
  fail "the start screen was not drawn"
}
one_session() {  # exactly one runner, one Xorg and one app run as kiosk, all in kiosk.service
  local runners xorgs apps cg
  runners=$(pgrep -u kiosk -f "kiosk.system.session" | wc -l)
  xorgs=$(pgrep -u kiosk -x Xorg | wc -l)
  apps=$(pgrep -u kiosk -f "kiosk run" | wc -l)
  ps -u kiosk -o pid=,cmd= | cut -c1-90 | sed 's/^/    /'
  [ "$runners/$xorgs/$apps" = 1/1/1 ] || fail "$1: $runners runners, $xorgs Xorg, $apps apps as kiosk"
  for p in $(pgrep -u kiosk); do
    cg=$(sed -n 's/^0:://p' "/proc/$p/cgroup")   # the unified hierarchy's line
    [ "$cg" = /system.slice/kiosk.service ] || fail "$1: pid $p is in $cg"
  done
  say "$1: exactly one Xorg and one app run as kiosk, all in kiosk.service's cgroup"
}

sandbox_start() {
  systemctl stop kiosk-sandbox 2>/dev/null || true
  systemctl reset-failed kiosk-sandbox 2>/dev/null || true
  mkdir -p -m 0700 "$SANDBOX"
  systemd-run --unit kiosk-sandbox -p StateDirectory=kiosk-sandbox \
    --setenv=KIOSK__KIOSK__TERMINAL_ID=$TERMINAL \
    --setenv=KIOSK__KIOSK__DATA_DIR=$SANDBOX --setenv=KIOSK__KIOSK__LOG_DIR=$SANDBOX/log \
    --setenv=KIOSK__SECURITY__SECRETS_FILE=$SANDBOX/secrets.toml \
    $PY -m kiosk sandbox --config /opt/kiosk/current/app/config/kiosk.toml \
    --port $CENTRAL_PORT --admin-port $ADMIN_PORT --db $SANDBOX/central.db
  for _ in $(seq 300); do
    ss -lnt | grep -q "127.0.0.1:$CENTRAL_PORT " && [ -s $SANDBOX/sandbox-admin.token ] && return 0
    sleep 0.1
  done
  fail "the sandbox did not bind 127.0.0.1:$CENTRAL_PORT"
}
heartbeats() {  # how many signed heartbeats the centre took from this terminal
  curl_json "http://127.0.0.1:$ADMIN_PORT/admin/fleet/terminals" | python3 -c "
import json, sys
rows = [r for r in json.load(sys.stdin)['terminals'] if r['terminal_id'] == '$TERMINAL']
print(rows[0].get('heartbeats', 0) if rows else 0)"
}
curl_json() {
  python3 -c "
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], headers={'Authorization': 'Bearer ' + open('$SANDBOX/sandbox-admin.token').read().strip()})
print(urllib.request.urlopen(req, timeout=10).read().decode())" "$1"
}

phase_install() {
  local V=$1 t0 KEY HASH
  # 0. No network: lo only, no route, the Debian mirror unreachable.
  ip -o link | awk -F': ' '{print $2}' | tr '\n' ' ' | grep -qx "lo " || fail "interfaces: $(ip -o link)"
  ip route | grep -q . && fail "a route: $(ip route)"
  say "no network: interfaces $(ip -o link | awk -F': ' '{print $2}' | tr '\n' ' '), no route"

  # 1. apt from the signed province repository.
  t0=$(now)
  apt-get update -q 2>&1 | tail -2
  apt-get install -y -q kiosk xserver-xorg-video-dummy > "$OUT/apt-install.log" 2>&1 \
    || { tail -20 "$OUT/apt-install.log"; fail "apt-get install kiosk"; }
  say "apt-get update + install kiosk $V (and $(grep -c '^Setting up' "$OUT/apt-install.log") packages) took $(secs "$t0" "$(now)") s"
  grep '^kiosk:' "$OUT/apt-install.log" || true
  [ "$(dpkg-query -W -f='${Version}' kiosk)" = "$V" ] || fail "kiosk $V not installed"
  for p in gcc cc clang g++ chromium chromium-browser xdotool prometheus vsmartcard-vpcd swig python3-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" && fail "$p is installed"
    command -v "$p" >/dev/null && fail "$p is on PATH"
  done
  say "no compiler, browser, xdotool, prometheus or vpcd on the terminal"
  local missing="" lib
  # "not found" for a library a wheel bundles (libSDL2-2-<hash>...) is ldd not knowing
  # the loading module's RPATH: only a library found nowhere in the venv is missing.
  for lib in $(find /opt/kiosk/current/venv -name '*.so*' -type f -exec ldd {} + 2>/dev/null \
      | awk '/not found/ { print $1 }' | sort -u); do
    [ -n "$(find /opt/kiosk/current/venv -name "$lib" -print -quit)" ] || missing="$missing $lib"
  done
  [ -z "$missing" ] || fail "shared libraries missing:$missing"
  say "every library the venv's extensions link against is there"
  systemctl is-enabled -q kiosk || fail "kiosk.service not enabled"
  systemctl is-active -q pcscd.socket || fail "pcscd.socket not active"
  [ "$(state)" != active ] || fail "started before it was provisioned"
  stat -c 'check: %n %U:%G %a' /etc/kiosk /etc/kiosk/credentials /var/lib/kiosk /var/log/kiosk

  # 2. The centre's stand-in, then provisioning with the credential it issued.
  KEY=$(python3 -c "import secrets; print(secrets.token_hex(32))")
  mkdir -p -m 0700 $SANDBOX
  (umask 077; printf 'terminal_key = "%s"\ntechnician_pin_hash = "%s"\n' "$KEY" \
    "$($PY -c 'from kiosk.secrets import hash_pin; print(hash_pin("24681357", iterations=20000))')" \
    > $SANDBOX/secrets.toml)
  sandbox_start
  HASH=$($PY -c 'from kiosk.secrets import hash_pin; print(hash_pin("13579086"))')
  t0=$(now)
  $PY -c "from kiosk.deploy.credential import format_credential as f; \
print(f('$TERMINAL', bytes.fromhex('$KEY'), site='outlet'), end='')" \
    | kiosk-provision --credential - --base-url "http://127.0.0.1:$CENTRAL_PORT" \
      --hotline 12333 --technician-pin-hash "$HASH" --console none --display dummy \
    || fail "kiosk-provision"
  say "kiosk-provision (seal, config, drop-ins, start -> READY=1) took $(secs "$t0" "$(now)") s"
  [ "$(state)" = active ] || fail "not active after kiosk-provision"
  check_session "provisioned"
  check_sealed "$KEY"
  check_listeners
  check_policies
  check_kills
  check_watchdog
  check_runner_kill
  check_stop
  check_pcscd
  systemd-analyze security kiosk --no-pager | tail -1
  journalctl -u kiosk -o cat | grep '^{' | tail -1 | python3 -m json.tool >/dev/null \
    && say "journalctl -u kiosk has the kiosk's JSON lines ($(journalctl -u kiosk -o cat | grep -c '^{'))"
  for p in $(main_pid) $(app_pid) $(xorg_pid); do
    echo "  PSS $(awk '/^Pss:/{print int($2/1024)}' "/proc/$p/smaps_rollup") MiB $(ps -o cmd= -p "$p" | cut -c1-70)"
  done
  t0=$(now); timeout 150 systemctl restart kiosk
  say "systemctl restart -> READY=1: $(secs "$t0" "$(now)") s"
}

check_session() {
  local main
  main=$(main_pid)
  for p in "$main" "$(app_pid)" "$(xorg_pid)"; do
    [ "$(ps -o user= -p "$p")" = kiosk ] || fail "pid $p is not user kiosk"
  done
  local refused
  refused=$(XAUTHORITY=/dev/null xset -display "$(display)" q 2>&1 >/dev/null || true)
  echo "$refused" | grep -q "unable to open display" || fail "X server open without a cookie"
  wait_drawn
  import -display "$(display)" -window root "$OUT/$1.png"
  say "$1: runner, app and Xorg as kiosk; X refuses a client without the cookie; start screen drawn ($OUT/$1.png)"
}

check_sealed() {  # the unit started from the sealed key; no file holds it in plain text
  local key=$1 n
  grep -q terminal_key /etc/kiosk/secrets.toml && fail "the secrets file holds a key"
  [ -s /etc/kiosk/credentials/kiosk-terminal-key.cred ] || fail "no sealed credential"
  [ -s /run/credentials/kiosk.service/kiosk-terminal-key ] || fail "no decrypted credential for the running unit"
  # Every file on the disk, but the centre's stand-in (it must know the key) and the
  # kernel's and the service's in-memory file systems (/run/credentials is where systemd
  # puts the decrypted key for the running service: memory, not disk).
  { grep -rlsF --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev --exclude-dir=run \
      "$key" / 2>/dev/null || true; } | { grep -v "^$SANDBOX" || true; } > "$OUT/key-found.txt"
  n=$(wc -l < "$OUT/key-found.txt")
  [ "$n" = 0 ] || fail "the terminal key in plain text in: $(cat "$OUT/key-found.txt")"
  findmnt -n -o FSTYPE --target /run/credentials/kiosk.service | grep -q -e ramfs -e tmpfs \
    || fail "the service's credentials are not in memory"
  for _ in $(seq 600); do [ "$(heartbeats)" -ge 1 ] && break; sleep 0.1; done
  [ "$(heartbeats)" -ge 1 ] || fail "the centre took no signed heartbeat"
  say "sealed key: unit started from it (LoadCredentialEncrypted, decrypted to an in-memory mount), the centre took $(heartbeats) signed heartbeat(s), no file on disk holds the key (systemd-creds has-tpm2: $(systemd-creds has-tpm2 2>/dev/null | head -1 || true); sealed with the host key)"
}

check_listeners() {  # nothing of ours or our dependencies listens beyond loopback
  local beyond
  ss -lntup | sed 's/^/    /'
  beyond=$(ss -H -lntu | awk '{print $5}' | grep -v -e '^127\.' -e '^\[::1\]' -e '^::1' || true)
  [ -z "$beyond" ] || fail "listening beyond loopback: $beyond"
  say "listeners: loopback only (ss -lntu)"
}

check_policies() {  # the device and address policies hold for the kiosk's processes
  local cg=/sys/fs/cgroup/system.slice/kiosk.service
  grep -qx "$(xorg_pid)" $cg/cgroup.procs || fail "Xorg is not in kiosk.service's cgroup"
  grep -qx "$(app_pid)" $cg/cgroup.procs || fail "the app is not in kiosk.service's cgroup"
  # A process of ours moved into that cgroup: /dev/net/tun (10:200, which nspawn gives
  # every container) is not in DeviceAllow= (closed allows /dev/null, zero, full,
  # random, urandom besides the list).
  local tun='import os; os.close(os.open("/dev/net/tun", os.O_RDWR))'
  python3 -c "$tun" || fail "/dev/net/tun does not open outside the cgroup"
  out=$(sh -c "echo \$\$ > $cg/cgroup.procs; python3 -c '$tun' 2>&1; echo rc=\$?")
  echo "$out" | grep -q "Operation not permitted" || fail "DevicePolicy: /dev/net/tun opened ($out)"
  # IPAddressDeny=any: an address that is not the centre's nor loopback is refused.
  ip addr add 10.99.0.1/32 dev lo
  python3 -c "
import socket, time
s = socket.socket(); s.bind(('10.99.0.1', 9999)); s.listen(); time.sleep(30)" &
  local lpid=$!
  sleep 0.5
  python3 -c "import socket; socket.create_connection(('10.99.0.1', 9999), 3)" \
    || fail "cannot connect to 10.99.0.1 outside the kiosk's cgroup"
  out=$(sh -c "echo \$\$ > $cg/cgroup.procs; python3 -c \"import socket; socket.create_connection(('10.99.0.1', 9999), 3)\" 2>&1; echo rc=\$?")
  kill $lpid 2>/dev/null || true
  ip addr del 10.99.0.1/32 dev lo
  echo "$out" | grep -q "rc=0" && fail "IPAddressDeny: the kiosk's cgroup reached 10.99.0.1"
  say "in kiosk.service's cgroup (Xorg and the app are): /dev/net/tun refused (DevicePolicy), 10.99.0.1 refused (IPAddressDeny: $(echo "$out" | grep -o 'Operation not permitted\|timed out' | head -1))"
}

check_kills() {  # kill -9 of the app: out of service at once, then a fresh start screen
  for i in 1 2 3; do
    sleep 3
    local old oos_at="" p t0
    old=$(app_pid); kill -9 "$old"; t0=$(now)
    for _ in $(seq 300); do
      p=$(pixel)
      if [ -z "$oos_at" ]; then [ "$p" = "$OOS" ] && oos_at=$(now)
      elif [ -n "$p" ] && [ "$p" != "$OOS" ]; then break; fi
      sleep 0.02
    done
    [ -n "$oos_at" ] || fail "no out-of-service screen after kill -9"
    say "kill -9 of the app #$i: out of service after $(secs "$t0" "$oos_at") s, start screen back after $(secs "$t0" "$(now)") s"
  done
  [ "$(state)" = active ] || fail "not active after kill"
  one_session "after kill -9 of the app"
}

check_watchdog() {  # a frozen UI thread: systemd's watchdog restarts the whole session
  local before old_app old_xorg t0
  before=$(systemctl show -p NRestarts --value kiosk)
  old_app=$(app_pid); old_xorg=$(xorg_pid)
  kill -STOP "$old_app"; t0=$(now)
  for _ in $(seq 900); do
    [ "$(systemctl show -p NRestarts --value kiosk)" != "$before" ] && break; sleep 0.1
  done
  [ "$(systemctl show -p NRestarts --value kiosk)" != "$before" ] || fail "no watchdog restart"
  wait_active 150 || fail "not active after the watchdog restart"
  say "frozen app (SIGSTOP): the watchdog restarted the service after $(secs "$t0" "$(now)") s"
  kill -0 "$old_app" 2>/dev/null && fail "the frozen app $old_app outlived its session"
  kill -0 "$old_xorg" 2>/dev/null && fail "the old Xorg $old_xorg outlived its session"
  wait_drawn
  one_session "after the watchdog restart"
}

check_runner_kill() {  # kill -9 of the session runner: systemd ends the rest, starts anew
  local main old_app old_xorg t0
  main=$(main_pid); old_app=$(app_pid); old_xorg=$(xorg_pid)
  kill -9 "$main"; t0=$(now)
  for _ in $(seq 600); do [ "$(main_pid)" != "$main" ] && [ "$(state)" = active ] && break; sleep 0.1; done
  wait_active 150 || fail "not active after kill -9 of the runner"
  kill -0 "$old_app" 2>/dev/null && fail "the app $old_app outlived its runner"
  kill -0 "$old_xorg" 2>/dev/null && fail "Xorg $old_xorg outlived its runner"
  wait_drawn
  say "kill -9 of the session runner: active again after $(secs "$t0" "$(now)") s"
  one_session "after kill -9 of the runner"
}

check_stop() {
  systemctl stop kiosk
  [ -z "$(pgrep -u kiosk || true)" ] || fail "after systemctl stop: $(ps -u kiosk -o pid=,cmd=)"
  say "systemctl stop: no process of user kiosk left"
  timeout 150 systemctl start kiosk || fail "start after stop"
}

check_pcscd() {
  systemctl is-active -q pcscd.socket || fail "pcscd.socket"
  if systemctl is-active -q pcscd; then
    systemctl kill -s KILL pcscd; sleep 8
    say "pcscd after kill -9: $(systemctl is-active pcscd) (socket $(systemctl is-active pcscd.socket))"
  else
    say "pcscd not running (no reader); pcscd.socket $(systemctl is-active pcscd.socket)"
  fi
}

phase_upgrade() {
  local V=$1 t0
  t0=$(now)
  apt-get update -q 2>&1 | tail -1
  apt-get upgrade -y -q > "$OUT/apt-upgrade.log" 2>&1 || { tail -20 "$OUT/apt-upgrade.log"; fail "apt-get upgrade"; }
  grep '^kiosk:' "$OUT/apt-upgrade.log"
  [ "$(readlink /opt/kiosk/current)" = "releases/$V" ] || fail "current is $(readlink /opt/kiosk/current)"
  grep -q "self-check of $V passed" "$OUT/apt-upgrade.log" || fail "no self-check"
  wait_active 150 || fail "not active after the upgrade"
  wait_drawn
  say "apt-get update + upgrade to $V (self-check, switch, restart): $(secs "$t0" "$(now)") s; kept: $(ls /opt/kiosk/kept)"
  one_session "after the upgrade"
  sandbox_start   # it runs from the release that was replaced: start it from the new one
}

phase_rollback() {
  local BAD=$1 GOOD=$2 t0 t1
  # This check restarted the kiosk on purpose many times: forget those starts, so that
  # only the crash loop's count against StartLimitBurst= (10 in 10 min), as on a terminal.
  systemctl reset-failed kiosk
  t0=$(now)
  apt-get update -q 2>&1 | tail -1
  apt-get upgrade -y -q > "$OUT/apt-rollback.log" 2>&1 || { tail -20 "$OUT/apt-rollback.log"; fail "apt-get upgrade to $BAD"; }
  grep '^kiosk:' "$OUT/apt-rollback.log"
  t1=$(now)
  for _ in $(seq 3000); do [ "$(readlink /opt/kiosk/current)" = "kept/$GOOD" ] && break; sleep 0.1; done
  [ "$(readlink /opt/kiosk/current)" = "kept/$GOOD" ] || fail "no rollback from $BAD: $(readlink /opt/kiosk/current)"
  local back; back=$(now)
  wait_active 150 || fail "not active after the rollback"
  wait_drawn
  say "$BAD crash-looped: rolled back to kept/$GOOD $(secs "$t1" "$back") s after apt-get finished ($(secs "$t0" "$back") s after it began), start screen again"
  journalctl -u kiosk -o cat | grep -e "rolled back" -e "giving up" | tail -3 | sed 's/^/    /'
  [ "$(dpkg-query -W -f='${Version}' kiosk)" = "$BAD" ] || fail "dpkg does not list $BAD"
  say "dpkg lists $BAD (installed, not running); $GOOD runs from its kept copy"
  one_session "after the rollback"
}

phase_purge() {
  wait_active 60 || true
  check_session "before the purge"
  systemctl stop kiosk-sandbox 2>/dev/null || true
  rm -rf $SANDBOX /var/lib/private/kiosk-sandbox
  local uid; uid=$(id -u kiosk)
  apt-get purge -y -q kiosk > "$OUT/apt-purge.log" 2>&1 || { tail -20 "$OUT/apt-purge.log"; fail "apt-get purge"; }
  grep '^kiosk:' "$OUT/apt-purge.log" || true
  id kiosk 2>/dev/null && fail "user kiosk is still there"
  [ -z "$(pgrep -u "$uid" || true)" ] || fail "processes of uid $uid left"
  local orphans; orphans=$(find / -xdev \( -uid "$uid" -o -nouser -o -nogroup \) -print 2>/dev/null | head)
  [ -z "$orphans" ] || fail "files of the removed uid $uid: $orphans"
  [ -e /opt/kiosk ] && fail "/opt/kiosk is still there"
  [ -e /etc/kiosk ] && fail "/etc/kiosk is still there (the sealed key was not asked to be kept)"
  [ -e /etc/systemd/system/graphical.target.wants/kiosk.service ] && fail "dangling wants link"
  say "purged: no user, no process, no file owned by uid $uid; kept, owned by root: $(stat -c '%n %U' /var/lib/kiosk /var/log/kiosk 2>/dev/null | tr '\n' ' ')"
}

phase_reinstall() {  # after a purge: the same terminal set up again, as an operator would
  local KEY HASH
  apt-get install -y -q kiosk > "$OUT/apt-reinstall.log" 2>&1 || { tail -20 "$OUT/apt-reinstall.log"; fail "apt-get install after the purge"; }
  KEY=$(python3 -c "import secrets; print(secrets.token_hex(32))")
  mkdir -p -m 0700 $SANDBOX
  (umask 077; printf 'terminal_key = "%s"\ntechnician_pin_hash = "%s"\n' "$KEY" \
    "$($PY -c 'from kiosk.secrets import hash_pin; print(hash_pin("24681357", iterations=20000))')" \
    > $SANDBOX/secrets.toml)
  sandbox_start
  HASH=$($PY -c 'from kiosk.secrets import hash_pin; print(hash_pin("13579086"))')
  $PY -c "from kiosk.deploy.credential import format_credential as f; \
print(f('$TERMINAL', bytes.fromhex('$KEY'), site='medical'), end='')" \
    | kiosk-provision --credential - --base-url "http://127.0.0.1:$CENTRAL_PORT" \
      --technician-pin-hash "$HASH" --console none --display dummy \
    || fail "kiosk-provision after the purge"
  check_session "reinstalled"
  one_session "reinstalled after the purge (the data the purge gave root is the kiosk's again)"
  systemctl stop kiosk-sandbox
  rm -rf $SANDBOX /var/lib/private/kiosk-sandbox
}

case "${1:-}" in
  install) phase_install "$2" ;;
  reinstall) phase_reinstall ;;
  upgrade) phase_upgrade "$2" ;;
  rollback) phase_rollback "$2" "$3" ;;
  purge) phase_purge ;;
  *) echo "usage: $0 install VERSION | upgrade VERSION | rollback BAD GOOD | purge | reinstall"; exit 2 ;;
esac
say "phase ${1} done"
