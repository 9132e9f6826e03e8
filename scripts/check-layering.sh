#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# check-layering.sh [ROOT] - fail when a folder of graft includes a header of a folder it
# must not (docs/architecture.md, "Layers"). ROOT defaults to the source tree; the
# `layering_catches_bad_include` test points it at a fixture with a bad include.
#
#   cli, patchgen -> common                (the protocol, the store format, the symbol
#                                           rule; never src/)
#   loader -> store -> control -> trust -> common (minisign, conf), os, base
#   loader, store, control -> core -> transition -> arch -> os -> base
#                               core -> common (symbols), shadow (its types)
#   common -> os -> base                   (mapped files and build-ids are read via os/)
#   shadow -> os -> base                   (liburcu-bp loaded through os/lazy_libs)
#   base, audit -> nothing of graft
#
# Exception: core/init.cpp, the constructor linked only into libgraft.so, wires every
# concern together and may include any of them.
#
# Every #include "a/b.hpp" (or <a/b.hpp>) that names a file in runtime/src or
# runtime/common is checked; <graft/graft.h> (the ABI) is allowed everywhere.
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
cd "$root"

# What each folder may include, besides itself.
declare -A may=(
  [base]=""
  [common]="os base"
  [audit]=""
  [os]="base"
  [arch]="os base"
  [transition]="arch os base"
  [shadow]="os base"
  [core]="transition arch shadow common os base"
  [control]="trust core transition arch shadow common os base"
  [trust]="common os base"
  [store]="control trust core transition arch shadow common os base"
  [loader]="store control trust core transition arch shadow common os base"
  [cli]="common"
  [patchgen]="common"
)
declare -A may_file=(
  [runtime/src/core/init.cpp]="control trust loader store shadow transition arch common os base"
)

# The folder a source file belongs to.
area_of() {
  case "$1" in
    runtime/src/*)    local rest="${1#runtime/src/}"; echo "${rest%%/*}" ;;
    runtime/common/*) echo common ;;
    runtime/cli/*)    echo cli ;;
    runtime/audit/*)  echo audit ;;
    patchgen/*)       echo patchgen ;;
  esac
}

# The folder an included name resolves to, empty when it is not a graft header.
area_of_include() {
  if [ -f "runtime/common/$1" ]; then
    echo common
  elif [ -f "runtime/src/$1" ] && [[ "$1" == */* ]]; then
    echo "${1%%/*}"
  fi
}

errors=0
dirs=()
for d in runtime/src runtime/common runtime/cli runtime/audit patchgen; do
  [ -d "$d" ] && dirs+=("$d")
done
files=$(find "${dirs[@]}" -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.c' -o -name '*.h' \
             -o -name '*.S' \) | sort)
for f in $files; do
  area=$(area_of "$f")
  if [ -z "${may[$area]+set}" ]; then
    echo "$f: folder '$area' has no layering rule: add one to scripts/check-layering.sh" \
         "and docs/architecture.md" >&2
    errors=$((errors + 1))
    continue
  fi
  allowed="$area ${may[$area]} ${may_file[$f]:-}"
  while IFS=: read -r line inc; do
    [ -n "$inc" ] || continue
    to=$(area_of_include "$inc")
    [ -n "$to" ] || continue
    if [[ " $allowed " != *" $to "* ]]; then
      echo "$f:$line: $area must not include $inc (folder $to); $area may include:" \
           "${may[$area]:-nothing of graft}" >&2
      errors=$((errors + 1))
    fi
  done < <(grep -n -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*["<][^">]+[">]' "$f" |
           sed -E 's/^([0-9]+):[^"<]*["<]([^">]+)[">].*/\1:\2/')
done

if [ "$errors" -gt 0 ]; then
  echo "layering: $errors forbidden include(s)" >&2
  exit 1
fi
echo "layering: $(echo "$files" | wc -l) files follow the layers"
