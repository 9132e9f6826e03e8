// SPDX-License-Identifier: MIT
// fuzz_store_index.cpp - libFuzzer target: the patch store's on-disk index
// (common/store/format.hpp) as the runtime maps and searches it (store/index.cpp), from
// any bytes: a store written by a broken or hostile tool, a truncated file. The runtime
// reads it at every start of every process the store applies to, so it must refuse
// quietly or answer, never read outside the file.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <sys/stat.h>

#include "scratch.hpp"
#include "store/format.hpp"
#include "store/index.hpp"

namespace {

const std::string &store()
{
	static const std::string dir = [] {
		std::string d = graft::fuzz::scratch_dir() + "/store";
		if (mkdir(d.c_str(), 0755) != 0 || mkdir((d + "/modules").c_str(), 0755) != 0)
			std::abort();
		return d;
	}();
	return dir;
}

// Lowercase hex of up to 32 bytes of the input's entries: ids that may be in it.
std::string hex_of(const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	std::string out;
	for (size_t i = 0; i < n; i++) {
		out += digits[p[i] >> 4];
		out += digits[p[i] & 15];
	}
	return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	using namespace graft::store;
	graft::fuzz::write_file(store() + "/" + kIndexFile, data, size);
	Index index;
	std::string why;
	if (!index.open(store(), &why))
		return 0;
	// Search for the first entry's id (at every length it may have) and for names that
	// may be in the strings.
	size_t first = sizeof(IndexHeader);
	for (size_t len = 1; len <= kMaxBuildIdBytes && first + len <= size; len += 7)
		(void)index.find_build_id(hex_of(data + first, len));
	(void)index.find_build_id("00");
	(void)index.find_object("");
	(void)index.find_object("libc.so.6");
	if (size > 0)
		(void)index.find_object(std::string(
			reinterpret_cast<const char *>(data) + size / 2,
			strnlen(reinterpret_cast<const char *>(data) + size / 2, size - size / 2)));
	return 0;
}
