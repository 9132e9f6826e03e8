// SPDX-License-Identifier: MIT
// sodium.cpp - libsodium through dlopen; the pointer types are checked against the
// library's own header, so a mismatch is a compile error, not a crash.
#include "minisign/sodium.hpp"

#include <type_traits>

#include <dlfcn.h>

#include <sodium.h>

namespace graft::trust {
namespace {

// The soname of Debian 12's libsodium23 (1.0.18); its ABI has been stable since 1.0.
constexpr const char *kSoname = "libsodium.so.23";

template <typename Ptr> bool bind(void *h, Ptr *out, const char *name, std::string *why)
{
	*out = reinterpret_cast<Ptr>(dlsym(h, name));
	if (*out)
		return true;
	*why = std::string("libsodium lacks ") + name + ": install libsodium23 1.0.18 or later";
	return false;
}

// The pointer types are checked against <sodium.h> (the hash states, opaque structs
// there, are void * here). Their attributes (nonnull, warn_unused_result) are not part
// of the type, which GCC says; it is fine.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
#define GRAFT_SAME(field, fn) \
	static_assert(std::is_same_v<decltype(Sodium::field), decltype(&fn)>, #fn)
GRAFT_SAME(sign_verify_detached, crypto_sign_verify_detached);
GRAFT_SAME(sign_detached, crypto_sign_detached);
GRAFT_SAME(sign_keypair, crypto_sign_keypair);
GRAFT_SAME(generichash_statebytes, crypto_generichash_statebytes);
GRAFT_SAME(sha256_statebytes, crypto_hash_sha256_statebytes);
GRAFT_SAME(randombytes_buf, randombytes_buf);
#undef GRAFT_SAME
#pragma GCC diagnostic pop

bool bind_all(Sodium *s, std::string *why)
{
	void *h = s->handle;
	return bind(h, &s->sign_verify_detached, "crypto_sign_verify_detached", why) &&
	       bind(h, &s->sign_detached, "crypto_sign_detached", why) &&
	       bind(h, &s->sign_keypair, "crypto_sign_keypair", why) &&
	       bind(h, &s->generichash_statebytes, "crypto_generichash_statebytes", why) &&
	       bind(h, &s->generichash_init, "crypto_generichash_init", why) &&
	       bind(h, &s->generichash_update, "crypto_generichash_update", why) &&
	       bind(h, &s->generichash_final, "crypto_generichash_final", why) &&
	       bind(h, &s->sha256_statebytes, "crypto_hash_sha256_statebytes", why) &&
	       bind(h, &s->sha256_init, "crypto_hash_sha256_init", why) &&
	       bind(h, &s->sha256_update, "crypto_hash_sha256_update", why) &&
	       bind(h, &s->sha256_final, "crypto_hash_sha256_final", why) &&
	       bind(h, &s->randombytes_buf, "randombytes_buf", why);
}

} // namespace

bool sodium_open(Sodium *s, std::string *why)
{
	if (s->handle)
		return true;
	dlerror();
	s->handle = dlopen(kSoname, RTLD_NOW | RTLD_LOCAL);
	if (!s->handle) {
		const char *err = dlerror();
		*why = std::string("cannot load the crypto library ") + kSoname + " (" +
		       (err ? err : "unknown error") + "): install libsodium23";
		return false;
	}
	int (*init)() = nullptr;
	if (!bind_all(s, why) || !bind(s->handle, &init, "sodium_init", why) || init() < 0) {
		if (why->empty())
			*why = "libsodium failed to initialise";
		sodium_close(s);
		return false;
	}
	return true;
}

void sodium_close(Sodium *s)
{
	if (s->handle)
		dlclose(s->handle);
	*s = Sodium{};
}

} // namespace graft::trust
