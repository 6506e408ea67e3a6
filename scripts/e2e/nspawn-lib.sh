# Sourced by systemd-e2e.sh and deb-e2e.sh: TAP-like checks, and a systemd booted with systemd-nspawn and
# driven with nsenter (see docs/daemon.md, "Testing"). Set E2E_NAME (for messages) before sourcing.
pass=0; fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
bad() { echo "not ok - $*"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
skip() {
  echo "SKIP: $E2E_NAME cannot run here: $*" >&2
  [ "${FINETUNED_REQUIRE_E2E:-0}" = 1 ] && { echo "not ok - FINETUNED_REQUIRE_E2E=1 but skipped: $*"; echo "0 passed, 1 failed"; exit 1; }
  exit 77
}
require_nspawn() {
  [ "$(id -u)" -eq 0 ] || skip "needs root"
  command -v systemd-nspawn >/dev/null || skip "systemd-nspawn missing (apt-get install --no-install-recommends systemd-container)"
  command -v nsenter >/dev/null || skip "nsenter missing"
}

nspawn_pid=""; leader=""; cg=""
inside() { nsenter -t "$leader" -a "$@"; }
show() { inside systemctl show finetuned -p "$1" --value; }
journal() { inside journalctl -u finetuned --no-pager -o cat "$@" 2>/dev/null; }
wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local t=$1 what=$2; shift 2
  for _ in $(seq 1 $((t * 10))); do "$@" >/dev/null 2>&1 && { ok "$what"; return 0; }; sleep 0.1; done
  bad "$what"; return 1
}

# Runs this shell from a cgroup of its own, so nspawn's leftovers can be removed at the end.
enter_own_cgroup() {
  if [ -d /sys/fs/cgroup/systemd ] && [ -d /sys/fs/cgroup/unified ]; then
    cg="$1-$$"
    for c in systemd unified; do mkdir -p "/sys/fs/cgroup/$c/$cg" && echo $$ > "/sys/fs/cgroup/$c/$cg/cgroup.procs"; done
  fi
}

# boot_container LOG NSPAWN-ARGS... : boots systemd in the background, waits for its PID 1 and for the system to
# settle, sets $leader and $nspawn_pid; checks "container booted" and exits on failure.
boot_container() {
  local log=$1; shift
  setsid systemd-nspawn --register=no --keep-unit --private-network --console=passive "$@" \
    -b -- systemd.firstboot=off </dev/null >"$log" 2>&1 &
  nspawn_pid=$!
  for _ in $(seq 1 300); do
    leader=$(pgrep -P "$nspawn_pid" -x systemd | head -1)
    [ -n "$leader" ] && [ -S "/proc/$leader/root/run/systemd/private" ] && break
    sleep 0.1
  done
  [ -n "$leader" ] || { cat "$log"; bad "container booted"; echo "$pass passed, $fail failed"; exit 1; }
  local state
  state=$(timeout 60 nsenter -t "$leader" -a systemctl is-system-running --wait 2>/dev/null)
  check "container booted (system $state)" [ "$state" = running -o "$state" = degraded ]
}

# Powers the container off (SIGTERM, then SIGKILL, if it does not go) and removes our cgroup.
stop_container() {
  if [ -n "$leader" ] && [ -d "/proc/$leader" ]; then nsenter -t "$leader" -a systemctl poweroff >/dev/null 2>&1 || true; fi
  if [ -n "$nspawn_pid" ]; then
    for _ in $(seq 1 100); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.1; done
    kill -TERM "$nspawn_pid" 2>/dev/null; sleep 1; kill -KILL "$nspawn_pid" 2>/dev/null
  fi
  nspawn_pid=""; leader=""
  if [ -n "$cg" ]; then
    for c in systemd unified; do
      [ -d "/sys/fs/cgroup/$c/$cg" ] || continue
      echo $$ > "/sys/fs/cgroup/$c/cgroup.procs" 2>/dev/null
      find "/sys/fs/cgroup/$c/$cg" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
  fi
}
