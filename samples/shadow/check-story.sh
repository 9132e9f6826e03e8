#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# check-story.sh GRAFT SAMPLES_DIR - runs the shadow sample story through the graft CLI
# and checks that fix1 stops the leak, fix2 counts, and disabling brings the leak back.
set -euo pipefail
graft=$1 dir=$2
work=$(mktemp -d)
trap 'exec 7>&- 2>/dev/null || true; rm -rf "$work"' EXIT
mkfifo "$work/in"
"$graft" run -- "$dir/shadow-target" <"$work/in" >"$work/out" 2>"$work/err" &
exec 7>"$work/in"

# send CMD: writes one command and prints its one-line answer (runs in $(...), so it
# counts the lines already there instead of keeping a counter).
send() {
	local before
	before=$(wc -l <"$work/out")
	echo "$1" >&7
	for _ in $(seq 100); do
		[ "$(wc -l <"$work/out")" -gt "$before" ] && break
		sleep 0.05
	done
	sed -n "$((before + 1))p" "$work/out"
}
expect() { # expect WHAT GOT WANT
	if [ "$2" != "$3" ]; then
		echo "FAIL: $1: got '$2', want '$3'"; cat "$work/out" "$work/err"; exit 1
	fi
	echo "ok: $1: $2"
}

# apply ARGS...: a graft command that starts a transition, then wait until it completes
# while the target keeps serving (a harmless "stats" now and then), as a real service
# would. The target's only thread sleeps in read() between commands.
apply() {
	"$graft" "$@" --no-wait >/dev/null
	for _ in $(seq 600); do
		"$graft" status "$pid" | grep -q 'no transition' && return 0
		send stats >/dev/null
		sleep 0.1
	done
	echo "FAIL: graft $* did not complete"; "$graft" status "$pid"; exit 1
}

for _ in $(seq 100); do grep -q 'pid' "$work/out" 2>/dev/null && break; sleep 0.05; done
pid=$(sed -n 's/^shadow-target: pid \([0-9]*\)$/\1/p' "$work/out")
[ -n "$pid" ] || { echo "FAIL: the target did not start"; cat "$work/out" "$work/err"; exit 1; }

expect "leaking target" "$(send 'tick 20')" "ticks=20 dummies=6 buffers=20"
apply load "$pid" "$dir/shadow-fix1.so"
expect "fix1, old records go" "$(send 'tick 20')" "ticks=40 dummies=6 buffers=26"
expect "fix1, leak stopped" "$(send 'tick 20')" "ticks=60 dummies=6 buffers=26"
apply load "$pid" "$dir/shadow-fix2.so"
expect "fix2 on fix1" "$(send 'tick 20')" "ticks=80 dummies=6 buffers=26"
"$graft" log "$pid" | grep -q 'shadow-fix2: dummy @ .*, check counter = 7' ||
	{ echo "FAIL: no check counter in the log"; exit 1; }
echo "ok: fix2 logs its check counters"
apply disable "$pid" shadow-fix2
apply disable "$pid" shadow-fix1
expect "fix1 post-unpatch freed live buffers" "$(send stats)" "ticks=80 dummies=6 buffers=20"
expect "unpatched code leaks again" "$(send 'tick 20')" "ticks=100 dummies=6 buffers=40"
expect "quit" "$(send quit)" "bye"
wait
