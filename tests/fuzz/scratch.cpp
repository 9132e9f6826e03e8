// SPDX-License-Identifier: MIT
// scratch.cpp - the fuzz targets' private scratch directory (scratch.hpp).
#include "scratch.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace graft::fuzz {

const std::string &scratch_dir()
{
	// Never destroyed: the atexit handler that removes the directory reads it.
	static const std::string *dir = [] {
		const char *tmp = std::getenv("TMPDIR");
		auto *templ = new std::string(std::string(tmp && *tmp ? tmp : "/tmp") +
					      "/graft-fuzz-XXXXXX");
		if (!mkdtemp(templ->data()))
			std::abort();
		std::atexit([] {
			std::error_code ignored;
			std::filesystem::remove_all(scratch_dir(), ignored);
		});
		return templ;
	}();
	return *dir;
}

void write_file(const std::string &path, const uint8_t *data, size_t size)
{
	std::string tmp = path + ".new";
	int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		std::abort();
	size_t done = 0;
	while (done < size) {
		ssize_t n = ::write(fd, data + done, size - done);
		if (n <= 0)
			std::abort();
		done += size_t(n);
	}
	::close(fd);
	// rename: a reader never sees a half-written file, and a mapping of the old one
	// (the index stays mapped) keeps its bytes.
	if (::rename(tmp.c_str(), path.c_str()) != 0)
		std::abort();
}

} // namespace graft::fuzz
