#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test-same-code.sh - same-code.py without the network (the ctest patchgen.deb_same_code):
# a library built twice with other debug information (another build-id, the same code)
# is the same code, and its debug file gets the first one's build-id; a library whose
# code differs, or a debug file of another build, is refused and nothing written.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
cat >"$w/lib.c" <<'C'
static int helper(int x) { return x * 3; }
int api(int x) { return helper(x) + 1; }
C
build() { # build NAME DEBUG_PREFIX MULTIPLIER: NAME.so stripped as dh_strip does, NAME.dbg
	sed "s/x \* 3/x * $3/" "$w/lib.c" >"$w/$1.c"
	cc -O2 -g -fPIC -shared -fdebug-prefix-map="$w=$2" -o "$w/$1.so" "$w/$1.c"
	objcopy --only-keep-debug "$w/$1.so" "$w/$1.dbg"
	objcopy --remove-section=.comment --remove-section=.note --strip-unneeded \
		--add-gnu-debuglink="$w/$1.dbg" "$w/$1.so"
}
id_of() { readelf -n "$1" | sed -n 's/.*Build ID: //p'; }
fail() { echo "FAIL: $*"; exit 1; }
build inst /build/a 3
build rebl /elsewhere/b 3
build diff /build/a 4
[[ $(id_of "$w/inst.so") != "$(id_of "$w/rebl.so")" ]] || fail "the two builds have one build-id"

python3 "$here/same-code.py" "$w/inst.so" "$w/rebl.so" "$w/rebl.dbg" "$w/out.dbg" ||
	fail "the same code was refused"
[[ $(id_of "$w/out.dbg") == "$(id_of "$w/inst.so")" ]] || fail "the debug file has not the installed build-id"
readelf -sW "$w/out.dbg" | grep -q ' api$' || fail "the debug file lost its .symtab"
echo "ok: same code, the debug file has the installed build-id"

if python3 "$here/same-code.py" "$w/inst.so" "$w/diff.so" "$w/diff.dbg" "$w/out2.dbg" 2>"$w/err"; then
	fail "other code was taken for the same"
fi
grep -q "differ" "$w/err" || fail "no reason given: $(cat "$w/err")"
[[ ! -e $w/out2.dbg ]] || fail "a debug file was written for other code"
echo "ok: other code refused: $(cat "$w/err")"

if python3 "$here/same-code.py" "$w/inst.so" "$w/rebl.so" "$w/inst.dbg" "$w/out3.dbg" 2>"$w/err"; then
	fail "a debug file of another build was used"
fi
grep -q "is not the debug file of" "$w/err" || fail "no reason given: $(cat "$w/err")"
echo "ok: another build's debug file refused"
