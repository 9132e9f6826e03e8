#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# check-story.sh [BIN_DIR [WORK_DIR]] - Debian 12's security update of libgd
# (2.3.3-9+deb12u1, CVE-2026-9672) as a live patch of the libgd installed on this machine
# (2.3.3-9, built by Debian), shown on a running process. Run by hand: it needs the
# network (apt-get source), root (build dependencies, the debug file) and minutes of
# building; its output is recorded in docs/patchgen.md ("A Debian security update").
#
#  1. scripts/deb-security-patch.sh libgd2 2.3.3-9 2.3.3-9+deb12u1 <installed libgd>:
#     the module (it installs the reconstructed debug file under /usr/lib/debug for the
#     runtime; removed again at the end if it was not there before).
#  2. gifleak.c (here), built normally (gcc -O2) against the installed libgd, serves
#     "decode" requests under graft; each decodes a 3x1 GIF whose LZW data ends with an
#     end code: "pixels 1 0 42" is the vulnerable decoder putting a stack value (42, left
#     there by the previous request) into the image; "pixels 1 0 0" is the fixed one.
#  3. graft load, disable, enable, disable, unload; the same answers each time.
#  4. The build-id check: the module is refused by a process whose libgd is the rebuild
#     (same code, another build-id).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-$root/build/gcc/out/bin}
work=${2:-$(mktemp -d /tmp/graft-deb-story.XXXXXX)}
mkdir -p "$work"
lib=$(readlink -f /usr/lib/x86_64-linux-gnu/libgd.so.3)
id=$(readelf -n "$lib" | sed -n 's/.*Build ID: //p')
debug=/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug
had_debug=0
[[ -f $debug ]] && had_debug=1
pid="" pid2=""
cleanup() {
	exec 7>&- 8>&- 2>/dev/null || true
	if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; fi
	if [[ -n $pid2 ]]; then kill "$pid2" 2>/dev/null || true; fi
	if [[ $had_debug -eq 0 && -f $debug ]]; then
		rm -f "$debug"
		echo "removed $debug"
	fi
}
trap cleanup EXIT

echo "# 1. the module, from the Debian security update"
start=$(date +%s)
"$root/scripts/deb-security-patch.sh" --work "$work" ${APT_DIR:+--apt-dir "$APT_DIR"} \
	--bin "$bin" --install-build-deps --install-debug-file -o "$work/cve-2026-9672.so" \
	libgd2 2.3.3-9 2.3.3-9+deb12u1 "$lib"
echo "(all of step 1: $(($(date +%s) - start)) s)"

echo "# 2. the service, built normally against the installed libgd, under graft"
gcc -O2 -Wall -o "$work/gifleak" "$here/gifleak.c" -l:libgd.so.3
ldd "$work/gifleak" | grep libgd
rm -f "$work/in" "$work/out" "$work/err"
mkfifo "$work/in"
"$bin/graft" run -- "$work/gifleak" <"$work/in" >"$work/out" 2>"$work/err" &
pid=$!
exec 7>"$work/in"
wait_for() { # wait_for DESCRIPTION COMMAND...: polls for up to 30 s
	local what=$1
	shift
	for _ in $(seq 300); do "$@" && return 0; sleep 0.1; done
	echo "FAIL: $what"; cat "$work/out" "$work/err"; exit 1
}
wait_for "the service starts" grep -q ready "$work/out"
wait_for "the runtime answers" "$bin/graft" list "$pid" >/dev/null
grep libgd "/proc/$pid/maps" | head -1 | awk '{print "maps:", $6}'
more_lines_than() { [ "$(wc -l <"$work/out")" -gt "$1" ]; }
send() { # send CMD: the command's one-line answer
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
expect "vulnerable: the stack value in the image" "$(send decode)" "pixels 1 0 42"
send "secret 7" >/dev/null
expect "vulnerable: another request's value" "$(send decode)" "pixels 1 0 7"
send "secret 42" >/dev/null

echo "# 3. the patch, live"
s=$(date +%s%N)
"$bin/graft" load "$pid" "$work/cve-2026-9672.so"
echo "(graft load: $((($(date +%s%N) - s) / 1000000)) ms)"
"$bin/graft" list "$pid"
expect "fixed: the decoder stops at the end code" "$(send decode)" "pixels 1 0 0"
send "secret 7" >/dev/null
expect "fixed, whatever the stack holds" "$(send decode)" "pixels 1 0 0"
send "secret 42" >/dev/null
"$bin/graft" disable "$pid" cve-2026-9672
expect "disabled: vulnerable again" "$(send decode)" "pixels 1 0 42"
"$bin/graft" enable "$pid" cve-2026-9672
expect "enabled: fixed" "$(send decode)" "pixels 1 0 0"
"$bin/graft" disable "$pid" cve-2026-9672
"$bin/graft" unload "$pid" cve-2026-9672
expect "unloaded: the installed library's code" "$(send decode)" "pixels 1 0 42"

echo "# 4. checked against the build-id: a process with the rebuilt libgd (same code, another build-id)"
mkdir -p "$work/rebuilt-lib"
cp "$work/ref/deb/usr/lib/x86_64-linux-gnu/"libgd.so.3* "$work/rebuilt-lib/"
rm -f "$work/in2" "$work/out2"
mkfifo "$work/in2"
LD_LIBRARY_PATH="$work/rebuilt-lib" "$bin/graft" run -- "$work/gifleak" <"$work/in2" >"$work/out2" 2>&1 &
pid2=$!
exec 8>"$work/in2"
wait_for "the second service starts" grep -q ready "$work/out2"
wait_for "its runtime answers" "$bin/graft" list "$pid2" >/dev/null
if "$bin/graft" load "$pid2" "$work/cve-2026-9672.so"; then
	echo "FAIL: the module loaded into a process whose libgd has another build-id"
	exit 1
fi
echo "ok: refused"
echo quit >&8
echo quit >&7
wait "$pid" "$pid2" || true
pid="" pid2=""
echo "all ok"
