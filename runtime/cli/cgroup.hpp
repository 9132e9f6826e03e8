// SPDX-License-Identifier: MIT
// cgroup.hpp - the processes of a systemd unit or of a control group (`--unit`,
// `--cgroup` of install, apply --all, status --all and disable --all).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace graft::cli {

// The unit's control group directories (normally one) in the cgroup2 tree, else in the
// v1 name=systemd tree. Throws Failure naming the unit when it has none (not running).
std::vector<std::string> unit_cgroups(const std::string &unit);

// The processes of the control group dir and of every group below it, ascending,
// without this process. Throws Failure when dir is not a control group.
std::vector<pid_t> cgroup_pids(const std::string &dir);

} // namespace graft::cli
