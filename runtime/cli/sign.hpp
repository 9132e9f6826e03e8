// SPDX-License-Identifier: MIT
// sign.hpp - the patch file as `graft load` hands it over: an open descriptor (what the
// process verifies and maps) and the text of its detached signature, PATH.minisig.
#pragma once

#include <string>

namespace graft::cli {

struct PatchFile {
	int fd = -1;
	bool has_signature = false;
	std::string signature;
	PatchFile() = default;
	PatchFile(const PatchFile &) = delete;
	PatchFile &operator=(const PatchFile &) = delete;
	~PatchFile();
};

// Opens path read-only and reads path.minisig if it exists; throws Failure otherwise.
void open_patch_file(const std::string &path, PatchFile *out);

} // namespace graft::cli
