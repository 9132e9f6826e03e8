// SPDX-License-Identifier: MIT
// forward_zydis.cpp - the Zydis functions the code patcher calls, defined here with the
// same names: each resolves the real one in libZydis, loaded on first need
// (os/lazy_libs.hpp), once. Linked into libgraft.so instead of Zydis itself, so a
// process loads the decoder only when something is patched. When Zydis cannot be
// loaded each call fails (ZYAN_STATUS_FAILED), and the site is refused with that reason.
#include <Zydis/Zydis.h>

#include "os/lazy_libs.hpp"

#define GRAFT_ZYDIS_REAL(name) GRAFT_LAZY_REAL(zydis, name)

extern "C" {

ZyanStatus ZydisDecoderInit(ZydisDecoder *decoder, ZydisMachineMode mode, ZydisStackWidth width)
{
	GRAFT_ZYDIS_REAL(ZydisDecoderInit);
	return fn ? fn(decoder, mode, width) : ZYAN_STATUS_FAILED;
}

ZyanStatus ZydisDecoderDecodeFull(const ZydisDecoder *decoder, const void *buffer, ZyanUSize length,
				  ZydisDecodedInstruction *instruction,
				  ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT])
{
	GRAFT_ZYDIS_REAL(ZydisDecoderDecodeFull);
	return fn ? fn(decoder, buffer, length, instruction, operands) : ZYAN_STATUS_FAILED;
}

const char *ZydisMnemonicGetString(ZydisMnemonic mnemonic)
{
	GRAFT_ZYDIS_REAL(ZydisMnemonicGetString);
	return fn ? fn(mnemonic) : nullptr;
}

ZyanStatus ZydisCalcAbsoluteAddress(const ZydisDecodedInstruction *instruction,
				    const ZydisDecodedOperand *operand, ZyanU64 runtime_address,
				    ZyanU64 *result_address)
{
	GRAFT_ZYDIS_REAL(ZydisCalcAbsoluteAddress);
	return fn ? fn(instruction, operand, runtime_address, result_address) : ZYAN_STATUS_FAILED;
}

ZyanI8 ZydisRegisterGetId(ZydisRegister reg)
{
	GRAFT_ZYDIS_REAL(ZydisRegisterGetId);
	return fn ? fn(reg) : -1;
}

} // extern "C"
