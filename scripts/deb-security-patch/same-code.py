#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""same-code.py INSTALLED REBUILT REBUILT_DEBUG OUT_DEBUG

A stripped library as Debian shipped it (INSTALLED), the same package version rebuilt
here (REBUILT, stripped by the same dh_strip) and the rebuild's separate debug file
(REBUILT_DEBUG, from its -dbgsym package). When Debian's debug archive cannot be
reached, the rebuild's debug file is the installed library's only if the two libraries
are the same code: this checks that the two files are equal byte for byte except the
build-id (a hash that also covers the debug sections, which a rebuild on another machine
does not reproduce: paths and versions of the headers of other packages end up in the
line tables) and the .gnu_debuglink (the debug file's name, that build-id, and its CRC).
Everything the loader maps, every instruction and every data byte, and every section
header is compared. Then OUT_DEBUG is written: REBUILT_DEBUG with the installed build-id,
the debug file of the installed library, where its -dbgsym package would have put it.

Prints what was compared; exit 1 (and nothing written) when the files differ elsewhere.
"""
import struct
import sys


def sections(data):
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise SystemExit("not a 64-bit little-endian ELF file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    hdrs = []
    for i in range(shnum):
        name, typ, flags, addr, off, size = struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)
        hdrs.append([name, typ, flags, addr, off, size])
    stroff, strsize = hdrs[shstrndx][4], hdrs[shstrndx][5]
    out = {}
    for name, typ, flags, addr, off, size in hdrs:
        end = data.index(b"\0", stroff + name)
        out[data[stroff + name:end].decode()] = (typ, flags, addr, off, size)
    return out


def build_id(data, secs):
    """(offset, length) of the build-id descriptor in data."""
    typ, flags, addr, off, size = secs[".note.gnu.build-id"]
    namesz, descsz, ntype = struct.unpack_from("<III", data, off)
    if ntype != 3 or data[off + 12:off + 12 + namesz] != b"GNU\0":
        raise SystemExit("unexpected .note.gnu.build-id")
    desc = off + 12 + ((namesz + 3) & ~3)
    return desc, descsz


def main():
    installed_p, rebuilt_p, debug_p, out_p = sys.argv[1:5]
    installed = open(installed_p, "rb").read()
    rebuilt = open(rebuilt_p, "rb").read()
    debug = bytearray(open(debug_p, "rb").read())
    si, sr = sections(installed), sections(rebuilt)
    if len(installed) != len(rebuilt) or sorted(si) != sorted(sr):
        raise SystemExit(f"differ: sizes {len(installed)} and {len(rebuilt)}, or their sections")
    bi, br = build_id(installed, si), build_id(rebuilt, sr)
    if bi != br:
        raise SystemExit("differ: the build-id notes are not at the same place")
    skip = [range(bi[0], bi[0] + bi[1])]
    if ".gnu_debuglink" in si:
        if si[".gnu_debuglink"] != sr[".gnu_debuglink"]:
            raise SystemExit("differ: .gnu_debuglink is not at the same place")
        off, size = si[".gnu_debuglink"][3], si[".gnu_debuglink"][4]
        skip.append(range(off, off + size))
    diff = [i for i in range(len(installed)) if installed[i] != rebuilt[i]]
    outside = [i for i in diff if not any(i in r for r in skip)]
    if outside:
        where = [n for n, s in si.items() if s[3] <= outside[0] < s[3] + s[4]]
        raise SystemExit(f"differ: {len(outside)} bytes outside the build-id and the debug link, "
                         f"the first at offset {outside[0]:#x} ({', '.join(where) or 'no section'})")
    alloc = sum(s[4] for s in si.values() if s[1] & 2 and s[0] != 8)
    text = si[".text"][4]
    print(f"same code: {installed_p} and the rebuild are equal in all {len(installed)} bytes "
          f"but the build-id and .gnu_debuglink ({len(diff)} bytes differ there); "
          f"{alloc} bytes mapped by the loader, .text {text} bytes, {len(si)} section headers")
    idi = installed[bi[0]:bi[0] + bi[1]]
    idr = rebuilt[br[0]:br[0] + br[1]]
    sd = sections(debug)
    bd = build_id(debug, sd)
    if debug[bd[0]:bd[0] + bd[1]] != idr:
        raise SystemExit(f"{debug_p} is not the debug file of {rebuilt_p} (build-id)")
    if ".symtab" not in sd:
        raise SystemExit(f"{debug_p} has no .symtab")
    debug[bd[0]:bd[0] + bd[1]] = idi
    open(out_p, "wb").write(debug)
    print(f"debug file: {out_p}: the rebuild's ({idr.hex()}) with the installed build-id {idi.hex()}")


main()
