// SPDX-License-Identifier: MIT
// minisign.cpp - minisign's formats, the hashes and the two signatures, and graft's
// trusted comment (minisign.hpp).
#include "text/split.hpp"
#include "minisign/minisign.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>

#include <unistd.h>

namespace graft::trust {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_value(char c)
{
	const char *p = c ? strchr(kAlphabet, c) : nullptr;
	return p ? int(p - kAlphabet) : -1;
}

// The lines of text, without their line ends ("\r\n" too).
std::vector<std::string> lines_of(const std::string &text)
{
	std::vector<std::string> lines;
	for (std::string l : text::split(text, '\n')) {
		if (!l.empty() && l.back() == '\r')
			l.pop_back();
		lines.push_back(l);
	}
	return lines;
}

bool starts_with(const std::string &s, const char *prefix)
{
	return s.compare(0, strlen(prefix), prefix) == 0;
}

// The second line of a key file, base64-decoded to exactly len bytes.
bool key_blob(const std::string &text, size_t len, const char *what,
	      std::vector<unsigned char> *blob, std::string *why)
{
	std::vector<std::string> lines = lines_of(text);
	if (lines.size() < 2 || !starts_with(lines[0], "untrusted comment:")) {
		*why = std::string("not a minisign ") + what + " (no 'untrusted comment:' line)";
		return false;
	}
	if (!base64_decode(lines[1], blob) || blob->size() != len || (*blob)[0] != 'E' ||
	    (*blob)[1] != 'd') {
		*why = std::string("malformed minisign ") + what + " (not an Ed25519 key)";
		return false;
	}
	return true;
}

template <size_t N> void take(std::array<unsigned char, N> *out, const unsigned char *from)
{
	memcpy(out->data(), from, N);
}

} // namespace

std::string hex(const unsigned char *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	std::string out;
	for (size_t i = 0; i < len; i++) {
		out += digits[data[i] >> 4];
		out += digits[data[i] & 15];
	}
	return out;
}

std::string key_id(const KeyNum &k)
{
	static const char digits[] = "0123456789ABCDEF";
	std::string out;
	for (size_t i = k.size(); i-- > 0;) {
		out += digits[k[i] >> 4];
		out += digits[k[i] & 15];
	}
	return out;
}

std::string base64_encode(const unsigned char *data, size_t len)
{
	std::string out;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = uint32_t(data[i]) << 16;
		if (i + 1 < len)
			v |= uint32_t(data[i + 1]) << 8;
		if (i + 2 < len)
			v |= data[i + 2];
		out += kAlphabet[(v >> 18) & 63];
		out += kAlphabet[(v >> 12) & 63];
		out += i + 1 < len ? kAlphabet[(v >> 6) & 63] : '=';
		out += i + 2 < len ? kAlphabet[v & 63] : '=';
	}
	return out;
}

bool base64_decode(const std::string &text, std::vector<unsigned char> *out)
{
	out->clear();
	if (text.size() % 4 != 0)
		return false;
	for (size_t i = 0; i < text.size(); i += 4) {
		int v[4];
		int pad = 0;
		for (int j = 0; j < 4; j++) {
			char c = text[i + size_t(j)];
			bool last = i + 4 == text.size();
			if (c == '=' && last && j >= 2) {
				v[j] = 0;
				pad++;
				continue;
			}
			if (pad || (v[j] = b64_value(c)) < 0)
				return false;
		}
		uint32_t w = uint32_t(v[0]) << 18 | uint32_t(v[1]) << 12 | uint32_t(v[2]) << 6 |
			     uint32_t(v[3]);
		out->push_back(uint8_t(w >> 16));
		if (pad < 2)
			out->push_back(uint8_t(w >> 8));
		if (pad < 1)
			out->push_back(uint8_t(w));
	}
	return true;
}

bool parse_public_key(const std::string &text, PublicKey *out, std::string *why)
{
	std::vector<unsigned char> b;
	if (!key_blob(text, 2 + 8 + 32, "public key", &b, why))
		return false;
	memcpy(out->keynum.data(), &b[2], 8);
	take(&out->pk, &b[10]);
	return true;
}

bool parse_secret_key(const std::string &text, SecretKey *out, std::string *why)
{
	std::vector<unsigned char> b;
	// sig_alg 2, kdf_alg 2, chk_alg 2, salt 32, opslimit 8, memlimit 8, keynum 8, sk 64, chk 32
	if (!key_blob(text, 158, "secret key", &b, why))
		return false;
	if (b[2] != 0 || b[3] != 0) {
		*why = "the secret key is encrypted with a password: graft signs only with "
		       "unencrypted keys (graft keygen, or minisign -G -W); sign with minisign -S";
		return false;
	}
	memcpy(out->keynum.data(), &b[54], 8);
	take(&out->sk, &b[62]);
	return true;
}

bool parse_signature(const std::string &text, Signature *out, std::string *why)
{
	std::vector<std::string> l = lines_of(text);
	std::vector<unsigned char> sig, global;
	if (l.size() < 4 || !starts_with(l[0], "untrusted comment:") ||
	    !starts_with(l[2], "trusted comment: ")) {
		*why = "malformed signature file (expected minisign's four lines)";
		return false;
	}
	if (!base64_decode(l[1], &sig) || sig.size() != 2 + 8 + 64 || sig[0] != 'E' ||
	    (sig[1] != 'D' && sig[1] != 'd')) {
		*why = "malformed signature file (its signature line is not an Ed25519 signature)";
		return false;
	}
	if (!base64_decode(l[3], &global) || global.size() != 64) {
		*why = "malformed signature file (its trusted comment has no signature)";
		return false;
	}
	out->prehashed = sig[1] == 'D';
	memcpy(out->keynum.data(), &sig[2], 8);
	take(&out->sig, &sig[10]);
	out->trusted_comment = l[2].substr(strlen("trusted comment: "));
	take(&out->global_sig, global.data());
	return true;
}

std::string format_public_key(const PublicKey &k)
{
	std::vector<unsigned char> b{'E', 'd'};
	b.insert(b.end(), k.keynum.begin(), k.keynum.end());
	b.insert(b.end(), k.pk.begin(), k.pk.end());
	return "untrusted comment: minisign public key " + key_id(k.keynum) + "\n" +
	       base64_encode(b.data(), b.size()) + "\n";
}

// As minisign -G -W writes it (0.11): no KDF, salt, limits and checksum left zero.
std::string format_secret_key(const SecretKey &k)
{
	std::vector<unsigned char> b(158, 0);
	b[0] = 'E', b[1] = 'd', b[4] = 'B', b[5] = '2';
	memcpy(&b[54], k.keynum.data(), 8);
	memcpy(&b[62], k.sk.data(), 64);
	return "untrusted comment: minisign encrypted secret key\n" +
	       base64_encode(b.data(), b.size()) + "\n";
}

bool hash_fd(const Sodium &s, int fd, Hash512 *blake2b, Hash256 *sha256, std::string *why)
{
	// The states are opaque and aligned to 64 bytes in libsodium's header.
	alignas(64) unsigned char b2[512], sh[256];
	if (s.generichash_statebytes() > sizeof(b2) || s.sha256_statebytes() > sizeof(sh)) {
		*why = "libsodium's hash state is larger than expected";
		return false;
	}
	s.generichash_init(b2, nullptr, 0, blake2b->size());
	s.sha256_init(sh);
	// On the heap: in the runtime, thread-local storage is the loader's scarce static
	// TLS, and a client thread's stack is not the place for 64 KiB either.
	std::vector<unsigned char> chunk(65536);
	unsigned char *buf = chunk.data();
	for (off_t at = 0;;) {
		ssize_t n = pread(fd, buf, chunk.size(), at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*why = std::string("cannot read the patch file: ") + strerror(errno);
			return false;
		}
		if (n == 0)
			break;
		s.generichash_update(b2, buf, (unsigned long long)n);
		s.sha256_update(sh, buf, (unsigned long long)n);
		at += n;
	}
	s.generichash_final(b2, blake2b->data(), blake2b->size());
	s.sha256_final(sh, sha256->data());
	return true;
}

bool signature_valid(const Sodium &s, const Signature &sig, const PublicKey &key,
		     const Hash512 &blake2b)
{
	if (!sig.prehashed || sig.keynum != key.keynum)
		return false;
	if (s.sign_verify_detached(sig.sig.data(), blake2b.data(), blake2b.size(), key.pk.data()) !=
	    0)
		return false;
	std::vector<unsigned char> global(sig.sig.begin(), sig.sig.end());
	global.insert(global.end(), sig.trusted_comment.begin(), sig.trusted_comment.end());
	return s.sign_verify_detached(sig.global_sig.data(), global.data(), global.size(),
				      key.pk.data()) == 0;
}

std::string sign_prehashed(const Sodium &s, const SecretKey &key, const Hash512 &blake2b,
			   const std::string &trusted_comment)
{
	std::array<unsigned char, 64> sig{}, global_sig{};
	s.sign_detached(sig.data(), nullptr, blake2b.data(), blake2b.size(), key.sk.data());
	std::vector<unsigned char> global(sig.begin(), sig.end());
	global.insert(global.end(), trusted_comment.begin(), trusted_comment.end());
	s.sign_detached(global_sig.data(), nullptr, global.data(), global.size(), key.sk.data());
	std::vector<unsigned char> line{'E', 'D'};
	line.insert(line.end(), key.keynum.begin(), key.keynum.end());
	line.insert(line.end(), sig.begin(), sig.end());
	return "untrusted comment: signature from graft secret key " + key_id(key.keynum) + "\n" +
	       base64_encode(line.data(), line.size()) + "\ntrusted comment: " + trusted_comment +
	       "\n" + base64_encode(global_sig.data(), global_sig.size()) + "\n";
}

} // namespace graft::trust
