// SPDX-License-Identifier: MIT
// stack_check.cpp - the conservative stack scan of the consistency model.
#include "transition/stack_check.hpp"

#include "transition/entry_call.hpp"
#include "transition/lazy_binding.hpp"

#include <sys/uio.h>
#include <unistd.h>
#include <unwind.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace graft::transition {
namespace {

// Length of an FF /r instruction whose ModRM byte is m (no prefixes).
size_t ff_length(const uint8_t *ff)
{
	uint8_t m = ff[1];
	uint8_t mod = m >> 6, rm = m & 7;
	size_t sib = (mod != 3 && rm == 4) ? 1 : 0;
	if (mod == 3)
		return 2;
	if (mod == 1)
		return 3 + sib;
	if (mod == 2)
		return 6 + sib;
	if (rm == 5)
		return 6; // [rip + disp32]
	if (sib && (ff[2] & 7) == 5)
		return 7; // SIB with no base: disp32
	return 2 + sib;
}

const CheckRange *range_of(const CheckSet &set, uintptr_t addr)
{
	if (set.span_hi && (addr < set.span_lo || addr >= set.span_hi))
		return nullptr;
	auto it = std::upper_bound(set.ranges.begin(), set.ranges.end(), addr,
				   [](uintptr_t a, const CheckRange &r) { return a < r.lo; });
	// Ranges may overlap (a stub block inside nothing else, functions do not): look
	// back a few for one that contains addr.
	for (int back = 0; back < 4 && it != set.ranges.begin(); back++) {
		--it;
		if (addr >= it->lo && addr < it->hi)
			return &*it;
	}
	return nullptr;
}

const std::pair<uintptr_t, uintptr_t> *map_of(const CheckSet &set, uintptr_t addr)
{
	auto it = std::upper_bound(set.maps.begin(), set.maps.end(), addr,
				   [](uintptr_t a, const auto &m) { return a < m.first; });
	if (it == set.maps.begin())
		return nullptr;
	--it;
	return addr < it->second ? &*it : nullptr;
}

// The patched function the thread at pc runs: the one pc lies in, or the one a PLT
// stub at pc jumps to (a sibling call through the PLT leaves the thread in the stub
// with the jumping function's frame gone: entry_call.hpp); or the lazy binding path on
// the way to a function only the loader knows (lazy_binding.hpp).
const CheckRange *running_range(const CheckSet &set, uintptr_t pc)
{
	if (const CheckRange *r = range_of(set, pc))
		return r;
	if (!pc)
		return nullptr;
	uintptr_t fn = 0;
	bool stub = plt_jump_target(set, pc, &fn);
	if (const CheckRange *r = stub ? range_of(set, fn) : nullptr)
		return r;
	return on_lazy_binding_path(set, pc, stub ? fn : 0) ? &set.lazy_path : nullptr;
}

} // namespace

void CheckSet::add(uintptr_t lo, uintptr_t hi, const std::string &name)
{
	if (hi <= lo)
		return;
	names.push_back(name);
	ranges.push_back(CheckRange{lo, hi, int(names.size() - 1)});
}

void CheckSet::sort()
{
	std::sort(ranges.begin(), ranges.end(),
		  [](const CheckRange &a, const CheckRange &b) { return a.lo < b.lo; });
	span_lo = ranges.empty() ? 0 : ranges.front().lo;
	span_hi = 0;
	for (const CheckRange &r : ranges)
		span_hi = std::max(span_hi, r.hi);
	std::sort(call_returns.begin(), call_returns.end());
	if (lazy_path.name < 0) {
		names.push_back("the lazy binding path (a first call through a PLT)");
		lazy_path.name = int(names.size() - 1);
	}
}

bool CheckSet::read_maps()
{
	maps.clear();
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return false;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perms[5] = {};
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && perms[0] == 'r')
			maps.emplace_back(lo, hi);
	}
	fclose(f);
	std::sort(maps.begin(), maps.end());
	return true;
}

bool readable(const CheckSet &set, uintptr_t addr, size_t len)
{
	const auto *m = map_of(set, addr);
	return m && addr + len >= addr && addr + len <= m->second;
}

// Not instrumented: it reads code and data the program owns.
__attribute__((no_sanitize("address", "thread"))) bool
read_mapped(const CheckSet &set, uintptr_t addr, void *out, size_t len)
{
	if (!readable(set, addr, len))
		return false;
	auto *dst = static_cast<uint8_t *>(out);
	for (size_t i = 0; i < len; i++)
		dst[i] = __atomic_load_n(reinterpret_cast<const uint8_t *>(addr + i),
					 __ATOMIC_RELAXED);
	return true;
}

bool is_return_address(const CheckSet &set, const CheckRange &r, uintptr_t w)
{
	if (w <= r.lo)
		return false;
	if (std::binary_search(set.call_returns.begin(), set.call_returns.end(), w))
		return true;
	return follows_call(w, r.lo);
}

bool follows_call(uintptr_t addr, uintptr_t lo)
{
	auto *p = reinterpret_cast<const uint8_t *>(addr);
	if (addr >= lo + 5 && p[-5] == 0xe8)
		return true;
	for (size_t k = 2; k <= 7; k++) {
		if (addr < lo + k)
			break;
		const uint8_t *ff = p - k;
		if (ff[0] != 0xff || ((ff[1] >> 3) & 7) != 2)
			continue;
		if (ff_length(ff) == k)
			return true;
	}
	return false;
}

CheckResult check_stack(const CheckSet &set, uintptr_t pc, uintptr_t sp)
{
	return check_stack_to(set, pc, sp, 0);
}

// Not instrumented by ASan: the scan reads whole stacks, redzones included.
__attribute__((no_sanitize("address", "thread"))) CheckResult
check_stack_to(const CheckSet &set, uintptr_t pc, uintptr_t sp, uintptr_t hi)
{
	if (const CheckRange *r = running_range(set, pc))
		return {Verdict::running_in, r->name};
	const auto *m = map_of(set, sp);
	if (!m)
		return {Verdict::unreliable, -1};
	uintptr_t end = hi && hi < m->second ? hi : m->second;
	for (uintptr_t at = sp & ~uintptr_t(7); at + 8 <= end; at += 8) {
		uintptr_t w =
			__atomic_load_n(reinterpret_cast<const uintptr_t *>(at), __ATOMIC_RELAXED);
		const CheckRange *r = range_of(set, w);
		if (r && is_return_address(set, *r, w))
			return {Verdict::on_stack, r->name, at};
	}
	return {};
}

// Not instrumented by ASan: it reads every word of long stacks (a copy of them).
__attribute__((no_sanitize("address"))) CheckResult
check_suspended(const CheckSet &set, uintptr_t pc, uintptr_t sp, uintptr_t hi)
{
	if (const CheckRange *r = running_range(set, pc))
		return {Verdict::running_in, r->name};
	const auto *m = map_of(set, sp);
	if (!m)
		return {Verdict::unreliable, -1};
	uintptr_t end = hi && hi < m->second ? hi : m->second;
	// 16 KiB a call: an idle thread's stack from its SP to the end of the mapping
	// (glibc's static TLS and thread descriptor included) is 10-16 KiB, which took
	// four calls of 4 KiB (~1.5 us each; one of 16 KiB ~2.3 us).
	uintptr_t buf[2048];
	pid_t self = getpid();
	for (uintptr_t at = sp & ~uintptr_t(7); at < end;) {
		size_t len = std::min<uintptr_t>(sizeof(buf), (end - at) & ~uintptr_t(7));
		if (len == 0)
			break;
		iovec local{buf, len}, remote{reinterpret_cast<void *>(at), len};
		if (process_vm_readv(self, &local, 1, &remote, 1, 0) != ssize_t(len)) {
			if (errno == EFAULT)
				return {Verdict::unreliable, -1}; // freed or unmapped under us
			// Not allowed here (seccomp): read it directly, as for threads.
			return check_stack_to(set, 0, at, end);
		}
		for (size_t i = 0; i < len / 8; i++) {
			const CheckRange *r = range_of(set, buf[i]);
			if (r && is_return_address(set, *r, buf[i]))
				return {Verdict::on_stack, r->name, at + i * 8};
		}
		at += len;
	}
	return {};
}

namespace {

struct UnwindState {
	const CheckSet *set;
	uintptr_t pc; // the interrupted PC: frames before it are the handler's
	bool past_signal = false;
	CheckResult result;
	int frames = 0;
};

_Unwind_Reason_Code visit_frame(_Unwind_Context *ctx, void *arg)
{
	auto *st = static_cast<UnwindState *>(arg);
	int before = 0;
	uintptr_t ip = _Unwind_GetIPInfo(ctx, &before);
	if (++st->frames > 4096)
		return _URC_END_OF_STACK; // a loop in bad unwind data: give up (unreliable)
	if (!st->past_signal) {
		// The handler's own frames come first; the interrupted one has exactly its PC.
		if (ip != st->pc)
			return _URC_NO_REASON;
		st->past_signal = true;
		if (const CheckRange *r = running_range(*st->set, ip))
			st->result = {Verdict::running_in, r->name};
		return st->result.verdict == Verdict::clean ? _URC_NO_REASON : _URC_NORMAL_STOP;
	}
	// A frame a signal interrupted holds its exact PC, not a return address (the
	// unwinder says so through `before`): the frame under a nested handler, or under
	// a thread caught in the sigreturn trampoline after a handler that redirected it
	// (graft's SIGTRAP handler sends a thread that hit an int3 to the entry's pad jump
	// or stub, the first byte of a range, where ip - 1 missed it). Judged as a PC.
	if (before) {
		if (const CheckRange *r = running_range(*st->set, ip)) {
			st->result = {Verdict::running_in, r->name};
			return _URC_NORMAL_STOP;
		}
		return _URC_NO_REASON;
	}
	// A return address: the call is just before it.
	if (const CheckRange *r = range_of(*st->set, ip - 1)) {
		st->result = {Verdict::on_stack, r->name};
		return _URC_NORMAL_STOP;
	}
	return _URC_NO_REASON;
}

} // namespace

bool check_own_stack_precisely(const CheckSet &set, uintptr_t interrupted_pc, CheckResult *out)
{
	UnwindState st{&set, interrupted_pc};
	st.past_signal = interrupted_pc == 0; // no signal frame: the caller's frames count
	_Unwind_Reason_Code rc = _Unwind_Backtrace(visit_frame, &st);
	if (!st.past_signal)
		return false;
	if (st.result.verdict != Verdict::clean) {
		*out = st.result;
		return true;
	}
	if (rc != _URC_END_OF_STACK || st.frames > 4096)
		return false;
	*out = st.result;
	return true;
}

} // namespace graft::transition
