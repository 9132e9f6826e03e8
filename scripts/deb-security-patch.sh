#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# deb-security-patch.sh - a Debian security update as a graft live patch for the library
# installed on this machine (built by Debian, not by graft-cc).
#
#   deb-security-patch.sh [options] SOURCE INSTALLED_VERSION FIXED_VERSION LIBRARY
#   e.g. deb-security-patch.sh libgd2 2.3.3-9 2.3.3-9+deb12u1 \
#            /usr/lib/x86_64-linux-gnu/libgd.so.3.0.11
#
#   --work DIR          where everything goes (default: a new /tmp/graft-deb.XXXXXX, kept)
#   --apt-dir DIR       a private apt directory with deb-src lists already fetched (as
#                       below); default: made in the work directory
#   --bin DIR           graft's bin directory (default: build/gcc/out/bin of this tree)
#   --install-build-deps  apt-get build-dep for the installed version's tree (else a
#                       missing build dependency stops the run, naming it)
#   --install-debug-file  install the debug file where the -dbgsym package puts it
#                       (/usr/lib/debug/.build-id/xx/yyyy.debug): the runtime needs it to
#                       find static functions of the stripped library when the module loads
#   -o MODULE           the module (default: WORK/SOURCE-FIXED_VERSION.so)
#
# Steps, each timed:
#  1. apt: deb-src of this release and of its security suite, in a private apt
#     configuration (the system's /etc/apt is not changed).
#  2. fetch: `apt-get source` of both versions (both must still be in the archive: only
#     the newest of each suite is), extracted with their Debian patches applied.
#  3. the library's symbols. Debian ships it stripped; its .symtab and DWARF are in the
#     -dbgsym package, in Debian's debug archive. Used when installed (by build-id).
#     Otherwise: the installed version is rebuilt as Debian builds it
#     (dpkg-buildpackage -b: debian/rules, dpkg-buildflags), and the rebuilt library,
#     stripped by the same dh_strip, must be the installed one byte for byte except the
#     build-id and the .gnu_debuglink (scripts/deb-security-patch/same-code.py); then
#     the rebuild's -dbgsym debug file, given the installed build-id, is the installed
#     library's debug file. A rebuild that differs anywhere else stops the run.
#  4. the fix: `diff -ruN` of the two trees (quilt's .pc/ left out): the upstream change
#     as Debian applied it, and debian/ (changelog, the new patch file).
#  5. graft-patchgen --src (the installed version's tree) --patch (the diff) --build
#     'debian/rules build' --target LIBRARY --debug-file ...: it builds the tree twice
#     in a scratch copy, through graft-cc with the flags of debian/rules
#     (dpkg-buildflags), checks them against the DW_AT_producer of the debug file, and
#     writes the module for LIBRARY, whose graft_object carries LIBRARY's build-id (the
#     runtime refuses it for any other build).
# Needs the network (deb.debian.org), root for --install-*, and minutes of building.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
here="$root/scripts/deb-security-patch"
work="" aptdir="" bin="$root/build/gcc/out/bin" module="" install_deps=0 install_debug=0
while [[ $# -gt 0 && $1 == -* ]]; do
	case "$1" in
	--work) work=$2; shift 2 ;;
	--apt-dir) aptdir=$2; shift 2 ;;
	--bin) bin=$2; shift 2 ;;
	--install-build-deps) install_deps=1; shift ;;
	--install-debug-file) install_debug=1; shift ;;
	-o) module=$2; shift 2 ;;
	*) echo "unknown option $1" >&2; exit 2 ;;
	esac
done
if [[ $# -ne 4 ]]; then
	sed -n '3,19p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
fi
src=$1 old_version=$2 new_version=$3 library=$(readlink -f "$4")
[[ -n $work ]] || work=$(mktemp -d /tmp/graft-deb.XXXXXX)
mkdir -p "$work"
work=$(cd "$work" && pwd)
[[ -n $module ]] || module="$work/$src-$new_version.so"

t0=$(date +%s.%N)
step() { # step NAME: the time since the last step
	local now
	now=$(date +%s.%N)
	awk -v a="$t0" -v b="$now" -v s="$1" 'BEGIN { printf "== %s (%.1f s)\n", s, b - a }'
	t0=$now
}
fail() { echo "deb-security-patch: $*" >&2; exit 1; }

# The installed library: which binary package, built from which source version.
# (/lib is /usr/lib: dpkg may know the file by either name.)
owner=$( (dpkg-query -S "$library" || dpkg-query -S "${library#/usr}") 2>/dev/null |
	head -1 | cut -d: -f1)
[[ -n $owner ]] || fail "$library belongs to no installed package"
read -r inst_src inst_version <<<"$(dpkg-query -W -f '${source:Package} ${source:Version}' "$owner")"
[[ $inst_src == "$src" && $inst_version == "$old_version" ]] ||
	fail "$library is $owner from source $inst_src $inst_version, not $src $old_version"
build_id=$(readelf -n "$library" | sed -n 's/.*Build ID: //p')
[[ -n $build_id ]] || fail "$library has no build-id"
echo "installed: $library ($owner, source $src $old_version, build-id $build_id)"

# 1. A private apt configuration with the release's source indices.
apt_opts() {
	echo "-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$aptdir" \
		"-o Dir::State::Lists=$aptdir/lists -o Dir::Cache=$aptdir/cache"
}
if [[ -z $aptdir ]]; then
	aptdir="$work/apt"
	# shellcheck disable=SC1091
	codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
	mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial"
	cat >"$aptdir/src.sources" <<EOF
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $codename
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: $codename-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
	# shellcheck disable=SC2046
	apt-get $(apt_opts) update >"$work/apt-update.log" 2>&1 ||
		fail "apt-get update of the source indices failed: $work/apt-update.log"
fi
step "apt: deb-src indices in $aptdir"

# 2. Both versions, as Debian builds them (patches applied).
for v in old new; do
	version=$old_version
	[[ $v == new ]] && version=$new_version
	rm -rf "${work:?}/$v"
	mkdir -p "$work/$v"
	# shellcheck disable=SC2046
	(cd "$work/$v" && apt-get $(apt_opts) source --download-only "$src=$version" \
		>"$work/fetch-$v.log" 2>&1) ||
		fail "apt-get source $src=$version failed (only the newest version of each suite" \
			"is in the archive): $work/fetch-$v.log"
	dsc=$(ls "$work/$v"/*.dsc)
	dpkg-source -x "$dsc" "$work/$v/tree" >>"$work/fetch-$v.log" 2>&1 ||
		fail "dpkg-source -x $dsc failed: $work/fetch-$v.log"
	echo "$v: $src $version ($(du -sh "$work/$v" | cut -f1) fetched and extracted)"
done
step "fetch: apt-get source $src=$old_version and $src=$new_version"

if ! (cd "$work/old/tree" && dpkg-checkbuilddeps) 2>"$work/builddeps.log"; then
	if [[ $install_deps -eq 1 ]]; then
		DEBIAN_FRONTEND=noninteractive apt-get build-dep -y "$work/old/tree" \
			>>"$work/builddeps.log" 2>&1 || fail "apt-get build-dep failed: $work/builddeps.log"
		step "build dependencies installed"
	else
		fail "$(cat "$work/builddeps.log") (--install-build-deps installs them)"
	fi
fi

# 3. The library's debug file: Debian's, or the rebuild's once its code is the installed.
debug="/usr/lib/debug/.build-id/${build_id:0:2}/${build_id:2}.debug"
DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)"
export DEB_BUILD_OPTIONS
if [[ -f $debug ]]; then
	echo "debug file: $debug (installed)"
else
	rm -rf "$work/ref"
	mkdir -p "$work/ref"
	cp -a "$work/old/tree" "$work/ref/tree"
	(cd "$work/ref/tree" && dpkg-buildpackage -b -uc -us) >"$work/ref/build.log" 2>&1 ||
		fail "dpkg-buildpackage of $src $old_version failed: $work/ref/build.log"
	step "reference build: dpkg-buildpackage -b of $src $old_version"
	deb=$(ls "$work/ref/${owner}_"*.deb) dbgsym=$(ls "$work/ref/${owner}-dbgsym_"*.deb 2>/dev/null) ||
		fail "the rebuild made no ${owner}-dbgsym package"
	dpkg-deb -x "$deb" "$work/ref/deb"
	dpkg-deb -x "$dbgsym" "$work/ref/dbgsym"
	rebuilt="$work/ref/deb$library"
	[[ -f $rebuilt ]] || fail "$deb has no $library"
	rebuilt_id=$(readelf -n "$rebuilt" | sed -n 's/.*Build ID: //p')
	rebuilt_debug="$work/ref/dbgsym/usr/lib/debug/.build-id/${rebuilt_id:0:2}/${rebuilt_id:2}.debug"
	echo "rebuilt: $rebuilt (build-id $rebuilt_id)"
	python3 "$here/same-code.py" "$library" "$rebuilt" "$rebuilt_debug" "$work/$build_id.debug" ||
		fail "the rebuild is not the installed library: its symbols would be another build's"
	if [[ $install_debug -eq 1 ]]; then
		mkdir -p "$(dirname "$debug")"
		cp "$work/$build_id.debug" "$debug"
		echo "installed $debug"
	else
		debug="$work/$build_id.debug"
	fi
	step "symbols: the rebuild is the installed library"
fi

# 4. The fix, as the security update changes the source package.
(cd "$work" && diff -ruN -x .pc old/tree new/tree >"$work/fix.patch") || [[ $? -eq 1 ]] ||
	fail "diff of the two trees failed"
sed -i 's#^\(---\|+++\) \(old\|new\)/tree/#\1 \2/#' "$work/fix.patch"
echo "the update, as a patch of the source tree: $work/fix.patch"
diffstat "$work/fix.patch" 2>/dev/null || grep '^+++ ' "$work/fix.patch"

# 5. The module.
"$bin/graft-patchgen" --src "$work/old/tree" --patch "$work/fix.patch" \
	--build 'rm -f debian/debhelper-build-stamp && debian/rules build' \
	--target "$library" --debug-file "$debug" -o "$module" 2>"$work/patchgen.err" ||
	fail "graft-patchgen failed: $(cat "$work/patchgen.err")"
grep -v '^graft-patchgen: warning: .*not compared' "$work/patchgen.err" >&2 || true
step "graft-patchgen (two builds of debian/rules through graft-cc)"
echo "module: $module ($(stat -c %s "$module") bytes; .text $(size -A "$module" | awk '$1 == ".text" {print $2}') bytes)"
