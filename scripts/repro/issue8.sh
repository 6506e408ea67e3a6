#!/usr/bin/env bash
# issue8.sh BUILD_DIR — reproduces the four items of issue 8 found on the running code (alias bomb, `with:` list,
# `timeout: 1e300`, a `/proc/**` glob stalling the daemon) against a build folder holding finetunectl, finetuned
# and finetuned-stage-wordcount. Prints each outcome (exit status, first lines, peak RSS); it asserts nothing:
# run it on an old and a new build and compare (docs and numbers in the issue's closing note).
set -u
B=$(cd "${1:?usage: issue8.sh BUILD_DIR}" && pwd)
W=$(mktemp -d /tmp/issue8-repro.XXXXXX); trap 'kill $PID 2>/dev/null; rm -rf "$W"' EXIT; PID=
cd "$W" && export FINETUNED_STATE_DIR=$W/state
{ printf 'version: 1\nname: bomb\nstages:\n  a: {plugin: wordcount}\nx:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n'
  for i in 1 2 3 4 5 6 7 8 9; do p=$((i - 1)); echo "  a$i: &a$i [*a$p, *a$p, *a$p, *a$p, *a$p, *a$p, *a$p, *a$p, *a$p, *a$p]"; done
} > bomb.yaml
printf 'version: 1\nname: list\nstages:\n  a: {plugin: wordcount}\n  b: {plugin: wordcount, with: [1]}\n' > list.yaml
echo "some words" > words.txt
printf 'version: 1\nname: big\ndata:\n  d: words.txt\nstages:\n  a: {plugin: wordcount, inputs: [d], timeout: 1e300}\n' > timeout.yaml

echo "=== item 1: alias bomb, finetunectl validate (3 GiB address-space cap, 60 s)"
( ulimit -v 3145728; /usr/bin/time -f "peak_rss_kb=%M seconds=%e" timeout 60 "$B/finetunectl" validate bomb.yaml --plugin-dir "$B" > out1 2>&1; echo "exit=$?" >> out1 ); tail -3 out1
echo "=== item 2: with: [1], finetunectl validate"
timeout 60 "$B/finetunectl" validate list.yaml --plugin-dir "$B" > out2 2>&1; echo "exit=$?"; grep -m2 -E "Fatal|error" out2
echo "=== item 3: timeout: 1e300, finetunectl run"
timeout 120 "$B/finetunectl" run timeout.yaml --plugin-dir "$B" > out3 2>&1; echo "exit=$?"; grep -m2 -E "Fatal|error" out3
echo "=== item 4: a /proc/** glob dropped into the daemon's watched folder, then finetunectl status (20 s)"
mkdir -p d/state/pipelines d/state/data
printf "state_dir: $W/d/state\ncontrol_group: ''\ncontrol_socket: $W/d/c.sock\nplugin_dirs: [$B]\n" > d/conf.yaml
"$B/finetuned" --config d/conf.yaml > d/daemon.log 2>&1 & PID=$!
for _ in $(seq 100); do [ -S d/c.sock ] && break; sleep 0.1; done
printf 'version: 1\nname: procglob\ndata:\n  d: /proc/**\nstages:\n  a: {plugin: wordcount, inputs: [d]}\n' > d/p.tmp
mv d/p.tmp d/state/pipelines/procglob.yaml; sleep 3
out=$(timeout 20 "$B/finetunectl" status --socket d/c.sock 2>&1); echo "exit=$? (124: no answer within 20 s)"; echo "$out" | head -3
echo "daemon $(grep VmHWM /proc/$PID/status 2>/dev/null)"
