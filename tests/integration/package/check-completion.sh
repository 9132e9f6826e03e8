#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# check-completion.sh GRAFT SAMPLES - the bash completion (scripts/completion/graft)
# against a real process: subcommands, the PID `graft ps` lists, the patch it has loaded.
set -euo pipefail
graft="$1" samples="$2"
export GRAFT_RUNTIME_DIR
GRAFT_RUNTIME_DIR=$(mktemp -d /tmp/graft-completion.XXXXXX)
pid=""
cleanup() { # the target may be gone already: closing its stdin ends it
  set +e
  exec 8>&-
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$GRAFT_RUNTIME_DIR"
  return 0
}
trap cleanup EXIT
fail() { echo "completion: FAILED: $*" >&2; exit 1; }

# The target reads commands from stdin: a FIFO this script holds open until it ends.
mkfifo "$GRAFT_RUNTIME_DIR/stdin"
"$graft" run -- "$samples/livepatch-target" <"$GRAFT_RUNTIME_DIR/stdin" >/dev/null 2>&1 &
pid=$!
exec 8>"$GRAFT_RUNTIME_DIR/stdin"
for ((i = 0; i < 3000; i++)); do
  "$graft" ps 2>/dev/null | grep -q "^ *$pid " && break
  sleep 0.01
done
"$graft" load "$pid" "$samples/livepatch-sample.so" >/dev/null

# shellcheck source=/dev/null
source "$(dirname "$0")/../../../scripts/completion/graft"
complete_words() { # WORDS...: prints the completions of the last word
  COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
  _graft 2>/dev/null || true
  echo "${COMPREPLY[*]}"
}
expect() { # EXPECTED WORDS...
  local want="$1"; shift
  local got; got=$(complete_words "$@")
  [ "$got" = "$want" ] || fail "'${*:2}': got '$got', want '$want'"
  echo "completion: '${*:2}' -> $got"
}
expect "disable" "$graft" di
expect "$pid" "$graft" disable ""
expect "livepatch-sample" "$graft" disable "$pid" ""
expect "$pid" "$graft" --json list ""
expect "--follow" "$graft" log "$pid" --fo
subs=$(complete_words "$graft" "")
for s in run ps load enable disable unload list log status force; do
  [[ " $subs " == *" $s "* ]] || fail "subcommand $s missing from '$subs'"
done
echo "completion: passed"
