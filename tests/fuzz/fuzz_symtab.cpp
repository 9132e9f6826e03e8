// SPDX-License-Identifier: MIT
// fuzz_symtab.cpp - libFuzzer target: the ELF symbol reader (common/symbols/symtab.cpp,
// libelf) on any bytes as a file: a patch module, a library or a program that is
// truncated, corrupt or hostile. It must refuse with an error or answer lookups, never
// read outside the file or crash the process it runs in.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "scratch.hpp"
#include "symbols/symbols.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const std::string path = graft::fuzz::scratch_dir() + "/object.so";
	graft::fuzz::write_file(path, data, size);
	std::string err;
	auto table = graft::symbols::SymbolTable::open(path, &err);
	if (!table) {
		if (err.empty())
			std::abort(); // a refusal must say why
		return 0;
	}
	// Names a table may hold, at several positions; and the table's other answers.
	static const char *const names[] = {"main", "_start", "f", "", "memcpy", "answer"};
	for (const char *name : names)
		for (unsigned long pos = 0; pos < 3; pos++) {
			graft::symbols::Symbol sym;
			std::string why;
			if (!table->find(name, pos, 0x1000, "fuzz", &sym, &why) && why.empty())
				std::abort();
		}
	// Every NUL-terminated string of the input is a name it may contain.
	const char *p = reinterpret_cast<const char *>(data), *end = p + size;
	for (int n = 0; p < end && n < 64; n++) {
		size_t len = strnlen(p, size_t(end - p));
		graft::symbols::Symbol sym;
		if (len > 0 && len < 256)
			(void)table->find(std::string(p, len).c_str(), 0, 0, "fuzz", &sym, nullptr);
		p += len + 1;
	}
	(void)table->size_at(0);
	(void)table->build_id();
	(void)table->has_symtab();
	return 0;
}
