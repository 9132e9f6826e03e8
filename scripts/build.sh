#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# build.sh [NAME [CMAKE ARGS...]] - configure and build graft into build/NAME
# (default: build/gcc with GCC, RelWithDebInfo). GRAFT_TARGETS="a b" builds only those
# targets. Prints the build directory last.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
name="${1:-gcc}"
shift || true
dir="$root/build/$name"
jobs="${GRAFT_JOBS:-$(nproc)}"
cmake -S "$root" -B "$dir" -G Ninja "$@" >/dev/null
ninja -C "$dir" -j "$jobs" ${GRAFT_TARGETS:-} >&2
echo "$dir"
