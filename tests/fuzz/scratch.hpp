// SPDX-License-Identifier: MIT
// scratch.hpp - a private directory (mode 0700, removed at exit) where a fuzz target
// writes its input as a file, for readers that take a path (the store index, libelf).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace graft::fuzz {

// The directory, made on first use under $TMPDIR (or /tmp).
const std::string &scratch_dir();

// Replaces dir/name with exactly these bytes (mode 0644); aborts if it cannot.
void write_file(const std::string &path, const uint8_t *data, size_t size);

} // namespace graft::fuzz
