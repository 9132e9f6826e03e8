// SPDX-License-Identifier: MIT
// lazy_binding.cpp - recognising the lazy binding path of x86-64 PLTs (lazy_binding.hpp),
// in the forms binutils emits: the classic .plt entry `jmp *cell; push index; jmp PLT0`,
// the IBT layout's .plt.sec stub and `endbr64; push index; bnd jmp PLT0`, the bnd forms,
// and PLT0 `push GOT[1]; [bnd] jmp *GOT[2]`.
#include "transition/lazy_binding.hpp"

#include <elf.h>
#include <link.h>
#include <sys/auxv.h>

#include <cstring>

#include "transition/stack_check.hpp"

namespace graft::transition {
namespace {

// Set once by find_loader_text, at start-up, before any thread of ours runs.
uintptr_t g_loader_lo = 0, g_loader_hi = 0;

bool in_loader_text(uintptr_t addr)
{
	return addr >= g_loader_lo && addr < g_loader_hi;
}

int32_t rd32(const uint8_t *p)
{
	int32_t v;
	memcpy(&v, p, 4);
	return v;
}

// `[endbr64] push imm32; [bnd] jmp rel32`: the lazy half of a PLT entry.
bool is_lazy_half(const uint8_t c[16])
{
	static const uint8_t kEndbr64[4] = {0xf3, 0x0f, 0x1e, 0xfa};
	size_t i = memcmp(c, kEndbr64, 4) == 0 ? 4 : 0;
	if (c[i] != 0x68)
		return false;
	i += 5;
	if (c[i] == 0xf2)
		i++;
	return c[i] == 0xe9;
}

// `push [rip+disp32]; [bnd] jmp *[rip+disp32]`: PLT0.
bool is_plt0(const uint8_t c[16])
{
	if (c[0] != 0xff || c[1] != 0x35)
		return false;
	size_t i = c[6] == 0xf2 ? 7 : 6;
	return c[i] == 0xff && c[i + 1] == 0x25;
}

bool plt0_at(const CheckSet &set, uintptr_t at)
{
	uint8_t c[16];
	return read_mapped(set, at, c, sizeof c) && is_plt0(c);
}

bool lazy_half_at(const CheckSet &set, uintptr_t at)
{
	uint8_t c[16];
	return read_mapped(set, at, c, sizeof c) && is_lazy_half(c);
}

// `[bnd] jmp rel32` to PLT0: the lazy half's second instruction.
bool is_jump_to_plt0(const CheckSet &set, const uint8_t c[16], uintptr_t at)
{
	size_t i = c[0] == 0xf2 ? 1 : 0;
	if (c[i] != 0xe9)
		return false;
	return plt0_at(set, at + i + 5 + uintptr_t(intptr_t(rd32(c + i + 1))));
}

} // namespace

void find_loader_text()
{
	uintptr_t base = getauxval(AT_BASE);
	if (!base)
		return;
	dl_iterate_phdr(
		[](dl_phdr_info *info, size_t, void *arg) {
			if (info->dlpi_addr != *static_cast<uintptr_t *>(arg))
				return 0;
			for (int i = 0; i < info->dlpi_phnum; i++) {
				const ElfW(Phdr) &ph = info->dlpi_phdr[i];
				if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X)) {
					g_loader_lo = info->dlpi_addr + ph.p_vaddr;
					g_loader_hi = g_loader_lo + ph.p_memsz;
				}
			}
			return 1;
		},
		&base);
}

bool on_lazy_binding_path(const CheckSet &set, uintptr_t pc, uintptr_t stub_to)
{
	if (in_loader_text(pc))
		return true;
	// A stub whose cell is not bound yet holds its lazy half; PLT0's second jump's
	// cell holds the resolver.
	if (stub_to)
		return in_loader_text(stub_to) || lazy_half_at(set, stub_to);
	uint8_t c[16];
	return read_mapped(set, pc, c, sizeof c) &&
	       (is_lazy_half(c) || is_plt0(c) || is_jump_to_plt0(set, c, pc));
}

} // namespace graft::transition
