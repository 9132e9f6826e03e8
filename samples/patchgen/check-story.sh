#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# check-story.sh BIN_DIR - the walk-through of docs/patchgen.md, end to end: build kvcache
# through graft-cc, deploy and start it under graft, see the wrong hit ratio, make a
# module from fix-hit-ratio.patch with graft-patchgen, load it, see the right one.
set -euo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'exec 7>&- 2>/dev/null || true; kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
pid=""

# 1. The tree the deployed program is built from, built the graft-ready way.
cp -r "$here" "$work/src"
make -s -C "$work/src" CC="$bin/graft-cc" kvcache
mkdir "$work/deploy"
cp "$work/src/kvcache" "$work/deploy/"

# 2. The service runs, under the graft runtime (graft run execs it: $! is its pid).
mkfifo "$work/in"
"$bin/graft" run -- "$work/deploy/kvcache" <"$work/in" >"$work/out" 2>"$work/err" &
pid=$!
exec 7>"$work/in"
wait_for() { # wait_for DESCRIPTION COMMAND...: polls for up to 30 s
	local what=$1; shift
	for _ in $(seq 300); do "$@" && return 0; sleep 0.1; done
	echo "FAIL: $what"; cat "$work/out" "$work/err"; exit 1
}
wait_for "the service starts" grep -q ready "$work/out"
wait_for "the runtime answers" "$bin/graft" list "$pid" >/dev/null
more_lines_than() { [ "$(wc -l <"$work/out")" -gt "$1" ]; }
send() { # send CMD: prints the command's one-line answer
	local before
	before=$(wc -l <"$work/out")
	echo "$1" >&7
	wait_for "an answer to '$1'" more_lines_than "$before"
	sed -n "$((before + 1))p" "$work/out"
}
expect() { # expect WHAT GOT WANT
	[ "$2" = "$3" ] || { echo "FAIL: $1: got '$2', want '$3'"; exit 1; }
	echo "ok: $1: $2"
}
send "put a 1" >/dev/null
send "get a" >/dev/null
send "get a" >/dev/null
expect "a miss" "$(send 'get b')" "b missing"
expect "the bug: 2 hits in 3 lookups" "$(send stats)" "hit ratio 100%"

# 3. The module, from the fix.
"$bin/graft-patchgen" --src "$work/src" --patch "$here/fix-hit-ratio.patch" --build make \
	--target "$work/deploy/kvcache" -o "$work/fix-hit-ratio.so"

# 4. Applied to the running service: the counters it kept are the ones the fix reads.
"$bin/graft" load "$pid" "$work/fix-hit-ratio.so"
expect "fixed, same counters" "$(send stats)" "hit ratio 66%"
expect "still serving" "$(send 'get a')" "a = 1"
expect "fixed, counting on" "$(send stats)" "hit ratio 75%"
echo quit >&7
wait "$pid"
