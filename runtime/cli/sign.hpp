// SPDX-License-Identifier: MIT
// sign.hpp - the patch file as `graft load` hands it over: an open descriptor (what the
// process verifies and maps) and the text of its detached signature, PATH.minisig.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

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

// The `load` request for the patch at path (absolute), its file opened into *out: what
// `graft load` and the --all commands send, with out->fd riding along (SCM_RIGHTS). The
// process verifies and maps that descriptor, so it need not see path at all (a private
// mount namespace); path only names the patch.
nlohmann::json load_request(const std::string &path, bool enable, PatchFile *out);

} // namespace graft::cli
