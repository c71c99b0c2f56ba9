#!/usr/bin/env bash
# Runs INSIDE a booted Debian 12 container (deploy/check-boot.sh starts it), as root, from
# a clean clone of the repo: the README's install, then the kiosk under the real systemd.
# Prints "check: ..." lines and figures; exits non-zero at the first failed check.
# Leaves screenshots in $OUT. Not for a real terminal: it installs a headless drop-in.
# --keep: stop before the uninstall (the host script then reboots the container).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/root/boot-check}
mkdir -p "$OUT"
say() { echo "check: $*"; }
fail() { echo "FAILED: $*"; exit 1; }
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }
OOS="srgb(27,40,56)"   # the out-of-service background #1b2838 (kiosk/system/session.py)

# 1. The README's commands.
t0=$(now)
./kiosk.sh install
say "kiosk.sh install took $(secs "$t0" "$(now)") s"
dpkg-query -W vsmartcard-vpcd >/dev/null 2>&1 && fail "vsmartcard-vpcd is installed"
id kiosk
cp /etc/kiosk/secrets.toml.template /etc/kiosk/secrets.toml
KEY=$(python3 -c "import secrets; print(secrets.token_hex(32))")
HASH=$(echo 13579086 | /opt/kiosk/current/venv/bin/python -c \
  "from kiosk.secrets import hash_pin; print(hash_pin(input()))")
sed -i "s/^terminal_key = \"\"/terminal_key = \"$KEY\"/; \
s/^technician_pin_hash = \"\"/technician_pin_hash = \"$HASH\"/" /etc/kiosk/secrets.toml
chown kiosk:kiosk /etc/kiosk/secrets.toml && chmod 0400 /etc/kiosk/secrets.toml

# 2. The site overlay: the central service is the sandbox on this machine's loopback.
SITE=$(sed -n 's/^site = "\([a-z]*\)".*/\1/p' /etc/kiosk/kiosk.toml)
grep -q '^\[central\]' "/etc/kiosk/sites/$SITE.toml" || printf \
  '\n[central]\nbase_url = "http://127.0.0.1:8765"   # boot check: the sandbox\n' \
  >> "/etc/kiosk/sites/$SITE.toml"
systemctl stop kiosk kiosk-sandbox 2>/dev/null || true
systemd-run --unit kiosk-sandbox -p User=kiosk -p StateDirectory=kiosk-sandbox \
  /opt/kiosk/current/venv/bin/python -m kiosk sandbox --config /etc/kiosk/kiosk.toml \
  --db /var/lib/kiosk-sandbox/central.db

# 3. A container has no console and no GPU: the dummy video driver and no VT. Everything
#    else (user, sandboxing, PAM session, notify, restart) is the installed unit's.
cp /opt/kiosk/current/app/deploy/xorg/kiosk-dummy.conf /etc/X11/kiosk-dummy.conf
mkdir -p /etc/systemd/system/kiosk.service.d
cat > /etc/systemd/system/kiosk.service.d/headless.conf <<'EOF'
[Service]
ExecStart=
ExecStart=/opt/kiosk/current/venv/bin/python -m kiosk.system.session --xorg-config kiosk-dummy.conf --config /etc/kiosk/kiosk.toml
TTYPath=
StandardInput=null
EOF
systemctl daemon-reload

# 4. Start: Type=notify, so `systemctl start` returns at READY=1 (the first frame).
t0=$(now)
timeout 150 systemctl start kiosk || fail "systemctl start kiosk"
say "systemctl start -> READY=1: $(secs "$t0" "$(now)") s"
systemctl show -p ActiveState -p SubState -p StatusText -p NRestarts kiosk
[ "$(systemctl show -p ActiveState --value kiosk)" = active ] || fail "not active"
MAIN=$(systemctl show -p MainPID --value kiosk)
app_pid() { pgrep -P "$MAIN" -f "kiosk run" | head -1; }
xorg_pid() { pgrep -P "$MAIN" -x Xorg | head -1; }
APP=$(app_pid); XORG=$(xorg_pid)
ps -o pid,user,rss,cmd -p "$MAIN,$APP,$XORG"
for p in "$MAIN" "$APP" "$XORG"; do
  [ "$(ps -o user= -p "$p")" = kiosk ] || fail "pid $p is not user kiosk"
done
say "runner, app and Xorg run as kiosk"
# The app's lines are under its syslog identifier: PAMName='s logind session scope holds
# the processes, so journald files them under session-N.scope, not kiosk.service.
D=$(journalctl -t kiosk -o cat | sed -n 's/^kiosk-session: X on \(:[0-9]*\)$/\1/p' | tail -1)
export XAUTHORITY=/var/lib/kiosk/session/Xauthority   # the session's cookie
refused=$(XAUTHORITY=/dev/null xset -display "$D" q 2>&1 >/dev/null || true)
echo "$refused" | grep -q "unable to open display" || fail "X server open without a cookie"
say "X server refuses a client without the session's cookie"
pixel() { import -display "$D" -window root -crop 1x1+5+5 -depth 8 txt:- 2>/dev/null \
  | grep -o 'srgb([0-9,]*)' | head -1; }
import -display "$D" -window root "$OUT/start.png"
say "screenshot $OUT/start.png, pixel (5,5) $(pixel) (out of service is $OOS)"
[ "$(pixel)" != "$OOS" ] || fail "the start screen is not drawn"

# 5. kill -9 of the app: the out-of-service screen at once, then a fresh start screen.
for i in 1 2 3; do
  sleep 3
  old=$(app_pid); kill -9 "$old"; t0=$(now)
  # The dead window can stay a moment: wait for the out-of-service screen, then for the
  # fresh start screen over it (import takes ~0.1 s: the figures are that coarse).
  oos_at=""
  for _ in $(seq 300); do
    p=$(pixel)
    if [ -z "$oos_at" ]; then [ "$p" = "$OOS" ] && oos_at=$(now)
    elif [ -n "$p" ] && [ "$p" != "$OOS" ]; then break; fi
    sleep 0.02
  done
  [ -n "$oos_at" ] || fail "no out-of-service screen after kill -9"
  say "kill -9 #$i: out of service after $(secs "$t0" "$oos_at") s, start screen back after $(secs "$t0" "$(now)") s"
done
import -display "$D" -window root "$OUT/after-kill.png"
[ "$(systemctl show -p ActiveState --value kiosk)" = active ] || fail "not active after kill"
say "NRestarts=$(systemctl show -p NRestarts --value kiosk) (the runner restarts the app; systemd only the session)"

# 5b. A frozen UI thread: no more WATCHDOG=1 through the relay; systemd kills and
#     restarts the service (WatchdogSec=30).
before=$(systemctl show -p NRestarts --value kiosk)
kill -STOP "$(app_pid)"; t0=$(now)
for _ in $(seq 900); do
  [ "$(systemctl show -p NRestarts --value kiosk)" != "$before" ] && break
  sleep 0.1
done
[ "$(systemctl show -p NRestarts --value kiosk)" != "$before" ] || fail "no watchdog restart"
timeout 150 bash -c 'until [ "$(systemctl show -p ActiveState --value kiosk)" = active ]; do sleep 0.1; done'
say "frozen app (SIGSTOP): systemd restarted the service after $(secs "$t0" "$(now)") s, active again"
MAIN=$(systemctl show -p MainPID --value kiosk)
D=$(journalctl -t kiosk -o cat | sed -n 's/^kiosk-session: X on \(:[0-9]*\)$/\1/p' | tail -1)

# 6. The reader service: pcscd is socket-activated; kill it and see it come back.
systemctl is-active pcscd.socket
if systemctl is-active -q pcscd; then
  systemctl kill -s KILL pcscd; sleep 8
  say "pcscd after kill -9: $(systemctl is-active pcscd) (socket $(systemctl is-active pcscd.socket))"
else
  say "pcscd not running (no reader connected yet); pcscd.socket $(systemctl is-active pcscd.socket)"
fi

# 7. Exposure, logs, memory.
systemd-analyze security kiosk --no-pager | tail -1
journalctl -t kiosk -o cat | grep '^{' | tail -1 | python3 -m json.tool >/dev/null \
  && say "journald has the kiosk's JSON lines ($(journalctl -t kiosk -o cat | grep -c '^{'))"
for p in "$MAIN" "$(app_pid)" "$(xorg_pid)" $(pgrep -u kiosk -x systemd); do
  echo "  PSS $(awk '/^Pss:/{print int($2/1024)}' "/proc/$p/smaps_rollup") MiB $(ps -o cmd= -p "$p" | cut -c1-70)"
done
stat -c 'check: %n %U %a' /var/lib/kiosk /var/log/kiosk /etc/kiosk /etc/kiosk/secrets.toml

# 8. A reboot-like restart of the service, then uninstall.
t0=$(now); timeout 150 systemctl restart kiosk
say "systemctl restart -> READY=1: $(secs "$t0" "$(now)") s"
# 9. Upgrade to a fresh clone (no extracted fonts in git), then to a release whose app
#    exits at start: the crash-loop guard must roll back to the good one.
version_copy() {  # version_copy DIR VERSION: a clone of this tree as another release
  rm -rf "$1"; git clone -q . "$1"
  sed -i "s/^__version__ = \"[^\"]*\"/__version__ = \"$2\"/" "$1/kiosk/__init__.py"
}
version_copy /root/kiosk-good 9.0.1
t0=$(now); ./kiosk.sh install --upgrade /root/kiosk-good
good=$(readlink /opt/kiosk/current)
[ "$(systemctl show -p ActiveState --value kiosk)" = active ] || fail "upgrade: not active"
ls /opt/kiosk/current/app/assets/fonts/NotoSansCJKsc-Regular.otf >/dev/null
say "upgrade to $good: $(secs "$t0" "$(now)") s, active, fonts there"
version_copy /root/kiosk-bad 9.0.2
sed -i 's/^def run(args: argparse.Namespace) -> int:$/&\n    raise SystemExit(3)  # boot check: exits at start/' \
  /root/kiosk-bad/kiosk/cli/run.py
grep -q "boot check: exits at start" /root/kiosk-bad/kiosk/cli/run.py || fail "no bad release"
t0=$(now); ./kiosk.sh install --upgrade /root/kiosk-bad || true
for _ in $(seq 1200); do [ "$(readlink /opt/kiosk/current)" = "$good" ] && break; sleep 0.1; done
[ "$(readlink /opt/kiosk/current)" = "$good" ] || fail "no rollback from the bad release"
timeout 60 bash -c 'until [ "$(systemctl show -p ActiveState --value kiosk)" = active ]; do sleep 0.1; done'
say "bad release rolled back to $good, active again, $(secs "$t0" "$(now)") s after its upgrade began"

if [ "${1:-}" = --keep ]; then   # left installed and enabled: the next boot starts it
  say "left installed (--keep)"; exit 0
fi
systemctl stop kiosk-sandbox
rm -rf /etc/systemd/system/kiosk.service.d /etc/X11/kiosk-dummy.conf
./kiosk.sh install --uninstall
dpkg-query -W vsmartcard-vpcd >/dev/null 2>&1 && fail "uninstall brought vsmartcard-vpcd"
id kiosk 2>/dev/null && fail "user kiosk is still there"
ls /etc/systemd/system/graphical.target.wants/kiosk.service 2>/dev/null && fail "dangling link"
[ -e /opt/kiosk ] && fail "/opt/kiosk is still there"
say "uninstalled: no user, no /opt/kiosk, no unit; kept: $(ls -d /etc/kiosk /var/lib/kiosk /var/log/kiosk 2>/dev/null | tr '\n' ' ')"
say "ALL DONE"
