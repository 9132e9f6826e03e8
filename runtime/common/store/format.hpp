// SPDX-License-Identifier: MIT
// format.hpp - the patch store on disk, shared by the runtime (which reads its index at
// start and at library loads) and the `graft` CLI (which writes it). Header-only and free
// of the runtime's other headers so the CLI can include it.
//
//   $GRAFT_STORE (default /var/lib/graft), root-owned, not writable by others
//     modules/NAME.so   the installed patch modules (NAME: the patch's name)
//     manifest.json     what `graft install` recorded (the CLI's view; see docs/system-wide.md)
//     index             the runtime's view: a sorted table build-id -> module, mmap'ed
//                       and binary-searched; replaced as a whole by rename()
//     lock              flock()ed by the CLI while it changes the store
//
// index: IndexHeader, then `count` IndexEntry sorted by (build-id, module name), then
// `strings_size` bytes of NUL-terminated strings (module file names relative to the
// store, object names: "" for the main executable).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace graft::store {

constexpr char kIndexMagic[8] = {'G', 'R', 'A', 'F', 'T', 'I', 'X', '1'};
constexpr uint32_t kIndexVersion = 1;
constexpr size_t kMaxBuildIdBytes = 32; // GNU ld's are 20 (sha1); 32 covers sha256/uuid
constexpr const char *kDefaultStoreDir = "/var/lib/graft";
constexpr const char *kIndexFile = "index";
constexpr const char *kModulesDir = "modules";
constexpr const char *kManifestFile = "manifest.json";
constexpr const char *kLockFile = "lock";
// The global kill switch: while this file exists, the runtime does nothing at all in new
// processes (no store lookup, no control socket). $GRAFT_CONFIG_DIR replaces /etc/graft.
constexpr const char *kDefaultConfigDir = "/etc/graft";
constexpr const char *kDisableFile = "disable";

struct IndexHeader {
	char magic[8];
	uint32_t version;
	uint32_t count;	       // entries
	uint32_t strings_size; // bytes after the entries
	uint32_t reserved;
};

struct IndexEntry {
	uint8_t id[kMaxBuildIdBytes]; // build-id bytes, zero-padded
	uint32_t id_len;
	uint32_t file;	 // offset in strings: module file, relative to the store
	uint32_t object; // offset in strings: graft_object.name ("" = the executable)
	uint32_t order;	 // rank of the module's name: patches load in this (file) order
};
static_assert(sizeof(IndexHeader) == 24 && sizeof(IndexEntry) == 48, "index layout");

// $GRAFT_STORE, or the default.
inline std::string store_dir_from(const char *env)
{
	return env && *env ? std::string(env) : std::string(kDefaultStoreDir);
}

inline std::string config_dir_from(const char *env)
{
	return env && *env ? std::string(env) : std::string(kDefaultConfigDir);
}

// "0a1b..." -> bytes; false when not an even-length lowercase/uppercase hex string that fits.
inline bool parse_build_id(std::string_view hex, uint8_t out[kMaxBuildIdBytes], uint32_t *len)
{
	if (hex.empty() || hex.size() % 2 || hex.size() / 2 > kMaxBuildIdBytes)
		return false;
	std::memset(out, 0, kMaxBuildIdBytes);
	auto nibble = [](char c) -> int {
		if (c >= '0' && c <= '9')
			return c - '0';
		if (c >= 'a' && c <= 'f')
			return c - 'a' + 10;
		if (c >= 'A' && c <= 'F')
			return c - 'A' + 10;
		return -1;
	};
	for (size_t i = 0; i < hex.size(); i += 2) {
		int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i / 2] = uint8_t(hi << 4 | lo);
	}
	*len = uint32_t(hex.size() / 2);
	return true;
}

// The order of the index: by id bytes (zero-padded), then by length.
inline int compare_id(const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen)
{
	int c = std::memcmp(a, b, kMaxBuildIdBytes);
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

} // namespace graft::store
