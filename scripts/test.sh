#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test.sh - set up, build and run every test: GCC (-O2), Clang (-O2) with AddressSanitizer
# + UndefinedBehaviorSanitizer, both with warnings as errors, and the shadow-variable
# tests under ThreadSanitizer; the sanitized build also runs the libFuzzer targets briefly
# (tests/fuzz). Exits non-zero if anything fails.
#
# One Clang configuration, not two: a plain Clang run of the suite (its build and 185 s
# of tests) found nothing the sanitized -O2 one does not, and the suite must stay under
# 20 minutes on 2 cores. The sanitized build is RelWithDebInfo, as users build: -O2
# keeps Clang's sibling calls in the runtime and the targets (the runtime has no
# assert(), so NDEBUG hides no check), and runs the tests in about half the time of -O0.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup-deps.sh

failed=()
# One formatting style (.clang-format): a file that strays fails the run, as a warning does.
if ! bash scripts/format.sh --check; then
  failed+=("format (run scripts/format.sh)")
fi
passed_total=0
failed_total=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
count() { # adds ctest's or gtest's totals from $log
  local line p f
  line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1)
  if [ -n "$line" ]; then
    f=$(echo "$line" | sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/')
    p=$(echo "$line" | sed -E 's/.* failed out of ([0-9]+).*/\1/')
    passed_total=$((passed_total + p - f)); failed_total=$((failed_total + f))
  fi
}
run_ctest() { # DIR [ctest args...]
  local dir="$1"; shift
  echo "=== tests in ${dir#$root/}"
  if ! ctest --test-dir "$dir" --output-on-failure -j2 --timeout 600 "$@" 2>&1 | tee "$log"; then
    failed+=("${dir#$root/}")
  fi
  grep -q 'tests passed' "$log" || failed+=("${dir#$root/} (no test ran)")
  count
}

# Line tables only (-g1, Clang's -gline-tables-only): a failure, a backtrace and a
# sanitizer report still name file and line, the code is the same (-g never changes it),
# and the two builds take a fifth less time. The flags stay in the build directory's cache
# (`cmake -U 'CMAKE_*_FLAGS_RELWITHDEBINFO' build/gcc` brings back -g).
lines_only=(-DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG")
gcc_dir=$(CC=gcc CXX=g++ bash scripts/build.sh gcc -DGRAFT_WERROR=ON "${lines_only[@]}")
run_ctest "$gcc_dir"

asan_dir=$(CC=clang CXX=clang++ bash scripts/build.sh asan -DGRAFT_WERROR=ON \
  -DGRAFT_SANITIZE="address;undefined" -DGRAFT_BUILD_FUZZERS=ON -DGRAFT_BUILD_BENCHMARKS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo "${lines_only[@]}")
ASAN_OPTIONS=detect_leaks=0 run_ctest "$asan_dir"

# ThreadSanitizer: the shadow-variable tests (lock-free reads, concurrent get_or_alloc).
tsan_dir=$(CC=clang CXX=clang++ GRAFT_TARGETS=shadow_test bash scripts/build.sh tsan \
  -DGRAFT_SANITIZE=thread -DGRAFT_BUILD_BENCHMARKS=OFF -DGRAFT_BUILD_SAMPLES=OFF)
echo "=== shadow tests under ThreadSanitizer (${tsan_dir#$root/})"
if TSAN_OPTIONS=halt_on_error=1 "$tsan_dir/out/bin/shadow_test" 2>&1 | tee "$log"; then
  n=$(grep -E '^\[  PASSED  \] [0-9]+ test' "$log" | sed -E 's/.* ([0-9]+) tests?.*/\1/')
  passed_total=$((passed_total + ${n:-0}))
else
  failed+=("${tsan_dir#$root/}"); failed_total=$((failed_total + 1))
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED in: ${failed[*]}"
  echo "tests: $passed_total passed, $failed_total failed"
  exit 1
fi
echo "all test configurations (GCC, Clang with ASan+UBSan, TSan) passed"
echo "tests: $passed_total passed, $failed_total failed"
