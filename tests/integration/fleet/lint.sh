#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# lint.sh COLLECTION_DIR - ansible-lint (Debian's) on the graft.live collection, offline:
# the collection is found through a private ANSIBLE_COLLECTIONS_PATH (a link named
# ansible_collections/graft/live) instead of being installed from galaxy, and HOME is a
# temporary directory so that nothing is written to the user's caches.
set -euo pipefail
coll="$(cd "$1" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/collections/ansible_collections/graft"
ln -s "$coll" "$tmp/collections/ansible_collections/graft/live"
cd "$coll"
HOME="$tmp" ANSIBLE_COLLECTIONS_PATH="$tmp/collections" PYTHONDONTWRITEBYTECODE=1 \
  ansible-lint --offline --strict --nocolor
