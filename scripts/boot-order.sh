#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# boot-order.sh - regenerate runtime/boot-order.ld: the functions of
# libgraft.so that every preloaded process runs before its first patch (the constructor,
# the static initialisers, the control thread until it waits in accept, the exit path),
# recorded by running bench-startup's idle program under callgrind with the library
# preloaded. The link places them first and together, so that start-up faults in a few
# of the library's text pages instead of all of them (the kernel maps a faulting page's
# 64 KiB neighbourhood: spread over the text, ~120 functions made all of it resident).
# A function renamed or added since the last run still links, only outside the group:
# run this again after changing what start-up runs, and compare RSS with
# bench_startup's BM_MemoryVsStubFloor. Needs valgrind; not part of scripts/test.sh.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
command -v valgrind >/dev/null || { echo "boot-order.sh: needs valgrind (apt-get install valgrind)" >&2; exit 1; }

# Recorded from a build linked without the order (valgrind names no function outside the
# section called .text, and the ordered library has two text sections).
dir=$(GRAFT_TARGETS="graft startup-pause" bash "$root/scripts/build.sh" boot-order \
  -DGRAFT_BOOT_ORDER=OFF -DGRAFT_BUILD_SAMPLES=OFF)
lib="$dir/out/lib/libgraft.so"
prog="$dir/out/bench-startup/startup-pause"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# startup-pause says "ready" and exits when its stdin closes: the idle state and the
# exit path are both in the record. The control thread is in accept by then.
(sleep 8; echo) | LD_PRELOAD="$lib" valgrind --tool=callgrind --demangle=no \
  --callgrind-out-file="$work/cg.out" "$prog" >/dev/null 2>"$work/valgrind.log" || {
  cat "$work/valgrind.log" >&2
  exit 1
}
python3 "$root/scripts/boot_order_ld.py" "$work/cg.out" libgraft.so >"$work/boot-order.ld"
n=$(grep -c '^\s*\*(\.text\.' "$work/boot-order.ld" || true)
if [ "$n" -lt 50 ]; then
  echo "boot-order.sh: only $n functions of libgraft.so in the record: not written" >&2
  exit 1
fi
cp "$work/boot-order.ld" "$root/runtime/boot-order.ld"
echo "runtime/boot-order.ld: $n functions"
