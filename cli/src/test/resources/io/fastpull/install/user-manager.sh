#!/usr/bin/env bash
# Runs inside `unshare -m --propagation private` (a mount namespace of its own, so the host's
# /run/systemd is untouched): starts a systemd user manager, starts fastpull.service under it,
# and prints what it saw as KEY=VALUE lines for SystemdUnitIT. Everything it started is ended by
# PID on the way out, also on failure.
#   $1: the test's directory (holds xdg/systemd/user/fastpull.service and the daemon's config)
#   $2: the daemon's socket
set -euo pipefail
dir=$1
socket=$2
mount -t tmpfs -o mode=0755 tmpfs /run/systemd
mkdir /run/systemd/system            # systemd --user checks it runs on a systemd-booted system
export XDG_RUNTIME_DIR=$dir/xdg-run XDG_CONFIG_HOME=$dir/xdg
mkdir -p -m 0700 "$XDG_RUNTIME_DIR"

/lib/systemd/systemd --user >"$dir/manager.log" 2>&1 &
manager=$!
echo "manager_pid=$manager"
main=0

finish() {
  status=$?
  if [ "$main" != 0 ] && kill -0 "$main" 2>/dev/null; then
    timeout 60 systemctl --user stop fastpull.service || true
    kill -KILL "$main" 2>/dev/null || true
  fi
  kill -TERM "$manager" 2>/dev/null || true
  for _ in $(seq 300); do kill -0 "$manager" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$manager" 2>/dev/null || true
  wait "$manager" 2>/dev/null || true
  exit "$status"
}
trap finish EXIT
trap 'exit 143' TERM INT

state=
for _ in $(seq 600); do
  state=$(systemctl --user is-system-running 2>/dev/null || true)
  case $state in running|degraded) break ;; esac
  kill -0 "$manager" 2>/dev/null || { echo "manager exited: $(cat "$dir/manager.log")" >&2; exit 1; }
  sleep 0.1
done
echo "manager_state=$state"

systemctl --user daemon-reload
start=0
timeout 300 systemctl --user start fastpull.service || start=$?
echo "start_exit=$start"
# the moment start returns, containerd (ordered after the unit) may dial the socket
if python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' \
    "$socket" 2>/dev/null; then
  echo "connect_after_start=ok"
else
  echo "connect_after_start=refused"
fi
main=$(systemctl --user show -p MainPID --value fastpull.service)
echo "main_pid=$main"
systemctl --user show -p Type,NotifyAccess,ActiveState,SubState,StatusText fastpull.service
echo "mounts_while_running=$(grep -c " $dir/" /proc/self/mountinfo || true)"

timeout 120 systemctl --user stop fastpull.service
echo "after_stop_ActiveState=$(systemctl --user show -p ActiveState --value fastpull.service)"
echo "after_stop_Result=$(systemctl --user show -p Result --value fastpull.service)"
if kill -0 "$main" 2>/dev/null; then echo "main_alive_after_stop=yes"; else echo "main_alive_after_stop=no"; fi
echo "mounts_after_stop=$(grep -c " $dir/" /proc/self/mountinfo || true)"
echo "journal<<"
timeout 30 journalctl --user -u fastpull.service --no-pager 2>/dev/null | tail -20 || true
echo ">>"
