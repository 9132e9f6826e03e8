#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench-vs-libpulp.sh [--libpulp PREFIX] [--bin DIR] [--baseline DIR] [--reps N] [--first N]
#                     [--threads "0 16 64"] [--keep]
#
# Times `graft load` of a one-function patch against SUSE libpulp's `ulp trigger` of the
# same change, end to end (command start to exit), in one run, interleaved (issue 17;
# docs/performance.md); and `ulp trigger -c` too when libpulp was built with
# --enable-stack-check (its check that no thread is inside the target library, the
# nearest it has to graft's consistency model, which is always on). Builds one shared library with one function (both tools'
# patchable entry, -fpatchable-function-entry=16,14), two copies of a target linked to
# it with N idle threads (one started with libpulp.so preloaded, one with libgraft.so),
# and a patch for each tool; then, per repetition and thread count, times a patch and
# undoes it (graft: load, then disable and unload; libpulp: trigger, then trigger
# --revert) so every repetition starts from the same state. Also times the first patch
# of a fresh process and each CLI's start (--help) against /bin/true. Prints date, CPU, load
# average and versions, then a table of medians. Run by hand, not in CI.
#
#   --libpulp PREFIX  libpulp's install prefix (PREFIX/bin/ulp, PREFIX/lib/libpulp.so);
#                     default $LIBPULP_PREFIX. Not vendored: build it yourself (see the
#                     message printed when it is missing).
#   --bin DIR         an existing graft build's out/bin (graft; ../lib/libgraft.so);
#                     default: build build/gcc with scripts/build.sh
#   --baseline DIR    another graft build's out/bin, timed in the same run (before/after)
#   --reps N          timed repetitions per tool and thread count (default 40)
#   --first N         fresh processes per tool and thread count for the first patch (default 5)
#   --threads LIST    idle thread counts (default "0 16 64")
#   --keep            keep the work directory (printed) for a look at the logs
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
me="bench-vs-libpulp.sh"

libpulp="${LIBPULP_PREFIX:-}"
bin=""
base_bin=""
reps=40
first=5
threads="0 16 64"
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --libpulp) libpulp="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --first) first="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --baseline) base_bin="$2"; shift 2 ;;
    -h|--help) sed -n '3,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "$me: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

missing_libpulp() {
  cat >&2 <<EOF
$me: $1
libpulp is not part of graft and not vendored: build it and pass its install prefix
with --libpulp PREFIX or LIBPULP_PREFIX=PREFIX. On Debian 12, for example:
  apt-get install autoconf automake autoconf-archive libtool libelf-dev libjson-c-dev \\
    libseccomp-dev libunwind-dev python3-pexpect python3-psutil python3-pyelftools
  git clone https://github.com/SUSE/libpulp && cd libpulp && ./bootstrap
  mkdir build && cd build && PYTHON=/usr/bin/python3 ../configure --prefix=/tmp/libpulp
  make && make install          # then: $me --libpulp /tmp/libpulp
(add --enable-stack-check to configure for libpulp's check that no thread is inside
the target library while it patches)
EOF
  exit 1
}
if [ -z "$libpulp" ]; then
  missing_libpulp "no libpulp prefix given"
fi
ulp="$libpulp/bin/ulp"
libpulp_so=""
for d in lib lib64 lib/x86_64-linux-gnu; do
  if [ -e "$libpulp/$d/libpulp.so" ]; then libpulp_so="$libpulp/$d/libpulp.so"; break; fi
done
[ -x "$ulp" ] || missing_libpulp "'$ulp' does not exist or is not executable"
[ -n "$libpulp_so" ] || missing_libpulp "no libpulp.so under '$libpulp/lib'"
command -v cc >/dev/null || { echo "$me: needs a C compiler as 'cc'" >&2; exit 1; }

if [ -z "$bin" ]; then
  dir=$(CC="${CC:-gcc}" CXX="${CXX:-g++}" GRAFT_TARGETS="graft graft_cli graft-audit" \
        bash "$root/scripts/build.sh" gcc)
  bin="$dir/out/bin"
fi
graft="$bin/graft"
libgraft="$bin/../lib/libgraft.so"
[ -x "$graft" ] || { echo "$me: no graft in '$bin' (build it or pass --bin)" >&2; exit 1; }
[ -e "$libgraft" ] || { echo "$me: no '$libgraft' next to '$graft'" >&2; exit 1; }
libgraft="$(cd "$(dirname "$libgraft")" && pwd)/libgraft.so"
base_graft=""
base_libgraft=""
if [ -n "$base_bin" ]; then
  base_graft="$base_bin/graft"
  base_libgraft="$base_bin/../lib/libgraft.so"
  if [ ! -x "$base_graft" ] || [ ! -e "$base_libgraft" ]; then
    echo "$me: --baseline '$base_bin' has no graft and ../lib/libgraft.so" >&2
    exit 1
  fi
  base_libgraft="$(cd "$(dirname "$base_libgraft")" && pwd)/libgraft.so"
fi
# cli_of TOOL, lib_of TOOL: the graft command and runtime of tool graft or graftb.
cli_of() { if [ "$1" = graftb ]; then echo "$base_graft"; else echo "$graft"; fi; }
lib_of() { if [ "$1" = graftb ]; then echo "$base_libgraft"; else echo "$libgraft"; fi; }
is_graft() { [ "$1" = graft ] || [ "$1" = graftb ]; }

work="$(mktemp -d /tmp/bench-vs-libpulp.XXXXXX)"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "$keep" = 1 ]; then echo "# work directory kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
mkdir -m 700 "$work/run" "$work/pulp" "$work/graft"
# The CLI and the targets find each other's sockets here, away from anyone else's.
export GRAFT_RUNTIME_DIR="$work/run"

# --- sources -------------------------------------------------------------------------
# Times a command from just before it is spawned to just after it is reaped, so a
# shell's own fork and exec are not counted; writes the microseconds to descriptor 3
# (the command's own output goes wherever stdout and stderr point) and exits with the
# command's status.
cat >"$work/timeit.c" <<'EOF'
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
extern char **environ;
int main(int argc, char **argv)
{
	struct timespec a, b;
	pid_t pid;
	int st;
	FILE *out = fdopen(3, "w");
	if (argc < 2 || !out)
		return 2;
	fcntl(3, F_SETFD, FD_CLOEXEC); /* not the command's */
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (posix_spawn(&pid, argv[1], NULL, NULL, argv + 1, environ) != 0)
		return 127;
	if (waitpid(pid, &st, 0) != pid)
		return 127;
	clock_gettime(CLOCK_MONOTONIC, &b);
	fprintf(out, "%ld\n", (b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}
EOF
cat >"$work/libbench.c" <<'EOF'
/* The one function both tools patch. noipa: callers must really call it. */
__attribute__((noipa)) int bench_value(int x)
{
	return x + 1;
}
EOF
cat >"$work/target.c" <<'EOF'
/* N idle threads blocked in pause(); the main thread prints bench_value(1) at start and
 * on each SIGUSR1, so the script can see whether the patch is in effect. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int bench_value(int);
static volatile sig_atomic_t asked;
static void on_usr1(int sig)
{
	(void)sig;
	asked = 1;
}
static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}
int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0;
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	/* Only the main thread takes SIGUSR1: the threads inherit the blocked mask. */
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	for (int i = 0; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, idle, NULL) != 0) {
			perror("pthread_create");
			return 1;
		}
	}
	signal(SIGUSR1, on_usr1);
	pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
	printf("value %d\n", bench_value(1));
	fflush(stdout);
	for (;;) {
		pause();
		if (asked) {
			asked = 0;
			printf("value %d\n", bench_value(1));
			fflush(stdout);
		}
	}
}
EOF
cat >"$work/graft/benchfix.c" <<'EOF'
#include <graft/graft.h>
static int bench_value_fixed(int x)
{
	return x + 2;
}
static struct graft_func funcs[] = {{.old_name = "bench_value", .new_func = (void *)bench_value_fixed}, {0}};
static struct graft_object objs[] = {{.name = "libbench.so", .funcs = funcs}, {0}};
static struct graft_patch patch = {.objs = objs};
GRAFT_PATCH(patch);
EOF
cat >"$work/pulp/benchfix.c" <<'EOF'
int bench_value_fixed(int x)
{
	return x + 2;
}
EOF

# --- build ---------------------------------------------------------------------------
cflags=(-O2 -g -Wall)
# shellcheck disable=SC2054 # the commas belong to the options
lib_flags=(-fPIC -shared -fpatchable-function-entry=16,14 -fno-inline -Wl,--build-id
           -Wl,--hash-style=both -Wl,-soname,libbench.so)
cc "${cflags[@]}" -o "$work/timeit" "$work/timeit.c"
for t in pulp graft; do
  cc "${cflags[@]}" "${lib_flags[@]}" -o "$work/$t/libbench.so" "$work/libbench.c"
  cc "${cflags[@]}" -pthread -o "$work/$t/target" "$work/target.c" \
     -L"$work/$t" -lbench -Wl,-rpath,"$work/$t"
done
# libpulp wants its entries' one-byte NOPs turned into multi-byte NOPs (ulp post); graft
# takes either, but gets its own unchanged copy.
"$ulp" post "$work/pulp/libbench.so" >"$work/pulp/post.log" 2>&1
cc "${cflags[@]}" -fPIC -shared -o "$work/pulp/benchfix.so" "$work/pulp/benchfix.c"
printf '%s\n' "$work/pulp/benchfix.so" "@$work/pulp/libbench.so" "bench_value:bench_value_fixed" \
  >"$work/pulp/benchfix.dsc"
"$ulp" packer "$work/pulp/benchfix.dsc" >"$work/pulp/packer.log" 2>&1 ||
  { cat "$work/pulp/packer.log" >&2; echo "$me: ulp packer failed" >&2; exit 1; }
cc "${cflags[@]}" -fPIC -shared -I"$root/runtime/include" -o "$work/graft/benchfix.so" \
   "$work/graft/benchfix.c"

# --- targets -------------------------------------------------------------------------
# start_target TOOL N: starts a target and sets $target_pid once it printed its first
# value (its threads exist then) and, for graft, its control socket answers.
start_target() {
  local tool="$1" n="$2" out="$work/$1-$2-$RANDOM.out"
  if ! is_graft "$tool"; then
    LD_PRELOAD="$libpulp_so" "$work/pulp/target" "$n" >"$out" 2>&1 &
  else
    LD_PRELOAD="$(lib_of "$tool")" "$work/graft/target" "$n" >"$out" 2>&1 &
  fi
  target_pid=$!
  target_out="$out"
  pids+=("$target_pid")
  for _ in $(seq 500); do
    if grep -q '^value' "$out" 2>/dev/null; then
      if ! is_graft "$tool" || "$(cli_of "$tool")" list "$target_pid" >/dev/null 2>&1; then
        return 0
      fi
    fi
    sleep 0.01
  done
  echo "$me: $tool target with $n threads did not start:" >&2
  cat "$out" >&2
  exit 1
}
stop_target() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
# value_of PID OUT: what the target's bench_value(1) returns now.
value_of() {
  local before after
  before=$(grep -c '^value' "$2")
  kill -USR1 "$1"
  for _ in $(seq 200); do
    after=$(grep -c '^value' "$2")
    if [ "$after" -gt "$before" ]; then grep '^value' "$2" | tail -1 | cut -d' ' -f2; return; fi
    sleep 0.01
  done
  echo "none"
}

log="$work/commands.log"
# timed KIND TOOL N CMD...: runs CMD under timeit, records the time, fails loudly.
timed() {
  local kind="$1" tool="$2" n="$3" us
  shift 3
  if ! us=$("$work/timeit" "$@" 3>&1 >>"$log" 2>&1); then
    echo "$me: failed: $*" >&2
    tail -5 "$log" >&2
    exit 1
  fi
  echo "$kind $tool $n $us" >>"$work/samples"
}
quiet() {
  "$@" >>"$log" 2>&1 || { echo "$me: failed: $*" >&2; tail -5 "$log" >&2; exit 1; }
}
# patch_cycle KIND TOOL N PID: one timed patch, then undo it. TOOL pulpc is libpulp
# with its stack check (-c).
patch_cycle() {
  local kind="$1" tool="$2" n="$3" pid="$4"
  if [ "$tool" = pulp ]; then
    timed "$kind" pulp "$n" "$ulp" trigger -p "$pid" "$work/pulp/benchfix.so"
    quiet "$ulp" trigger --revert -p "$pid" "$work/pulp/benchfix.so"
  elif [ "$tool" = pulpc ]; then
    timed "$kind" pulpc "$n" "$ulp" trigger -c -p "$pid" "$work/pulp/benchfix.so"
    quiet "$ulp" trigger --revert -p "$pid" "$work/pulp/benchfix.so"
  else
    local g
    g="$(cli_of "$tool")"
    timed "$kind" "$tool" "$n" "$g" load "$pid" "$work/graft/benchfix.so"
    quiet "$g" disable "$pid" benchfix
    quiet "$g" unload "$pid" benchfix
  fi
}
# check_cycle TOOL N PID OUT: the patch changes bench_value(1) from 2 to 3 and back.
check_cycle() {
  local tool="$1" n="$2" pid="$3" out="$4" v0 v1 v2 g
  g="$(cli_of "$tool")"
  v0=$(value_of "$pid" "$out")
  if ! is_graft "$tool"; then
    quiet "$ulp" trigger -p "$pid" "$work/pulp/benchfix.so"
    v1=$(value_of "$pid" "$out")
    quiet "$ulp" trigger --revert -p "$pid" "$work/pulp/benchfix.so"
  else
    quiet "$g" load "$pid" "$work/graft/benchfix.so"
    v1=$(value_of "$pid" "$out")
    quiet "$g" disable "$pid" benchfix
    quiet "$g" unload "$pid" benchfix
  fi
  v2=$(value_of "$pid" "$out")
  if [ "$v0 $v1 $v2" != "2 3 2" ]; then
    echo "$me: $tool with $n threads: bench_value(1) was $v0, $v1 patched, $v2 undone (want 2 3 2)" >&2
    exit 1
  fi
}

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $cpu, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# kernel $(uname -r); graft $(git -C "$root" describe --always --dirty 2>/dev/null || echo '?') ($graft); libpulp $("$ulp" --version 2>&1 | head -1) ($libpulp)"
tools="pulp"
if "$ulp" trigger --help 2>&1 | grep -q -- --check-stack; then
  tools="pulp pulpc"
  echo "# libpulp has --check-stack: 'ulp trigger -c' timed too"
fi
tools="$tools graft"
if [ -n "$base_graft" ]; then
  tools="$tools graftb"
  echo "# baseline: graft $(git -C "$base_bin" describe --always --dirty 2>/dev/null || echo '?') ($base_graft)"
fi
echo "# $reps repetitions per row, interleaved; first patch: $first fresh processes per row"

# The first patch of a fresh process (graft loads libelf and Zydis with it).
for n in $threads; do
  for _ in $(seq "$first"); do
    for tool in $tools; do
      start_target "$tool" "$n"
      patch_cycle first "$tool" "$n" "$target_pid"
      stop_target "$target_pid"
    done
  done
done

# Later patches: one long-lived target per tool and thread count, checked first.
declare -A tpid
for n in $threads; do
  for tool in $tools; do
    start_target "$tool" "$n"
    tpid[$tool-$n]=$target_pid
    check_cycle "$tool" "$n" "$target_pid" "$target_out"
  done
done
for r in $(seq "$reps"); do
  # Alternate which tool goes first, so neither always follows the other's work.
  if [ $((r % 2)) = 0 ]; then order="$tools"; else order="$(echo "$tools" | tr ' ' '\n' | tac | tr '\n' ' ')"; fi
  for n in $threads; do
    for tool in $order; do patch_cycle load "$tool" "$n" "${tpid[$tool-$n]}"; done
  done
  timed cli true 0 /bin/true
  for tool in $order; do
    case "$tool" in
      pulp) timed cli pulp 0 "$ulp" --help ;;
      graft | graftb) timed cli "$tool" 0 "$(cli_of "$tool")" --help ;;
    esac
  done
done
echo "# load at the end $(cut -d' ' -f1-3 /proc/loadavg)"

# --- table ---------------------------------------------------------------------------
# stat KIND TOOL N: "median [p25-p75]" in ms.
stat() {
  awk -v k="$1" -v t="$2" -v n="$3" '$1 == k && $2 == t && $3 == n { print $4 }' "$work/samples" |
    sort -n | awk '{ a[NR] = $1 } END {
      if (NR == 0) { print "-"; exit }
      m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
      printf "%.2f [%.2f-%.2f]", m / 1000, a[int((NR - 1) * 0.25) + 1] / 1000, a[int((NR - 1) * 0.75) + 1] / 1000
    }'
}
median() { stat "$@" | cut -d' ' -f1; }
echo
echo "ms, median [25th-75th percentile]; last column: graft load's median minus libpulp's"
w=38
header=(what)
for tool in $tools; do
  case "$tool" in
    pulp) header+=("ulp trigger") ;;
    pulpc) header+=("ulp trigger -c") ;;
    graft) header+=("graft load") ;;
    graftb) header+=("graft load, baseline") ;;
  esac
done
header+=("graft - libpulp")
[[ " $tools " == *" pulpc "* ]] && header[-1]="graft - libpulp (-c)"
row() { printf "%-${w}s" "$1"; shift; printf ' %-22s' "$@"; echo; }
row "${header[@]}"
diff_ms() {
  awk -v g="$(median "$1" graft "$2")" -v p="$(median "$1" "$3" "$2")" 'BEGIN { printf "%+.2f", g - p }'
}
for n in $threads; do
  for kind in load first; do
    label="patch, $n idle threads"
    [ "$kind" = first ] && label="first patch of a process, $n threads"
    cells=()
    for tool in $tools; do cells+=("$(stat "$kind" "$tool" "$n")"); done
    d="$(diff_ms "$kind" "$n" pulp)"
    [[ " $tools " == *" pulpc "* ]] && d="$d ($(diff_ms "$kind" "$n" pulpc))"
    row "$label" "${cells[@]}" "$d"
  done
done
cells=()
for tool in $tools; do
  if [ "$tool" = pulpc ]; then cells+=(""); else cells+=("$(stat cli "$tool" 0)"); fi
done
row "CLI start, --help (/bin/true $(median cli true 0))" "${cells[@]}"
