// SPDX-License-Identifier: MIT
// creds.cpp - this process's credentials and Yama's scope (creds.hpp).
#include "os/creds.hpp"

#include <cstdio>

#include <sys/auxv.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace graft::os {

int read_yama_scope(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	int scope = -1;
	if (fscanf(f, "%d", &scope) != 1)
		scope = -1;
	fclose(f);
	return scope;
}

ProcessCreds own_creds()
{
	ProcessCreds c;
	getresuid(&c.ruid, &c.euid, &c.suid);
	getresgid(&c.rgid, &c.egid, &c.sgid);
	c.dumpable = prctl(PR_GET_DUMPABLE) == 1;
	c.secure = getauxval(AT_SECURE) != 0;
	c.yama_scope = read_yama_scope();
	return c;
}

} // namespace graft::os
