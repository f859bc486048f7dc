# Shared pieces of scripts/quickstart and scripts/bench: messages, bounded waits, background
# services started and stopped by PID, unmounting, Debian root filesystems and OCI images.
# Source it from bash with `set -euo pipefail`; it defines functions and a few variables only.

FP_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
FP_LIB="$FP_REPO/scripts/lib"
FP_PY=/usr/bin/python3            # Debian's python3, not whatever a shim puts first on PATH
FP_NAME="${FP_NAME:-fastpull}"    # prefix of messages, set by the sourcing script
FP_PIDS=()                        # "name:pid" of every background process this script started
FP_LOGDIR=""                      # where service logs go (set by the script)
FP_PIDDIR=""                      # where pid files go, so a kept session can be stopped later

say() { printf '%s: %s\n' "$FP_NAME" "$*" >&2; }
die() { printf '%s: error: %s\n' "$FP_NAME" "$*" >&2; exit 1; }
now() { date +%s.%N; }

need_root() {
  [ "$(id -u)" -eq 0 ] || die "run as root (sudo $0): it starts containerd, mounts FUSE and overlayfs"
}

# free_port [HOST]: a TCP port nobody listens on right now.
free_port() {
  "$FP_PY" -c 'import socket,sys
s=socket.socket(); s.bind((sys.argv[1],0)); print(s.getsockname()[1]); s.close()' "${1:-127.0.0.1}"
}

# wait_until SECONDS WHAT CMD...: polls CMD every 0.2 s; dies naming WHAT after SECONDS.
wait_until() {
  local limit=$1 what=$2; shift 2
  local deadline=$(( $(date +%s) + limit ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      die "timed out after ${limit}s waiting for $what"
    fi
    sleep 0.2
  done
}

# start_bg NAME LOG CMD...: starts CMD in its own session (so Ctrl-C reaches only this script,
# which then stops it in order) and records its PID.
start_bg() {
  local name=$1 log=$2; shift 2
  setsid "$@" >"$log" 2>&1 </dev/null &
  local pid=$!
  FP_PIDS+=("$name:$pid")
  if [ -n "$FP_PIDDIR" ]; then
    mkdir -p "$FP_PIDDIR"
    echo "$pid" >"$FP_PIDDIR/$name.pid"
  fi
  say "started $name (pid $pid, log $log)"
}

# alive NAME: true while the process started as NAME runs.
alive() {
  local entry
  for entry in "${FP_PIDS[@]}"; do
    if [ "${entry%%:*}" = "$1" ]; then kill -0 "${entry#*:}" 2>/dev/null; return; fi
  done
  return 1
}

# expect_alive NAME LOG: dies with the log's tail if NAME exited.
expect_alive() {
  alive "$1" || { tail -n 20 "$2" >&2 || true; die "$1 exited early; log: $2"; }
}

# stop_pid PID NAME: TERM, up to 15 s of grace, then KILL; waits for it to be gone.
stop_pid() {
  local pid=$1 name=$2 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 75); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.2
  done
  say "$name (pid $pid) ignored TERM for 15s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# stop_named NAME: stops the process started as NAME (if any) and forgets it.
stop_named() {
  local entry keep=()
  for entry in "${FP_PIDS[@]}"; do
    if [ "${entry%%:*}" = "$1" ]; then
      stop_pid "${entry#*:}" "$1"
      [ -n "$FP_PIDDIR" ] && rm -f "$FP_PIDDIR/$1.pid"
    else
      keep+=("$entry")
    fi
  done
  FP_PIDS=("${keep[@]+"${keep[@]}"}")
}

# stop_recorded PIDDIR: stops processes a previous (kept) session recorded, newest first, but only
# when the PID still runs the command recorded beside it (a reused PID is left alone).
stop_recorded() {
  local dir=$1 f pid name
  [ -d "$dir" ] || return 0
  for f in $(ls -t "$dir"/*.pid 2>/dev/null); do
    pid=$(cat "$f"); name=$(basename "$f" .pid)
    if [ -f "$dir/$name.cmd" ] && [ -r "/proc/$pid/cmdline" ] \
        && [ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "$(cat "$dir/$name.cmd")" ]; then
      say "stopping $name left running by an earlier session (pid $pid)"
      stop_pid "$pid" "$name"
    fi
    rm -f "$f" "$dir/$name.cmd"
  done
}

# remember_cmd NAME: stores NAME's command line beside its pid file (see stop_recorded).
remember_cmd() {
  local pid
  pid=$(cat "$FP_PIDDIR/$1.pid")
  tr '\0' ' ' <"/proc/$pid/cmdline" >"$FP_PIDDIR/$1.cmd" 2>/dev/null || true
}

# mounts_under DIR: mount points at or below DIR, deepest first.
mounts_under() {
  local dir
  dir=$(readlink -f "$1")
  awk -v d="$dir" '{ gsub(/\\040/, " ", $5); if ($5 == d || index($5, d "/") == 1) print $5 }' \
    /proc/self/mountinfo | awk '{ print length, $0 }' | sort -rn | cut -d' ' -f2-
}

# unmount_under DIR: unmounts everything below DIR (lazily when busy) and says so.
unmount_under() {
  local m
  [ -d "$1" ] || return 0
  while IFS= read -r m; do
    [ -n "$m" ] || continue
    say "unmounting $m"
    umount "$m" 2>/dev/null || fusermount3 -u -z "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done < <(mounts_under "$1")
}

# shims_of SOCKET: PIDs of containerd-shim processes serving the containerd at SOCKET.
shims_of() {
  local p
  for p in /proc/[0-9]*; do
    [ -r "$p/cmdline" ] || continue
    if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q "^/usr/bin/containerd-shim[^ ]* .*-address $1 "; then
      basename "$p"
    fi
  done
}

# ---- containerd, the registry and the fastpull daemon ---------------------------------------

# write_containerd_config FILE DIR DAEMON_SOCKET: containerd with root, state and sockets in DIR,
# CRI off, and fastpull as a proxy snapshotter.
write_containerd_config() {
  local file=$1 dir=$2 fsock=$3
  mkdir -p "$dir"
  cat >"$file" <<EOF
version = 2
root = "$dir/root"
state = "$dir/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "$dir/containerd.sock"

[ttrpc]
  address = "$dir/containerd.sock.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/opt"

[proxy_plugins.fastpull]
  type = "snapshot"
  address = "$fsock"
EOF
}

# start_containerd DIR: starts containerd from DIR/config.toml and waits until it answers.
start_containerd() {
  local dir=$1
  start_bg containerd "$dir/containerd.log" containerd --config "$dir/config.toml"
  wait_until 60 "containerd on $dir/containerd.sock" \
    ctr --address "$dir/containerd.sock" version
  expect_alive containerd "$dir/containerd.log"
  [ -z "$FP_PIDDIR" ] || remember_cmd containerd
}

# stop_containerd DIR: removes every task and container this containerd knows, stops the shims
# it started, stops containerd, and unmounts container root filesystems left under DIR.
stop_containerd() {
  local dir=$1 sock=$1/containerd.sock ns id pid
  if alive containerd && ctr --address "$sock" version >/dev/null 2>&1; then
    for ns in $(ctr --address "$sock" namespaces ls -q 2>/dev/null); do
      for id in $(ctr --address "$sock" -n "$ns" tasks ls -q 2>/dev/null); do
        ctr --address "$sock" -n "$ns" tasks kill -s KILL "$id" >/dev/null 2>&1 || true
        timeout 20 ctr --address "$sock" -n "$ns" tasks delete -f "$id" >/dev/null 2>&1 || true
      done
      for id in $(ctr --address "$sock" -n "$ns" containers ls -q 2>/dev/null); do
        timeout 20 ctr --address "$sock" -n "$ns" containers delete "$id" >/dev/null 2>&1 || true
      done
    done
  fi
  stop_named containerd
  for pid in $(shims_of "$sock"); do stop_pid "$pid" containerd-shim; done
  unmount_under "$dir"
}

# write_registry_config FILE STORAGE ADDR
write_registry_config() {
  cat >"$1" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $2
  delete:
    enabled: true
http:
  addr: $3
EOF
}

# registry_up ADDR: true when the registry at ADDR answers the distribution API.
registry_up() { curl -fsS -o /dev/null "http://$1/v2/"; }

# start_daemon NAME ROOT SOCKET LOG PLAIN_HTTP: the fastpull snapshotter daemon, waits for its socket.
start_daemon() {
  local name=$1 root=$2 sock=$3 log=$4 plain=$5
  mkdir -p "$root"
  start_bg "$name" "$log" "$FP_REPO/scripts/fastpull" daemon --root "$root" --socket "$sock" \
    --plain-http "$plain" --metrics-address disabled --log-level info
  wait_until 60 "the fastpull daemon socket $sock" test -S "$sock"
  expect_alive "$name" "$log"
  [ -z "$FP_PIDDIR" ] || remember_cmd "$name"
}

# ---- images from Debian packages -------------------------------------------------------------

# debian_mirror: the Debian archive this machine's apt uses (deb.debian.org when none is found).
debian_mirror() {
  local m
  m=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
        /etc/apt/sources.list.d/*.sources 2>/dev/null \
      | grep -oE 'https?://[^ ]+/debian/?' | grep -v security | head -n1 || true)
  echo "${m:-http://deb.debian.org/debian}"
}

# debootstrap_cached DIR INCLUDE: a bookworm minbase root filesystem with the packages INCLUDE
# (comma separated, may be empty) in DIR, built once; a finished tree carries DIR/.complete.
debootstrap_cached() {
  local dir=$1 include=$2 mirror
  if [ -f "$dir/.complete" ] && [ "$(cat "$dir/.complete")" = "bookworm minbase $include" ]; then
    say "reusing the Debian root filesystem in $dir"
    return 0
  fi
  mirror=$(debian_mirror)
  say "debootstrap bookworm (minbase${include:+, with $include}) from $mirror into $dir (a few minutes, once)"
  unmount_under "$dir.tmp"
  rm -rf "$dir.tmp" "$dir"
  mkdir -p "$(dirname "$dir")"
  if ! debootstrap --variant=minbase ${include:+--include="$include"} bookworm "$dir.tmp" "$mirror" \
      >"$dir.debootstrap.log" 2>&1; then
    unmount_under "$dir.tmp"
    tail -n 20 "$dir.debootstrap.log" >&2
    die "debootstrap failed (log $dir.debootstrap.log); check that $mirror is reachable"
  fi
  unmount_under "$dir.tmp"
  rm -rf "$dir.tmp/var/cache/apt/archives/"*.deb "$dir.tmp/var/lib/apt/lists/"* "$dir.tmp/dev/"*
  mv "$dir.tmp" "$dir"
  echo "bookworm minbase $include" >"$dir/.complete"
}

# random_file PATH MIB: a file of MIB MiB of random bytes, made once.
random_file() {
  local path=$1 mib=$2
  if [ -f "$path" ] && [ "$(stat -c %s "$path")" -eq $((mib * 1048576)) ]; then return 0; fi
  say "writing $mib MiB of random bytes to $path"
  mkdir -p "$(dirname "$path")"
  openssl enc -aes-128-ctr -nosalt -pass pass:fastpull-"$mib" -in <(head -c $((mib * 1048576)) /dev/zero) \
    -out "$path.tmp" 2>/dev/null
  mv "$path.tmp" "$path"
}

# oci_image ARGS...: scripts/lib/oci-image.py (an OCI image layout from directories, cached per layer).
oci_image() { "$FP_PY" "$FP_LIB/oci-image.py" "$@"; }

# ensure_built: builds the Maven tree unless the CLI jar is newer than every source file.
ensure_built() {
  local jar="$FP_REPO/cli/target/fastpull.jar"
  if [ -f "$jar" ] && [ -z "$(find "$FP_REPO" -path "$FP_REPO/*/target" -prune -o \
        \( -name '*.java' -o -name pom.xml -o -name '*.proto' \) -newer "$jar" -print -quit)" ]; then
    say "build is up to date ($jar)"
  else
    say "building (mvn -B -ntp -DskipTests install; log $1)"
    (cd "$FP_REPO" && mvn -B -ntp -DskipTests install) >"$1" 2>&1 \
      || { tail -n 30 "$1" >&2; die "the build failed; log: $1"; }
  fi
  # The class-sharing archive the launcher maps at start (a stale one is ignored by it).
  if [ ! -f "$FP_REPO/cli/target/fastpull.jsa" ] \
      || [ -n "$(find "$jar" -newer "$FP_REPO/cli/target/fastpull.jsa" -print -quit)" ]; then
    "$FP_REPO/scripts/build-cds" >>"$1" 2>&1 || true
  fi
}

# has_command CMD: true when `fastpull CMD` exists in this build.
has_command() { "$FP_REPO/scripts/fastpull" --help 2>/dev/null | grep -qE "^ +$1( |\$)"; }
