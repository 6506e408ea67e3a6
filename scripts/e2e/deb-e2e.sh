#!/usr/bin/env bash
# End-to-end test of the .deb on a minimal Debian 12 without Swift (docs/packaging.md, "Testing the package").
# Builds a minbase rootfs with mmdebstrap (systemd, systemd-sysv, dbus; cached as a tarball), boots it with
# systemd-nspawn (private network; apt lists and dependencies are fetched beforehand from a chroot), installs
# the package there with `apt install ./finetuned_*.deb`, and checks: the service was
# enabled and started by the postinst; user, group and folders exist; the binaries need no Swift; a member of
# group 'finetuned' drops data and the packaged example pipeline, which runs ("succeeded" in the journal) and
# shows in `finetunectl status` (a non-member is refused); reload works; `systemd-analyze security` (its
# exposure score is printed); a reinstall keeps an edited conffile and restarts the service; `apt purge` stops
# the service and removes /var/lib/finetuned.
#   scripts/e2e/deb-e2e.sh [DEB]        without DEB: scripts/build-deb (reusing .build-deb) builds it
# Slow (a release build the first time; ~2 min for the rootfs once, then ~1 min): not part of scripts/test.
# Environment: FINETUNED_ROOTFS_CACHE (default /var/tmp/finetuned-deb-e2e) holds the rootfs tarball;
# FINETUNED_SECURITY_REPORT=FILE and FINETUNED_E2E_JOURNAL=FILE keep `systemd-analyze security`'s report and the
# container's whole journal; FINETUNED_REQUIRE_E2E=1 turns a skip into a failure.
# Exit 0 all passed, 1 a check failed, 77 cannot run here (not root, no systemd-nspawn or mmdebstrap, no network).
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
E2E_NAME="the .deb end-to-end test"
. "$repo/scripts/e2e/nspawn-lib.sh"
t0=$SECONDS
phase() { echo "# $1: $((SECONDS - t0)) s" >&2; }

require_nspawn
command -v mmdebstrap >/dev/null || skip "mmdebstrap missing (apt-get install --no-install-recommends mmdebstrap)"

deb=${1:-}
if [ -z "$deb" ]; then
  deb=$("$repo/scripts/build-deb" deb --no-lintian | tail -1) || { bad "scripts/build-deb"; echo "0 passed, 1 failed"; exit 1; }
  phase "package built"
fi
deb=$(realpath "$deb")
[ -f "$deb" ] || { echo "deb-e2e: no such file: $deb" >&2; exit 64; }

# The rootfs: Debian 12 minbase + systemd, no Swift; cached (rebuilt when the package list changes).
cache=${FINETUNED_ROOTFS_CACHE:-/var/tmp/finetuned-deb-e2e}
include=systemd,systemd-sysv,dbus,ca-certificates
tarball=$cache/bookworm-minbase-$(echo "$include" | md5sum | cut -c1-8).tar
mkdir -p "$cache"
if [ ! -s "$tarball" ]; then
  echo "# creating $tarball with mmdebstrap" >&2
  s=$SECONDS
  mmdebstrap --variant=minbase --include="$include" bookworm "$tarball.partial.tar" \
    "deb http://deb.debian.org/debian bookworm main" \
    "deb http://deb.debian.org/debian bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main" >"$cache/mmdebstrap.log" 2>&1 ||
    { tail -20 "$cache/mmdebstrap.log" >&2; rm -f "$tarball.partial.tar"; skip "mmdebstrap failed (no network to Debian's mirror?)"; }
  mv "$tarball.partial.tar" "$tarball"
  echo "# rootfs created in $((SECONDS - s)) s ($(du -m "$tarball" | cut -f1) MB)" >&2
fi

work=$(mktemp -d /var/tmp/finetuned-deb-e2e.XXXXXX)
root=$work/root
cleanup() { stop_container; rm -rf "$work"; }
trap cleanup EXIT

mkdir -p "$root"
tar -C "$root" -xf "$tarball" || { bad "rootfs extracted"; echo "$pass passed, $fail failed"; exit 1; }
check "the rootfs has no Swift toolchain" bash -c "! chroot '$root' sh -c 'command -v swift swiftc' >/dev/null && [ ! -e '$root/opt/swift' ] && ! ls '$root'/usr/lib/*/libswiftCore.so >/dev/null 2>&1"
cp "$deb" "$root/root/"
# Fetch the package lists and the dependencies from the chroot (the host's network), so that the booted container
# can have a private network like systemd-e2e.sh's; `apt install` inside then resolves and installs offline.
cp /etc/resolv.conf "$root/etc/resolv.conf"
if ! chroot "$root" sh -c "apt-get -q update && apt-get install -y -q --download-only --no-install-recommends /root/$(basename "$deb")" \
    >"$work/download.log" 2>&1; then
  tail -20 "$work/download.log" >&2; skip "could not download the package's dependencies (no network to Debian's mirror?)"
fi
phase "rootfs ready"

enter_own_cgroup debe2e
boot_container "$work/boot.log" -D "$root" -M "debe2e$$"
phase "booted"

name=$(basename "$deb")
if inside sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends /root/$name" \
    >"$work/apt.log" 2>&1; then
  ok "apt install ./$name ($(grep -c '^Setting up' "$work/apt.log") packages set up)"
else
  tail -30 "$work/apt.log"; bad "apt install ./$name"
fi
phase "installed"

check "postinst enabled the unit ($(inside systemctl is-enabled finetuned 2>&1))" [ "$(inside systemctl is-enabled finetuned 2>&1)" = enabled ]
wait_for 10 "postinst started it: active (running)" bash -c "[ \"\$(nsenter -t $leader -a systemctl show finetuned -p SubState --value)\" = running ]"
check "READY with a STATUS line ('$(show StatusText)')" [ -n "$(show StatusText)" ]
check "system user and group 'finetuned' (sysusers)" bash -c "nsenter -t $leader -a getent passwd finetuned | grep -q ':/var/lib/finetuned:' && nsenter -t $leader -a getent group finetuned >/dev/null"
mode=$(inside stat -c '%a %U:%G' /var/lib/finetuned/pipelines 2>&1)
check "watched folder 2775 finetuned:finetuned (tmpfiles; got $mode)" [ "$mode" = "2775 finetuned:finetuned" ]
libs=$(inside sh -c 'ldd /usr/bin/finetuned /usr/bin/finetunectl /usr/lib/finetuned/plugins/*' 2>&1)
check "binaries resolve every library, none from Swift" bash -c "! grep -Eq 'not found|swift|/opt/' <<<'$libs'"
files_ok=1
for f in /usr/bin/finetuned /usr/bin/finetunectl /usr/lib/finetuned/plugins/finetuned-stage-wordcount \
  /lib/systemd/system/finetuned.service /usr/lib/sysusers.d/finetuned.conf /usr/lib/tmpfiles.d/finetuned.conf \
  /etc/finetuned/finetuned.yaml /usr/share/man/man8/finetuned.8.gz /usr/share/man/man1/finetunectl.1.gz \
  /usr/share/bash-completion/completions/finetunectl /usr/share/doc/finetuned/copyright \
  /usr/share/doc/finetuned/examples/hello.yaml; do
  [ -e "$root$f" ] || { echo "# missing $f" >&2; files_ok=0; }
done
check "files where docs/packaging.md says" [ "$files_ok" = 1 ]
check "/etc/finetuned/finetuned.yaml is a conffile" bash -c "nsenter -t $leader -a dpkg-query -W -f='\${Conffiles}' finetuned | grep -q /etc/finetuned/finetuned.yaml"
check "plugins found by finetunectl (wordcount; the testkit test plugin is not shipped)" bash -c "nsenter -t $leader -a finetunectl plugins 2>&1 | grep -q wordcount && ! nsenter -t $leader -a finetunectl plugins 2>&1 | grep -q testkit && ! nsenter -t $leader -a ls /usr/lib/finetuned/plugins/finetuned-stage-testkit"

# A user in group 'finetuned' (made with systemd-sysusers: minbase has no useradd) drops data and a pipeline.
mkdir -p "$root/etc/sysusers.d"
printf 'u alice - "deb-e2e user" /nonexistent\nm alice finetuned\n' > "$root/etc/sysusers.d/alice.conf"
inside systemd-sysusers >/dev/null 2>&1
check "test user alice in group finetuned ($(inside id alice 2>&1))" bash -c "nsenter -t $leader -a id -nG alice | grep -qw finetuned"
as_alice() { inside setpriv --reuid=alice --regid=alice --init-groups env HOME=/ "$@"; }
as_alice sh -c 'umask 022; mkdir -p /var/lib/finetuned/data/hello &&
  printf "The quick brown fox jumps over the lazy dog.\nThe dog sleeps; the fox runs.\n" > /var/lib/finetuned/data/hello/a.txt &&
  cp /usr/share/doc/finetuned/examples/hello.yaml /var/lib/finetuned/pipelines/.hello.yaml.tmp &&
  mv /var/lib/finetuned/pipelines/.hello.yaml.tmp /var/lib/finetuned/pipelines/hello.yaml'
check "a member of group finetuned may write data and pipelines" [ -f "$root/var/lib/finetuned/pipelines/hello.yaml" ]
s=$SECONDS
wait_for 30 "the packaged example pipeline ran: 'run … succeeded' in journalctl -u finetuned" \
  bash -c "nsenter -t $leader -a journalctl -u finetuned -o cat MESSAGE_ID=3b1c3f0e8a5c4d0f9a0d2c6e7b1f4a02 PIPELINE=hello | grep -q 'succeeded'"
echo "# pipeline finished $((SECONDS - s)) s after the drop" >&2
status_out=$(as_alice finetunectl status hello 2>&1)
if grep -q 'hello — .*succeeded' <<<"$status_out" && grep -q 'words' <<<"$status_out"; then
  ok "finetunectl status as a member of group finetuned"
else
  bad "finetunectl status as a member of group finetuned: $status_out"
fi
echo "$status_out" | sed 's/^/#   /' >&2
refused=$(inside setpriv --reuid=nobody --regid=nogroup --clear-groups finetunectl status 2>&1; echo "exit $?")
check "finetunectl status refused to a non-member ($(tail -2 <<<"$refused" | tr '\n' ' '))" \
  bash -c "grep -qi 'permission denied' <<<'$refused' && ! grep -q 'exit 0' <<<'$refused'"
inside systemctl reload finetuned
sleep 1
check "systemctl reload (ExecReload=/bin/kill from procps): still active" [ "$(show ActiveState)" = active ]

security=$(inside systemd-analyze security --no-pager finetuned.service 2>&1)
exposure=$(sed -n 's/.*Overall exposure level for finetuned.service: \([0-9.]*\).*/\1/p' <<<"$security")
echo "$security" > "${FINETUNED_SECURITY_REPORT:-/dev/null}"
check "systemd-analyze security finetuned.service: exposure ${exposure:-?}" [ -n "$exposure" ]
check "no journal entry at warning or worse from the daemon" bash -c "[ -z \"\$(nsenter -t $leader -a journalctl -u finetuned -p warning -o cat --no-pager 2>/dev/null)\" ]"

# Reinstall (the upgrade path of the maintainer scripts): an edited conffile is kept, the service restarted.
sed -i 's/^log_level: info/log_level: debug/' "$root/etc/finetuned/finetuned.yaml"
pid_before=$(show MainPID)
inside sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y --reinstall -o Dpkg::Options::=--force-confold /root/$name" >"$work/reinstall.log" 2>&1
wait_for 10 "reinstall restarted the service (MainPID $pid_before → $(show MainPID)) and kept the edited conffile" \
  bash -c "[ \"\$(nsenter -t $leader -a systemctl show finetuned -p MainPID --value)\" != '$pid_before' ] && [ \"\$(nsenter -t $leader -a systemctl show finetuned -p SubState --value)\" = running ] && grep -q '^log_level: debug' '$root/etc/finetuned/finetuned.yaml'"

if inside sh -c "DEBIAN_FRONTEND=noninteractive apt-get purge -y finetuned" >"$work/purge.log" 2>&1; then
  ok "apt purge finetuned"
else
  tail -20 "$work/purge.log"; bad "apt purge finetuned"
fi
check "purge stopped the service and removed /var/lib/finetuned and the unit" \
  bash -c "[ \"\$(nsenter -t $leader -a systemctl is-active finetuned 2>&1)\" != active ] && [ ! -e '$root/var/lib/finetuned' ] && [ ! -e '$root/lib/systemd/system/finetuned.service' ] && [ ! -e '$root/etc/finetuned' ]"
phase "checks done"

[ -n "${FINETUNED_E2E_JOURNAL:-}" ] && inside journalctl --no-pager -o short-monotonic > "$FINETUNED_E2E_JOURNAL" 2>&1
if [ "$fail" -gt 0 ]; then
  echo "--- journal"; journal | tail -60
fi
stop_container
phase "powered off"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
