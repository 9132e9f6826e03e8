// SPDX-License-Identifier: MIT
// fleet.hpp - what apply --all, disable --all and status --all share: the selected
// processes, whether a patch fits one, parallel work, and the per-process outcome.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "proc_scan.hpp"
#include "store.hpp"

namespace graft::cli {

enum class Fit {
	none,	     // maps no object of the patch
	applies,     // maps its objects with its build-ids (or it names none)
	other_build, // maps an object of the patch with another build-id
};

// How the patch fits p; *why names the object (and both build-ids when they differ).
Fit fit_of(const ProcInfo &p, const ModuleInfo &info, std::string *why);

// Every process the selector picks (scanned in parallel), unreadable ones left out.
std::vector<ProcInfo> scan_selected(const Selector &sel);

// p's runtime, preloaded with its control on demand and not started yet: started (graft
// attach's injection, once per process: attach.hpp); nothing when it runs already.
// Throws Failure naming what failed.
void start_control(ProcInfo *p, int timeout_sec);

// fn(0..n-1) on up to jobs threads.
void parallel_for(size_t n, int jobs, const std::function<void(size_t)> &fn);

struct Outcome {
	pid_t pid = 0;
	std::string comm;
	std::string result; // patched, already, disabled, not applicable, failed, without runtime;
			    // --dry-run: would patch, would disable
	std::string detail;
	double ms = -1; // apply --all: from its first request to its transition's end (-1: none)
};

// Prints the outcomes (lines or JSON, with extra's fields added) and the summary;
// returns the exit code.
int report_outcomes(std::vector<Outcome> outcomes, const Options &opt,
		    const json &extra = json::object());

} // namespace graft::cli
