#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test-packages.sh BUILD_DIR - the packages end to end, on this machine (needs root):
#   1. cpack builds graft_*.deb and graft-dev_*.deb from BUILD_DIR; lintian finds no
#      error or warning (the overrides shipped in the package say why for the rest);
#   2. both are installed with dpkg; `man graft` shows the page;
#   3. a patch module is built from a directory outside the source tree, once with
#      find_package(graft) and once with pkg-config;
#   4. the installed graft starts a sample target with the installed runtime, loads
#      each module, sees the answer change, and unloads it;
#   5. the packages are purged and leave no file behind.
# Exit 77 (skipped) when not root or when graft packages are already installed (this
# test never replaces an installation it did not make).
set -euo pipefail
build="$(cd "${1:?usage: test-packages.sh BUILD_DIR}" && pwd)"
root="$(cd "$(dirname "$0")/.." && pwd)"
sample="$root/tests/integration/package/sample"

say() { echo "package test: [${SECONDS}s] $*"; }
fail() { echo "package test: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || { say "skipped: installing packages needs root"; exit 77; }

# One run at a time on this machine: the packages are system-wide.
exec 9>/run/lock/graft-package-test.lock
flock -w 300 9 || fail "another package test holds /run/lock/graft-package-test.lock"

for p in graft graft-dev; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    say "skipped: package $p is already installed on this machine (remove it to run this test)"
    exit 77
  fi
done

work=$(mktemp -d /tmp/graft-package-test.XXXXXX)
target_pid=""
installed=0
cleanup() {
  set +e
  if [ -n "$target_pid" ]; then
    kill "$target_pid" 2>/dev/null
    wait "$target_pid" 2>/dev/null
  fi
  if [ "$installed" -eq 1 ]; then
    dpkg --purge graft-dev graft >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# --- 1. build and check the packages ------------------------------------------------------
say "cpack"
(cd "$build" && cpack -G DEB -B "$work/debs" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log"; fail "cpack"; }
rt=$(ls "$work"/debs/graft_*_amd64.deb)
dev=$(ls "$work"/debs/graft-dev_*_amd64.deb)
deps=$(dpkg-deb -f "$rt" Depends)
for lib in libc6 liburcu8 libelf1 libzydis libsodium23; do # shlibdeps, then the dlopen ones
  grep -q "$lib" <<<"$deps" || fail "graft's Depends lacks $lib: $deps"
done
if command -v lintian >/dev/null; then
  say "lintian"
  lintian --allow-root "$rt" "$dev" >"$work/lintian.log" 2>&1 || true
  cat "$work/lintian.log"
  if grep -E '^[EW]: ' "$work/lintian.log"; then
    fail "lintian reports errors or warnings (see above; docs/install.md lists the accepted ones)"
  fi
else
  fail "lintian is not installed (scripts/setup-deps.sh installs it)"
fi

# --- 2. install ---------------------------------------------------------------------------
say "dpkg -i"
installed=1
dpkg -i "$rt" "$dev" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i"; }
[ -x /usr/bin/graft ] && [ -x /usr/bin/graft-patchgen ] && [ -x /usr/bin/graft-cc ] ||
  fail "the commands are not in /usr/bin"
pkglib=$(dirname "$(dpkg -L graft | grep '/libgraft\.so$')")
if grep -qs 'path-exclude.*/usr/share/man' /etc/dpkg/dpkg.cfg.d/*; then
  # dpkg on this machine drops man pages (a minimal image): read the packaged one.
  say "dpkg excludes /usr/share/man here: checking the page in the .deb instead"
  dpkg-deb -x "$rt" "$work/rt"
  MANPAGER=cat man -l "$work/rt/usr/share/man/man1/graft.1.gz" >"$work/man.txt" 2>/dev/null
else
  MANPAGER=cat MANWIDTH=80 man graft >"$work/man.txt" 2>/dev/null || fail "man graft"
fi
grep -q 'graft - live-patch running processes' "$work/man.txt" || fail "man graft: no NAME line"
grep -q 'graft load' "$work/man.txt" || fail "man graft: the commands from docs/cli.md are missing"

# --- 3. patch modules from outside the source tree ------------------------------------------
say "find_package(graft) and pkg-config, in $work/src"
cp -r "$sample" "$work/src"
env -u CMAKE_PREFIX_PATH cmake -S "$work/src" -B "$work/src/build" -G Ninja \
  >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; fail "cmake with find_package(graft)"; }
cmake --build "$work/src/build" >>"$work/cmake.log" 2>&1 ||
  { cat "$work/cmake.log"; fail "building the module with graft_add_patch_module"; }
grep -q "^graft_DIR:PATH=/usr/share/cmake/graft$" "$work/src/build/CMakeCache.txt" ||
  fail "find_package(graft) did not find the installed package in /usr/share/cmake/graft"
fix_cmake="$work/src/build/fix_cmake.so"
fix_pc="$work/src/fix_pc.so"
# shellcheck disable=SC2046
cc -O2 $(pkg-config --cflags graft) $(pkg-config --variable=module_cflags graft) \
   $(pkg-config --variable=module_ldflags graft) -o "$fix_pc" "$work/src/fix.c" ||
  fail "building the module with pkg-config"
[ "$(pkg-config --variable=libgraft graft)" = "$pkglib/libgraft.so" ] ||
  fail "graft.pc's libgraft is not $pkglib/libgraft.so"
cc -O2 -o "$work/target" "$work/src/target.c"

# --- 4. the installed graft patches the target -----------------------------------------------
export GRAFT_RUNTIME_DIR="$work/run"
wait_for() { # PATTERN FILE [COUNT]: up to 30 s for COUNT (default 1) lines matching
  local i
  for ((i = 0; i < 3000; i++)); do
    [ "$(grep -c "$1" "$2" 2>/dev/null)" -ge "${3:-1}" ] && return 0
    sleep 0.01
  done
  fail "waited 30 s for ${3:-1} line(s) '$1' in $2: $(cat "$2" 2>/dev/null)"
}
say "graft run, load, unload"
/usr/bin/graft run -- "$work/target" >"$work/target.out" 2>"$work/target.err" &
target_pid=$!
wait_for 'answer 1' "$work/target.out"
for ((i = 0; i < 3000; i++)); do
  /usr/bin/graft ps 2>/dev/null | grep -q "^ *$target_pid " && break
  sleep 0.01
done
grep -q "$pkglib/libgraft.so" "/proc/$target_pid/maps" ||
  fail "the target does not map the installed $pkglib/libgraft.so"
n=0
for fix in "$fix_cmake" "$fix_pc"; do
  name=$(basename "$fix" .so)
  n=$((n + 1))
  /usr/bin/graft load "$target_pid" "$fix" || fail "graft load $fix"
  wait_for "answer 2" "$work/target.out" "$n"
  /usr/bin/graft list "$target_pid" | grep -q "^$name " || fail "graft list does not show $name"
  /usr/bin/graft disable "$target_pid" "$name" || fail "graft disable $name"
  wait_for "answer 1" "$work/target.out" $((n + 1))
  /usr/bin/graft unload "$target_pid" "$name" || fail "graft unload $name"
done
kill "$target_pid"; wait "$target_pid" 2>/dev/null || true; target_pid=""

# --- 5. remove --------------------------------------------------------------------------------
say "dpkg --purge"
dpkg --purge graft-dev graft >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg --purge"; }
installed=0
for f in /usr/bin/graft /usr/bin/graft-patchgen /usr/bin/graft-cc /usr/bin/graft-c++ \
         "$pkglib" /usr/include/graft /usr/share/cmake/graft /usr/share/graft \
         /usr/share/man/man1/graft.1.gz /usr/share/doc/graft; do
  [ ! -e "$f" ] || fail "$f is still there after dpkg --purge"
done
say "passed"
