#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench.sh [--bin DIR] [NAME...] - build graft into build/gcc (scripts/build.sh) and run
# every benchmark (bench_* in build/gcc/out/bin), or just the named ones, with short
# minimum times. --bin DIR runs the benchmarks already built in DIR instead of building.
# GRAFT_BENCH_MIN_TIME (seconds per case, default 0.2), GRAFT_BENCH_FILTER (Google
# Benchmark's --benchmark_filter, default all) and GRAFT_JOBS pass through.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin=""
if [ "${1:-}" = "--bin" ]; then
  bin="$2"
  shift 2
fi
if [ -z "$bin" ]; then
  dir=$(CC="${CC:-gcc}" CXX="${CXX:-g++}" bash "$root/scripts/build.sh" gcc -DGRAFT_BUILD_BENCHMARKS=ON)
  bin="$dir/out/bin"
fi
min_time="${GRAFT_BENCH_MIN_TIME:-0.2}"

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for exe in "$bin"/bench_*; do
    [ -x "$exe" ] && names+=("$(basename "$exe")")
  done
fi
if [ ${#names[@]} -eq 0 ]; then
  echo "bench.sh: no bench_* programs in $bin" >&2
  exit 1
fi

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs," \
     "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')," \
     "load $(cut -d' ' -f1-3 /proc/loadavg)"
failed=()
for name in "${names[@]}"; do
  echo "=== $name"
  if ! "$bin/$name" --benchmark_min_time="$min_time" \
       --benchmark_filter="${GRAFT_BENCH_FILTER:-.}"; then
    failed+=("$name")
  fi
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "bench.sh: failed: ${failed[*]}" >&2
  exit 1
fi
