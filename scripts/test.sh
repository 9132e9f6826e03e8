#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test.sh - set up, build and run every test: GCC, Clang (warnings as errors), Clang with
# AddressSanitizer + UndefinedBehaviorSanitizer, and the shadow-variable tests under
# ThreadSanitizer. Exits non-zero if anything fails.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup-deps.sh

failed=()
run_ctest() { # DIR [ctest args...]
  local dir="$1"; shift
  echo "=== tests in ${dir#$root/}"
  if ! ctest --test-dir "$dir" --output-on-failure -j2 --timeout 600 "$@"; then
    failed+=("${dir#$root/}")
  fi
}

gcc_dir=$(CC=gcc CXX=g++ bash scripts/build.sh gcc -DGRAFT_WERROR=ON)
run_ctest "$gcc_dir"

clang_dir=$(CC=clang CXX=clang++ bash scripts/build.sh clang -DGRAFT_WERROR=ON -DGRAFT_BUILD_BENCHMARKS=OFF)
run_ctest "$clang_dir"

asan_dir=$(CC=clang CXX=clang++ bash scripts/build.sh asan -DGRAFT_SANITIZE="address;undefined" \
  -DGRAFT_BUILD_BENCHMARKS=OFF -DCMAKE_BUILD_TYPE=Debug)
ASAN_OPTIONS=detect_leaks=0 run_ctest "$asan_dir"

# ThreadSanitizer: the shadow-variable tests (lock-free reads, concurrent get_or_alloc).
tsan_dir=$(CC=clang CXX=clang++ GRAFT_TARGETS=shadow_test bash scripts/build.sh tsan \
  -DGRAFT_SANITIZE=thread -DGRAFT_BUILD_BENCHMARKS=OFF -DGRAFT_BUILD_SAMPLES=OFF)
echo "=== shadow tests under ThreadSanitizer (${tsan_dir#$root/})"
if ! TSAN_OPTIONS=halt_on_error=1 "$tsan_dir/out/bin/shadow_test"; then
  failed+=("${tsan_dir#$root/}")
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED in: ${failed[*]}"
  exit 1
fi
echo "all test configurations passed"
