// SPDX-License-Identifier: MIT
// fuzz_descriptor.cpp - libFuzzer target: a patch module's descriptor (graft.h's
// graft_patch -> graft_object[] -> graft_func[] / graft_sym[] / shadow types,
// graft_state[]) built from the input bytes at any ABI version, then the checks the
// core runs on it when the module loads (core/resolve.cpp build_objects,
// core/shadow_types.cpp check_shadow_types, core/state.cpp is_patch_compatible and the
// state lookups). Every check must refuse with a reason or accept; a crash or an
// out-of-bounds read is a bug.
//
// What the bytes choose: the ABI version and the element strides that follow from it,
// counts, names (NULL, empty, duplicated, long), NULL replacements, sympos values,
// NULL cells, shadow type ids (0, repeated, bound to the wrong state), build-ids, state
// ids and versions, and whether each array is terminated early. Pointers always point
// into memory the harness owns: the runtime trusts a module's pointers (the module's
// code runs in the process anyway), so a wild pointer is outside what it can check.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "core/patch.hpp"
#include "core/resolve.hpp"
#include "core/shadow_types.hpp"
#include "core/state.hpp"

namespace {

int replacement()
{
	return 42;
}
void *cell_storage[64];

// Owns everything one descriptor points to.
struct Arena {
	std::deque<std::string> strings;
	std::deque<std::vector<graft_func>> funcs;
	std::deque<std::vector<graft_sym>> syms;
	std::deque<graft_shadow_type> types;
	std::deque<std::vector<const graft_shadow_type *>> type_lists;
	std::vector<unsigned char> objs;   // stride object_size(abi)
	std::vector<unsigned char> states; // stride state_size(abi)

	const char *string(FuzzedDataProvider &in)
	{
		if (in.ConsumeIntegralInRange<int>(0, 7) == 0)
			return nullptr;
		strings.push_back(in.ConsumeRandomLengthString(40));
		return strings.back().c_str();
	}
};

const char *name_or_empty(Arena &a, FuzzedDataProvider &in)
{
	const char *s = a.string(in);
	return s ? s : "";
}

graft_func *make_funcs(Arena &a, FuzzedDataProvider &in)
{
	if (in.ConsumeBool())
		return nullptr;
	auto &v = a.funcs.emplace_back();
	for (int i = in.ConsumeIntegralInRange<int>(0, 8); i > 0; i--) {
		graft_func f{};
		f.old_name = name_or_empty(a, in);
		f.new_func = in.ConsumeIntegralInRange<int>(0, 5) ? (void *)&replacement : nullptr;
		f.old_sympos = in.ConsumeIntegralInRange<unsigned long>(0, 3);
		v.push_back(f);
	}
	v.push_back(graft_func{}); // the terminator (old_name NULL)
	return v.data();
}

graft_sym *make_syms(Arena &a, FuzzedDataProvider &in)
{
	if (in.ConsumeBool())
		return nullptr;
	auto &v = a.syms.emplace_back();
	for (int i = in.ConsumeIntegralInRange<int>(0, 4); i > 0; i--) {
		graft_sym s{};
		s.name = name_or_empty(a, in);
		s.sympos = in.ConsumeIntegralInRange<unsigned long>(0, 2);
		s.addr = in.ConsumeBool() ? &cell_storage[i % 64] : nullptr;
		v.push_back(s);
	}
	v.push_back(graft_sym{});
	return v.data();
}

const graft_shadow_type *make_type(Arena &a, FuzzedDataProvider &in)
{
	graft_shadow_type t{};
	t.id = in.ConsumeIntegralInRange<unsigned long>(0, 4);
	a.types.push_back(t);
	return &a.types.back();
}

const graft_shadow_type *const *make_type_list(Arena &a, FuzzedDataProvider &in)
{
	if (in.ConsumeBool())
		return nullptr;
	auto &v = a.type_lists.emplace_back();
	for (int i = in.ConsumeIntegralInRange<int>(0, 3); i > 0; i--)
		v.push_back(make_type(a, in));
	v.push_back(nullptr);
	return v.data();
}

void make_objects(Arena &a, FuzzedDataProvider &in, unsigned abi)
{
	size_t stride = graft::core::object_size(abi);
	int n = in.ConsumeIntegralInRange<int>(0, 5);
	a.objs.assign((n + 1) * stride, 0); // the last one is the terminator (funcs NULL)
	for (int i = 0; i < n; i++) {
		graft_object o{};
		o.name = a.string(in);
		o.funcs = make_funcs(a, in);
		o.syms = make_syms(a, in);
		o.shadow_types = make_type_list(a, in);
		o.build_id = a.string(in);
		std::memcpy(a.objs.data() + i * stride, &o, stride);
	}
}

void make_states(Arena &a, FuzzedDataProvider &in, unsigned abi)
{
	size_t stride = graft::core::state_size(abi);
	int n = in.ConsumeIntegralInRange<int>(0, 4);
	a.states.assign((n + 1) * stride, 0);
	for (int i = 0; i < n; i++) {
		graft_state s{};
		s.id = in.ConsumeIntegralInRange<unsigned long>(0, 5);
		s.version = in.ConsumeIntegralInRange<unsigned>(0, 3);
		s.shadow_type = in.ConsumeBool() ? make_type(a, in) : nullptr;
		std::memcpy(a.states.data() + i * stride, &s, stride);
	}
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzedDataProvider in(data, size);
	unsigned abi =
		in.ConsumeIntegralInRange<unsigned>(GRAFT_ABI_VERSION_MIN, GRAFT_ABI_VERSION);
	Arena a;
	graft_patch desc{};
	desc.replace = in.ConsumeBool();
	make_objects(a, in, abi);
	desc.objs = in.ConsumeIntegralInRange<int>(0, 15)
			    ? reinterpret_cast<graft_object *>(a.objs.data())
			    : nullptr;
	if (abi >= 2) {
		make_states(a, in, abi);
		desc.states = in.ConsumeBool() ? reinterpret_cast<graft_state *>(a.states.data())
					       : nullptr;
	}
	graft::core::Patch patch;
	patch.name = "fuzz";
	patch.path = "/fuzz/fuzz.so";
	patch.desc = &desc;
	patch.abi_version = abi;
	patch.replace = desc.replace != 0;
	std::string why;
	bool ok = graft::core::build_objects(patch, &why) &&
		  graft::core::check_shadow_types(patch, &why) &&
		  graft::core::is_patch_compatible(patch, &why);
	if (!ok && why.empty())
		std::abort(); // a refusal must name its cause
	for (unsigned long id = 0; id < 6; id++)
		(void)graft::core::find_state(patch, id);
	return 0;
}
