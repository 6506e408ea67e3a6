#!/usr/bin/env bash
# End-to-end test of finetuned under a real systemd (252), booted with systemd-nspawn on the host's own tree
# (see docs/daemon.md, "Testing"). Installs the unit, sysusers/tmpfiles snippets and the built binaries into the
# container, then checks: start → READY + STATUS; a dropped pipeline runs and its events are in the journal by
# PIPELINE=; a malformed file is rejected with line:column and the service stays active; reload keeps the run
# going; stop during a stage is clean; start again resumes from the checkpoint; the watchdog never fired.
# Hostile drops (issue 8): an alias bomb, a FIFO, a symlink to /dev/zero and a `with:` list are each rejected
# while the service stays active with NRestarts=0 and a peak RSS (VmHWM) under $MEMORY_BOUND_MB MiB, and a
# valid pipeline dropped after them still runs; only pipelines/ and data/ are group-writable.
#   scripts/e2e/systemd-e2e.sh BUILD_DIR
# Exit 0 all passed, 1 a check failed, 77 cannot run here (not root, no systemd-nspawn).
set -uo pipefail
build=$(cd "${1:?usage: systemd-e2e.sh BUILD_DIR}" && pwd)
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
E2E_NAME="the systemd end-to-end test"
. "$repo/scripts/e2e/nspawn-lib.sh"
require_nspawn
swift_lib=$(ldd "$build/finetuned" | awk '/libswiftCore/ {print $3}')
toolchain=$(dirname "$(dirname "$(dirname "$(dirname "${swift_lib:-/x/x/x/x/x}")")")")

work=$(mktemp -d /tmp/finetuned-e2e.XXXXXX)
share=$work/share
mkdir -p "$share/bin"
cp "$build/finetuned" "$build/finetunectl" "$build"/finetuned-stage-* "$share/bin/" 2>/dev/null
rm -f "$share"/bin/*.product
cat > "$share/finetuned.yaml" <<YAML
plugin_dirs: [/srv/share/bin]
debounce_ms: 200
progress_log_interval: 1
stop_grace_seconds: 20
YAML
cleanup() { stop_container; rm -rf "$work"; }
trap cleanup EXIT

enter_own_cgroup e2e
binds=(--bind="$share:/srv/share")
# A volatile root brings only /usr from the host; libopenblas.so.0 (finetunectl links it for `predict`) is an
# alternatives link, so the links must come along.
[ -d /etc/alternatives ] && binds+=(--bind-ro=/etc/alternatives)
[ -n "$swift_lib" ] && [ -d "$toolchain" ] && binds+=(--bind-ro="$toolchain")
boot_container "$work/boot.log" -D / --volatile=yes -M "fte2e$$" "${binds[@]}"
root=/proc/$leader/root

# Install as a package would: unit, sysusers, tmpfiles, config; binaries from the shared folder.
mkdir -p "$root/etc/systemd/system" "$root/etc/sysusers.d" "$root/etc/tmpfiles.d" "$root/etc/finetuned"
# The binaries run from /srv/share and load the toolchain's runtime: both must be executable under NoExecPaths=/.
sed -e 's|^ExecStart=/usr/bin/finetuned|ExecStart=/srv/share/bin/finetuned|' \
  -e "s|^ExecPaths=/usr\$|ExecPaths=/usr /srv/share/bin${swift_lib:+ $toolchain}|" \
  "$repo/packaging/systemd/finetuned.service" > "$root/etc/systemd/system/finetuned.service"
cp "$repo/packaging/sysusers.d/finetuned.conf" "$root/etc/sysusers.d/"
cp "$repo/packaging/tmpfiles.d/finetuned.conf" "$root/etc/tmpfiles.d/"
cp "$share/finetuned.yaml" "$root/etc/finetuned/finetuned.yaml"
inside systemd-sysusers >/dev/null 2>&1
inside systemd-tmpfiles --create /etc/tmpfiles.d/finetuned.conf >/dev/null 2>&1
inside systemctl daemon-reload
drop() { # atomic drop: write a hidden temporary file, then rename it into the watched folder
  local name=$1 dir=$root/var/lib/finetuned/pipelines
  cat > "$dir/.$name.tmp" && chown --reference="$dir" "$dir/.$name.tmp" && mv "$dir/.$name.tmp" "$dir/$name"
}

inside systemctl start finetuned
check "systemctl start: active (running)" [ "$(show ActiveState)/$(show SubState)" = active/running ]
status=$(show StatusText)
check "READY sent with a STATUS line ('$status')" [ -n "$status" ]
check "watchdog configured (WatchdogUSec=$(show WatchdogUSec))" [ "$(show WatchdogUSec)" != 0 ]

drop e2e.yaml <<'YAML'
version: 1
name: e2e
stages:
  prepare: { plugin: testkit, with: { output: prepared } }
  train: { plugin: testkit, after: [prepare], with: { mode: steps, steps: 200, seconds: 0.1 } }
YAML
wait_for 20 "dropped pipeline runs; journal has its events by PIPELINE=e2e" \
  bash -c "nsenter -t $leader -a journalctl -u finetuned -o cat PIPELINE=e2e STAGE=train | grep -q 'train [0-9]*/200 steps'"
drop bad.yaml <<'YAML'
version: 1
stages:
  a: { plugin: nosuch }
YAML
wait_for 10 "malformed pipeline rejected with line:column in the journal" \
  bash -c "nsenter -t $leader -a journalctl -u finetuned -o cat MESSAGE_ID=3b1c3f0e8a5c4d0f9a0d2c6e7b1f4a05 | grep -q 'bad.yaml:3:16: error: unknown plugin'"
check "service still active after the rejection" [ "$(show ActiveState)" = active ]
running_status=$(show StatusText)
check "STATUS shows the stage's progress ('$running_status')" bash -c "[[ '$running_status' == *'e2e: train'* ]]"
status_out=$(inside /srv/share/bin/finetunectl status --socket /run/finetuned/control.sock 2>&1)
if grep -q 'e2e — running' <<<"$status_out" && grep -q 'bad.yaml:3:16' <<<"$status_out"; then
  ok "finetunectl status over the control socket"
else
  bad "finetunectl status over the control socket: $status_out"
fi

inside systemctl reload finetuned
sleep 1.5
check "systemctl reload: still active" [ "$(show ActiveState)" = active ]
check "reload did not interrupt the run" bash -c "! nsenter -t $leader -a journalctl -u finetuned -o cat PIPELINE=e2e | grep -q 'train: stopped'"

inside systemctl stop finetuned
check "systemctl stop during a stage: clean (Result=$(show Result))" [ "$(show Result)" = success ]
check "the stage checkpointed and stopped" bash -c "nsenter -t $leader -a journalctl -u finetuned -o cat PIPELINE=e2e | grep -q 'train: stopped'"
inside systemctl start finetuned
wait_for 30 "started again: the run resumed from its checkpoint and finished" \
  bash -c "nsenter -t $leader -a journalctl -u finetuned -o cat PIPELINE=e2e | grep -q 'resuming from its checkpoint' && nsenter -t $leader -a journalctl -u finetuned -o cat MESSAGE_ID=3b1c3f0e8a5c4d0f9a0d2c6e7b1f4a02 PIPELINE=e2e | grep -q 'succeeded: 1 ran, 1 cached'"
check "STATUS back to idle ('$(show StatusText)')" bash -c "[[ '$(show StatusText)' == idle* ]]"
check "watchdog never fired (Result=$(show Result), restarts=$(show NRestarts))" [ "$(show Result)" = success -a "$(show NRestarts)" = 0 ]
check "journal fields PIPELINE, STAGE, RUN_ID present" bash -c "nsenter -t $leader -a journalctl -u finetuned -o json PIPELINE=e2e STAGE=train | grep -q '\"RUN_ID\"'"

# --- Hostile drops (issue 8). Each is rejected; the daemon stays up, bounded, and still runs valid pipelines.
MEMORY_BOUND_MB=${MEMORY_BOUND_MB:-256}
pipelines=$root/var/lib/finetuned/pipelines
check "state folder 0750, pipelines/ and data/ 2770, cache/ not group-writable" bash -c \
  "[ \"\$(stat -c %a $root/var/lib/finetuned)\" = 750 ] && [ \"\$(stat -c %a $pipelines)\" = 2770 ] &&
   [ \"\$(stat -c %a $root/var/lib/finetuned/data)\" = 2770 ] && ! find $root/var/lib/finetuned/cache -perm -g+w | grep -q ."
{
  echo "version: 1"; echo "name: bomb"; echo "stages:"; echo "  a: { plugin: testkit }"; echo "x:"
  echo "  a0: &a0 [x, x, x, x, x, x, x, x, x, x]"
  for i in 1 2 3 4 5 6 7 8 9; do
    p=$((i - 1)); echo "  a$i: &a$i [*a$p, *a$p, *a$p, *a$p, *a$p, *a$p, *a$p, *a$p, *a$p, *a$p]"
  done
} | drop bomb.yaml
inside mkfifo -m 0660 /var/lib/finetuned/pipelines/fifo.yaml
inside chown finetuned:finetuned /var/lib/finetuned/pipelines/fifo.yaml
inside ln -s /dev/zero /var/lib/finetuned/pipelines/zero.yaml
drop list.yaml <<'YAML'
version: 1
name: list
stages:
  a: { plugin: testkit }
  b: { plugin: testkit, with: [1] }
YAML
rejected() { journal MESSAGE_ID=3b1c3f0e8a5c4d0f9a0d2c6e7b1f4a05 | grep -q "$1"; }
# A FIFO and a symlink made in place are not atomic drops (no close-write): a rescan picks them up.
inside systemctl reload finetuned
wait_for 20 "alias bomb rejected at its first alias" rejected 'bomb.yaml:7:12: error: YAML aliases are not supported'
wait_for 20 "FIFO rejected without blocking" rejected 'fifo.yaml:1:1: error: not a regular file (a FIFO)'
wait_for 20 "symlink to /dev/zero rejected" rejected 'zero.yaml:1:1: error: not a regular file (a symbolic link)'
wait_for 20 "with: list rejected with its location" rejected "list.yaml:5:31: error: 'with' must be a mapping of parameters, found a sequence"
status_out=$(inside /srv/share/bin/finetunectl status --socket /run/finetuned/control.sock 2>&1)
check "finetunectl status answers after the hostile drops" grep -q 'bomb.yaml:7:12' <<<"$status_out"
drop after.yaml <<'YAML'
version: 1
name: after
stages:
  one: { plugin: testkit, with: { output: after-hostile } }
YAML
wait_for 20 "a valid pipeline dropped after them runs" \
  bash -c "nsenter -t $leader -a journalctl -u finetuned -o cat MESSAGE_ID=3b1c3f0e8a5c4d0f9a0d2c6e7b1f4a02 PIPELINE=after | grep -q succeeded"
# Confined inputs under the hardened unit (ProtectProc=invisible, ProcSubset=pid, PrivateUsers, the syscall
# filter): the plugin reads its data file through the daemon's descriptor (/proc/<daemon>/fd/<n>).
printf 'confined words confined\n' > "$root/var/lib/finetuned/data/words.txt"
chown --reference="$root/var/lib/finetuned/data" "$root/var/lib/finetuned/data/words.txt"
drop data.yaml <<'YAML'
version: 1
name: data
data:
  words: ../data/words.txt
stages:
  count: { plugin: wordcount, inputs: [words] }
YAML
wait_for 20 "a stage reads its data file through the daemon's descriptor" \
  bash -c "nsenter -t $leader -a journalctl -u finetuned -o cat MESSAGE_ID=3b1c3f0e8a5c4d0f9a0d2c6e7b1f4a02 PIPELINE=data | grep -q succeeded"
check "its counts are the data file's" bash -c "grep -rqs 'confined	2' $root/var/lib/finetuned/cache/*/*/files/counts.tsv"
check "still active after the hostile drops, NRestarts=$(show NRestarts)" [ "$(show ActiveState)" = active -a "$(show NRestarts)" = 0 ]
# The daemon is a child of the container's systemd: read its peak RSS from the host's /proc.
pid=$(pgrep -P "$leader" -x finetuned | head -1)
hwm_kb=$(awk '/^VmHWM:/ {print $2}' "/proc/${pid:-0}/status" 2>/dev/null || echo 0)
current=$(show MemoryCurrent)
check "peak RSS ${hwm_kb} KiB (MemoryCurrent=$current) under $MEMORY_BOUND_MB MiB" [ "${hwm_kb:-0}" -gt 0 -a "${hwm_kb:-0}" -lt $((MEMORY_BOUND_MB * 1024)) ]

if [ "$fail" -gt 0 ]; then
  echo "--- journal"; journal | tail -60
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
