// SPDX-License-Identifier: MIT
// rewrite_corpus_test.cpp - the rewriter on every instruction real compilers emit for
// real code: graft's own runtime (C++) and the C programs of the patchgen tests and
// samples, each compiled by GCC and Clang at -O2, -O3 and -Os, built here at test time.
//
// 1. Identity: with every symbol the module's own, the rewriter must give back the same
//    instructions; the assembled object is compared with the compiler's section by
//    section (bytes and relocations). A mangled prefix ("rep rep stosq") or operand
//    shows as a difference or an assembler error.
// 2. Every symbol the target's: the rewrite either refuses (naming the function) or its
//    output assembles.
#include <gtest/gtest.h>

#include "asm_rewrite.hpp"
#include "common.hpp"
#include "elf_object.hpp"
#include "process.hpp" // GRAFT_TEST_ASAN only: nothing of process.cpp is linked

#include <elf.h>

#include <filesystem>
#include <future>
#include <iostream>
#include <set>
#include <regex>
#include <sstream>

namespace fs = std::filesystem;
using namespace graft::patchgen;

namespace {

struct Unit {
	std::string src, compiler, level;
	std::vector<std::string> flags;
};

std::vector<Unit> corpus()
{
	std::string root = PG_REPO_DIR;
	std::vector<std::string> c_files, cxx_files;
	for (const char *d : {"/tests/integration/patchgen/c", "/samples/patchgen",
			      "/tests/integration/patchgen/real"})
		if (fs::exists(root + d))
			for (const auto &e : fs::recursive_directory_iterator(root + d))
				if (e.path().extension() == ".c")
					c_files.push_back(e.path().string());
	for (const char *d : {"/runtime/src/os", "/runtime/src/symbols"})
		if (fs::exists(root + d))
			for (const auto &e : fs::recursive_directory_iterator(root + d))
				if (e.path().extension() == ".cpp")
					cxx_files.push_back(e.path().string());
	std::vector<Unit> out;
	// Every level in the GCC configuration; -O2 alone under AddressSanitizer, where each
	// unit takes twice as long: that run is for memory errors in the rewriter, which
	// -O2's units reach as well (the suite's time budget).
#ifdef GRAFT_TEST_ASAN
	const std::vector<const char *> levels = {"-O2"};
#else
	const std::vector<const char *> levels = {"-O2", "-O3", "-Os"};
#endif
	for (const char *level : levels)
		for (const char *cc : {"gcc", "clang"}) {
			std::string cxx = std::string(cc) == "gcc" ? "g++" : "clang++";
			for (const std::string &f : c_files)
				out.push_back({f, cc, level, {"-fPIC", "-I" + fs::path(f).parent_path().string()}});
			for (const std::string &f : cxx_files)
				out.push_back({f, cxx, level,
					       {"-std=c++20", "-fPIC", "-I" + root + "/runtime/src",
						"-I" + root + "/runtime/include"}});
		}
	return out;
}

// The compiler's functions: a .type @function and a .size (top-level asm has no .size).
std::set<std::string> function_labels(const std::string &text)
{
	static const std::regex type_re(R"re(^\s*\.type\s+"?([^",\s]+)"?,\s*@function)re");
	static const std::regex size_re(R"re(^\s*\.size\s+"?([^",\s]+)"?,)re");
	std::set<std::string> typed, sized, out;
	std::istringstream in(text);
	for (std::string line; std::getline(in, line);) {
		std::smatch m;
		if (std::regex_search(line, m, type_re))
			typed.insert(m[1]);
		else if (std::regex_search(line, m, size_re))
			sized.insert(m[1]);
	}
	for (const std::string &f : typed)
		if (sized.count(f))
			out.insert(f);
	return out;
}

std::set<std::string> plt_called(const std::string &text)
{
	static const std::regex plt_re(R"re(\s"?([^\s"@]+)"?@PLT)re");
	std::set<std::string> out;
	for (auto it = std::sregex_iterator(text.begin(), text.end(), plt_re);
	     it != std::sregex_iterator(); ++it)
		out.insert((*it)[1]);
	return out;
}

// What differs between two objects, section by section ("" when nothing).
std::string compare(const ElfObject &a, const ElfObject &b)
{
	std::map<std::string, const Section *> bs;
	for (const Section &s : b.sections)
		bs[s.name] = &s;
	auto sym_name = [](const ElfObject &o, const Reloc &r) {
		const Symbol &s = o.symbols[r.sym];
		return s.type == STT_SECTION ? o.sections[s.shndx].name : s.name;
	};
	for (const Section &s : a.sections) {
		// Tables of section numbers (which the rewriter's extra sections shift) and the
		// start-up sections it drops on purpose are not instructions.
		if (s.name.empty() || s.name.rfind(".rela", 0) == 0 || s.name == ".symtab" ||
		    s.name == ".strtab" || s.name == ".shstrtab" || s.name == ".group" ||
		    s.name.rfind(".init_array", 0) == 0 || s.name.rfind(".fini_array", 0) == 0 ||
		    s.name == "__patchable_function_entries")
			continue;
		auto it = bs.find(s.name);
		if (it == bs.end())
			return "section " + s.name + " missing";
		const Section &t = *it->second;
		if (s.size != t.size || s.bytes != t.bytes)
			return "section " + s.name + " bytes differ";
		if (s.relocs.size() != t.relocs.size())
			return "section " + s.name + " relocation count differs";
		for (size_t i = 0; i < s.relocs.size(); i++) {
			const Reloc &x = s.relocs[i], &y = t.relocs[i];
			if (x.offset != y.offset || x.type != y.type || x.addend != y.addend ||
			    sym_name(a, x) != sym_name(b, y))
				return "section " + s.name + " relocation at " + std::to_string(x.offset) +
				       " differs (" + sym_name(a, x) + " / " + sym_name(b, y) + ")";
		}
	}
	return "";
}

struct Outcome {
	std::string name, failure;
	size_t rep = 0, lock = 0, refused_slot = 0, insns = 0;
	bool compiled = false;
};

size_t count(const std::string &text, const std::regex &re)
{
	return static_cast<size_t>(std::distance(std::sregex_iterator(text.begin(), text.end(), re),
						 std::sregex_iterator()));
}

Outcome check_unit(const Unit &u, const std::string &work, size_t n)
{
	Outcome o;
	o.name = u.compiler + " " + u.level + " " + u.src;
	std::string base = work + "/u" + std::to_string(n);
	std::vector<std::string> cc = {u.compiler, u.level, "-g", "-w", "-S", u.src, "-o", base + ".s"};
	cc.insert(cc.end(), u.flags.begin(), u.flags.end());
	if (run(cc).status != 0)
		return o; // not compilable here (e.g. a header another branch moved)
	o.compiled = true;
	std::string text = read_text(base + ".s");
	o.rep = count(text, std::regex(R"(\n\s*rep[a-z]*[\s;]+[a-z])"));
	o.lock = count(text, std::regex(R"(\n\s*lock[\s;]+[a-z])"));
	o.insns = count(text, std::regex(R"(\n\t[a-z])"));
	std::set<std::string> funcs = function_labels(text);
	auto assemble = [&](const std::string &s, const std::string &obj) {
		write_text(obj + ".s", s);
		return run({u.compiler, "-w", "-c", "-x", "assembler", obj + ".s", "-o", obj});
	};
	// What the compiler called through the PLT is another library's (it stays @PLT);
	// everything else the unit's own, as it came.
	std::set<std::string> plt = plt_called(text);
	RewriteInput same{text, o.name, "0", funcs, {}, {}, [&](const std::string &s, bool) {
				  return plt.count(s) ? Resolved{Reach::Extern, ""}
						      : Resolved{Reach::Local, ""};
			  }};
	RunResult a = assemble(text, base + ".a.o");
	RunResult b = assemble(rewrite_asm(same).text, base + ".b.o");
	if (a.status != 0 || b.status != 0) {
		o.failure = "assembling failed: " + (a.output + b.output).substr(0, 300);
		return o;
	}
	o.failure = compare(ElfObject::read(base + ".a.o"), ElfObject::read(base + ".b.o"));
	if (!o.failure.empty())
		return o;
	RewriteInput slots = same;
	slots.classify = [](const std::string &s, bool) {
		return s.rfind(".L", 0) == 0 ? Resolved{Reach::Local, ""} : Resolved{Reach::Slot, s};
	};
	try {
		RunResult c = assemble(rewrite_asm(slots).text, base + ".c.o");
		if (c.status != 0)
			o.failure = "the slot rewrite does not assemble: " + c.output.substr(0, 300);
	} catch (const Refusal &e) {
		o.refused_slot = 1; // refused by name: allowed (non-PIC forms, %rsp, TLS)
	}
	return o;
}

Outcome check(const Unit &u, const std::string &work, size_t n)
{
	try {
		return check_unit(u, work, n);
	} catch (const std::exception &e) {
		Outcome o;
		o.name = u.compiler + " " + u.level + " " + u.src;
		o.compiled = true;
		o.failure = std::string("identity rewrite threw: ") + e.what();
		return o;
	}
}

TEST(PatchgenRewriteCorpus, EveryInstructionOfRealObjectsSurvivesTheRewrite)
{
	char tmpl[] = "/tmp/graft-pgcorpus.XXXXXX";
	ASSERT_NE(mkdtemp(tmpl), nullptr);
	std::string work = tmpl;
	std::vector<Unit> units = corpus();
	// PG_CORPUS_ONLY=TEXT: only the units whose description has TEXT, work kept (debugging).
	const char *only = getenv("PG_CORPUS_ONLY");
	if (only)
		std::erase_if(units, [&](const Unit &u) {
			return (u.compiler + " " + u.level + " " + u.src).find(only) == std::string::npos;
		});
	std::vector<Outcome> results(units.size());
	// Two workers: the machine is shared.
	auto worker = [&](size_t from) {
		for (size_t i = from; i < units.size(); i += 2)
			results[i] = check(units[i], work, i);
	};
	auto other = std::async(std::launch::async, worker, 1);
	worker(0);
	other.get();
	size_t compiled = 0, rep = 0, lock = 0, refused = 0, insns = 0;
	std::set<std::string> not_compiled;
	for (const Outcome &o : results) {
		EXPECT_EQ(o.failure, "") << o.name;
		if (!o.compiled)
			not_compiled.insert(o.name.substr(o.name.rfind(' ') + 1));
		compiled += o.compiled;
		rep += o.rep;
		lock += o.lock;
		refused += o.refused_slot;
		insns += o.insns;
	}
	if (!only)
		fs::remove_all(work);
	std::cout << "corpus: " << compiled << " objects, ~" << insns << " instructions (" << rep
		  << " rep, " << lock << " lock); all-slot rewrite refused in " << refused << "\n";
	for (const std::string &f : not_compiled)
		std::cout << "not compiled here: " << f << "\n";
	// The corpus must be real: most of it compiles and it has the prefixes of issue 21.
	if (only)
		return;
	EXPECT_GE(compiled, units.size() * 3 / 4);
	EXPECT_GT(rep, 0u);
	EXPECT_GT(lock, 0u);
}

} // namespace
