#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# demo.sh - install what is missing, build, start the sample service and live-patch it
# in front of you: its answers change while it keeps running, then change back.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup-deps.sh
echo "== building graft (build/gcc)"
dir=$(bash scripts/build.sh gcc)
B="$dir/out"
graft="$B/bin/graft"

work=$(mktemp -d)
export GRAFT_RUNTIME_DIR="$work/run"
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true
  [ -n "${tailpid:-}" ] && kill "$tailpid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

step() { echo; echo "== $*"; }
watch() { sleep "$1"; } # the service prints every second; give it time to be seen

mkfifo "$work/in"
exec 3<>"$work/in"
step "starting the service under graft: graft run -- livepatch-target --serve 1"
"$graft" run -- "$B/samples/livepatch-target" --serve 1 <&3 >"$work/out" 2>&1 &
pid=$!
tail -n +1 -f "$work/out" | sed -u 's/^/    service | /' &
tailpid=$!
for _ in $(seq 100); do "$graft" list "$pid" >/dev/null 2>&1 && break; sleep 0.1; done
watch 3

step "graft ps"
"$graft" ps
step "graft load $pid livepatch-sample.so   (replaces cmdline_show in the executable)"
"$graft" load "$pid" "$B/samples/livepatch-sample.so"
watch 3
step "graft load the library and static-function patches too"
"$graft" load "$pid" "$B/samples/livepatch-lib.so"
"$graft" load "$pid" "$B/samples/livepatch-static.so"
watch 3
step "graft list $pid"
"$graft" list "$pid"
step "graft disable $pid livepatch-sample   (the executable's function goes back)"
"$graft" disable "$pid" livepatch-sample
watch 3
step "disable and unload everything"
for p in livepatch-lib livepatch-static; do "$graft" disable "$pid" "$p"; done
for p in livepatch-sample livepatch-lib livepatch-static; do "$graft" unload "$pid" "$p"; done
watch 2
step "graft log $pid   (the runtime's log, kernel livepatch messages)"
"$graft" log "$pid"
echo quit >&3
wait "$pid" || true
pid=""
step "the service ran the whole time; it was never restarted"
