#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench-summary.sh NEW_OUT [BASE_OUT] - one run of every figure of docs/performance.md's
# summary table (issue 17's goals), this build against an earlier one in the same
# session: the benchmarks of NEW_OUT (a build's out/ directory, e.g. build/gcc/out) and,
# when BASE_OUT is given, the same benchmarks of that build, run in turn (5 passes each,
# GRAFT_BENCH_PASSES), then
# bench_startup once more with two busy loops on the CPUs (start-up "under load").
# Prints the machine (date, CPUs, model, load) and a Markdown table; the raw JSON of
# each run is kept in $GRAFT_BENCH_SUMMARY_DIR (default a new directory under /tmp).
# Run it by hand on a machine with nothing else running; it takes 10 to 15 minutes
# (GRAFT_BENCH_MIN_TIME, default 0.5 s per case, shortens it for a trial).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ $# -lt 1 ] || [ ! -x "$1/bin/bench_redirect" ]; then
  echo "usage: bench-summary.sh NEW_OUT [BASE_OUT]: NEW_OUT/bin/bench_redirect not found" \
       "(build with scripts/build.sh gcc first)" >&2
  exit 2
fi
new="$(cd "$1" && pwd)"
base=""
[ $# -ge 2 ] && base="$(cd "$2" && pwd)"
dir="${GRAFT_BENCH_SUMMARY_DIR:-$(mktemp -d /tmp/graft-bench-summary-XXXXXX)}"
mkdir -p "$dir"
t="${GRAFT_BENCH_MIN_TIME:-0.5}"  # seconds per case (start-up: twice that)
# Passes of the in-process benchmarks, each build in turn: on this 2-vCPU VM a figure moves
# by up to 40 % from one process to the next (CPU placement, neighbours), so the table
# gives the median over the passes.
passes="${GRAFT_BENCH_PASSES:-5}"
ts=$(python3 -c "print(2 * float('$t'))")

machine() {
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs," \
       "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')," \
       "load $(cut -d' ' -f1-3 /proc/loadavg)"
}

# run TAG OUT BENCH [ARGS...]: one benchmark program, its JSON kept as TAG-BENCH.json.
run() {
  local tag="$1" out="$2" name="$3"
  shift 3
  [ -x "$out/bin/$name" ] || { echo "  ($tag has no $name)"; return 0; }
  echo "  $tag $name ($(cut -d' ' -f1 /proc/loadavg))"
  "$out/bin/$name" --benchmark_format=json --benchmark_out="$dir/$tag-$name.json" \
    --benchmark_out_format=json "$@" >/dev/null
}

echo "# start: $(machine)" >"$dir/machine.txt"
for pass in $(seq 1 "$passes"); do
  for tag in new base; do
    out="$new"
    [ "$tag" = base ] && out="$base"
    [ -n "$out" ] || continue
    run "$tag$pass" "$out" bench_redirect --benchmark_min_time="$t"
    run "$tag$pass" "$out" bench_transition --benchmark_min_time="$t" \
      --benchmark_filter='BM_DirectCallOfReplacement|BM_CallIn|BM_CallPatched|BM_EnableToComplete/1000/'
    run "$tag$pass" "$out" bench_fibers --benchmark_min_time="$t"
  done
done
startup_env=()
if [ -n "$base" ]; then
  startup_env=(GRAFT_BENCH_BASELINE_LIB="$base/lib/libgraft.so" GRAFT_BENCH_BASELINE_CLI="$base/bin/graft")
fi
env "${startup_env[@]}" "$new/bin/bench_startup" --benchmark_min_time="$ts" \
  --benchmark_format=json --benchmark_out="$dir/startup-idle.json" --benchmark_out_format=json \
  --benchmark_filter='BM_StartupPair|BM_Memory/|VsBaseline|VsStubFloor|ThreadFloor|CliHelp' >/dev/null
echo "  startup under load: two busy loops"
busy=()
for _ in 1 2; do
  (while :; do :; done) &
  busy+=($!)
done
trap 'kill "${busy[@]}" 2>/dev/null || true' EXIT
env "${startup_env[@]}" "$new/bin/bench_startup" --benchmark_min_time="$ts" \
  --benchmark_format=json --benchmark_out="$dir/startup-busy.json" --benchmark_out_format=json \
  --benchmark_filter='BM_StartupVsBaseline|BM_StartupPair|BM_StartupVsStubFloor' >/dev/null
kill "${busy[@]}" 2>/dev/null || true
trap - EXIT
echo "# end: $(machine)" >>"$dir/machine.txt"
python3 "$root/scripts/bench_summary_table.py" "$dir"
echo "(raw results: $dir)"
