#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# format.sh [--check] - graft's one style (.clang-format, the kernel's with 100 columns)
# over every tracked C and C++ file. Without --check: rewrites them in place. With
# --check: changes nothing, lists the files that differ from the style and exits 1 if
# any does. Needs clang-format (Debian package clang-format).
set -euo pipefail
cd "$(dirname "$0")/.."
check=0
[ "${1:-}" = "--check" ] && check=1
command -v clang-format >/dev/null ||
  { echo "format.sh: clang-format not found: install the Debian package clang-format" >&2; exit 2; }

# Left as they are: the layering fixture (its bad include is the point), and the sources
# graft-patchgen's tests and sample apply fixes to (their .patch files name lines and
# context; vendored upstream code keeps its own style).
mapfile -t files < <(git ls-files '*.c' '*.cpp' '*.hpp' '*.h' |
  grep -v -E '^(tests/unit/layering|tests/integration/patchgen|samples/patchgen)/')
if [ "$check" -eq 0 ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
bad=0
for f in "${files[@]}"; do
  if ! clang-format "$f" | cmp -s - "$f"; then
    echo "$f: $(clang-format "$f" | diff "$f" - | grep -c '^>') line(s) differ from .clang-format"
    bad=$((bad + 1))
  fi
done
if [ "$bad" -gt 0 ]; then
  echo "format.sh: $bad of ${#files[@]} files differ: run scripts/format.sh" >&2
  exit 1
fi
echo "format.sh: ${#files[@]} files follow .clang-format"
