// SPDX-License-Identifier: MIT
// sodium.hpp - libsodium, loaded with dlopen only when a signature is made or checked:
// a process that never loads a patch maps no crypto library (security.md). The runtime
// and the CLI share it; neither links libsodium.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace graft::trust {

// The calls graft uses (libsodium 1.0.18 signatures, checked against <sodium.h>).
struct Sodium {
	void *handle = nullptr;
	int (*sign_verify_detached)(const unsigned char *sig, const unsigned char *m,
				    unsigned long long mlen, const unsigned char *pk) = nullptr;
	int (*sign_detached)(unsigned char *sig, unsigned long long *siglen, const unsigned char *m,
			     unsigned long long mlen, const unsigned char *sk) = nullptr;
	int (*sign_keypair)(unsigned char *pk, unsigned char *sk) = nullptr;
	int (*generichash_init)(void *state, const unsigned char *key, size_t keylen,
				size_t outlen) = nullptr;
	int (*generichash_update)(void *state, const unsigned char *in,
				  unsigned long long inlen) = nullptr;
	int (*generichash_final)(void *state, unsigned char *out, size_t outlen) = nullptr;
	size_t (*generichash_statebytes)() = nullptr;
	int (*sha256_init)(void *state) = nullptr;
	int (*sha256_update)(void *state, const unsigned char *in,
			     unsigned long long inlen) = nullptr;
	int (*sha256_final)(void *state, unsigned char *out) = nullptr;
	size_t (*sha256_statebytes)() = nullptr;
	void (*randombytes_buf)(void *buf, size_t size) = nullptr;
};

// Opens libsodium (libsodium.so.23) and initialises it; false with *why naming the
// package to install when it is missing.
bool sodium_open(Sodium *s, std::string *why);
// Closes it again: the library is unmapped unless something else holds it.
void sodium_close(Sodium *s);

// RAII for the two above.
class SodiumScope {
public:
	SodiumScope() = default;
	~SodiumScope() { sodium_close(&s_); }
	SodiumScope(const SodiumScope &) = delete;
	SodiumScope &operator=(const SodiumScope &) = delete;
	bool open(std::string *why) { return sodium_open(&s_, why); }
	const Sodium &get() const { return s_; }

private:
	Sodium s_;
};

} // namespace graft::trust
