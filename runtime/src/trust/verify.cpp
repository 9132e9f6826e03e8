// SPDX-License-Identifier: MIT
// verify.cpp - the checks of a patch file and its signature (verify.hpp). Each refusal
// is "refused (<reason>): <what> (<fix>)".
#include "trust/verify.hpp"

#include <algorithm>
#include <ctime>
#include <mutex>

#include <sys/stat.h>

#include "os/files.hpp"

namespace graft::trust {
namespace {

Verdict refuse(Verdict v, const char *why, const std::string &what)
{
	v.ok = false;
	v.reason = why;
	v.error = std::string("refused (") + why + "): " + what;
	return v;
}

std::string day_of(int64_t t)
{
	time_t tt = time_t(t);
	tm parts{};
	gmtime_r(&tt, &parts);
	char buf[32];
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &parts);
	return buf;
}

// The trusted key with this key number from the policy's keys_dir; false if none.
// Key files are checked like patch files: a key anyone could write trusts anyone.
bool find_key(const Policy &p, uid_t euid, const KeyNum &num, PublicKey *out)
{
	for (const std::string &name : os::dir_entries(p.keys_dir, ".pub")) {
		std::string text, why;
		if (os::read_trusted_file(p.keys_dir + "/" + name, euid, 4096, &text, &why) !=
		    os::FileRead::ok)
			continue;
		PublicKey k;
		if (parse_public_key(text, &k, &why) && k.keynum == num) {
			*out = k;
			return true;
		}
	}
	return false;
}

std::string joined(const std::vector<std::string> &ids)
{
	std::string out;
	for (const std::string &id : ids)
		out += (out.empty() ? "" : ",") + id;
	return out;
}

// One libsodium at a time: it is opened and closed around each verification.
std::mutex sodium_mutex;

Verdict check_signature(const Policy &policy, const Candidate &c, const Hash512 &b2,
			const Sodium &s, int64_t now, Verdict v);

} // namespace

Verdict verify_candidate(const Policy &policy, const Candidate &c, int64_t now)
{
	Verdict v;
	struct stat st;
	std::string what = "patch file '" + c.path + "'";
	std::string problem =
		fstat(c.fd, &st) != 0 ? "cannot stat " + what : os::trust_problem(st, c.euid, what);
	if (!problem.empty())
		return refuse(v, reason::policy, problem);
	// libsodium is mapped from here to the end of this block only.
	std::lock_guard<std::mutex> guard(sodium_mutex);
	SodiumScope sodium;
	std::string why;
	Hash512 b2{};
	Hash256 sha{};
	if (!sodium.open(&why) || !hash_fd(sodium.get(), c.fd, &b2, &sha, &why))
		return refuse(v, reason::policy, why);
	v.sha256 = hex(sha.data(), sha.size());
	if (policy.revoked_hashes.count(v.sha256))
		return refuse(v, reason::revoked,
			      what + " has SHA-256 " + v.sha256 + ", revoked by " + policy.path);
	if (!c.has_signature) {
		if (signature_required(policy, c.client_uid, c.system_store))
			return refuse(
				v, reason::unsigned_,
				"no signature '" + c.path +
					".minisig'; this process requires "
					"one (policy " +
					(policy.path.empty() ? kDefaultPolicyPath : policy.path) +
					"): sign it with 'graft sign' or 'minisign -S'");
		v.ok = true;
		return v;
	}
	return check_signature(policy, c, b2, sodium.get(), now, v);
}

namespace {

Verdict check_signature(const Policy &policy, const Candidate &c, const Hash512 &b2,
			const Sodium &s, int64_t now, Verdict v)
{
	std::string why, sig_file = "signature '" + c.path + ".minisig'";
	Signature sig;
	if (!parse_signature(c.signature, &sig, &why))
		return refuse(v, reason::bad_signature, sig_file + ": " + why);
	v.key = key_id(sig.keynum);
	PublicKey key;
	if (!find_key(policy, c.euid, sig.keynum, &key))
		return refuse(v, reason::unknown_key,
			      sig_file + " is by key " + v.key + ", which is not in " +
				      policy.keys_dir + " (install its .pub there to trust it)");
	if (policy.revoked_keys.count(v.key))
		return refuse(v, reason::revoked, "key " + v.key + " is revoked by " + policy.path);
	if (!sig.prehashed)
		return refuse(v, reason::bad_signature,
			      sig_file + " is minisign's legacy form; re-sign it (prehashed, the "
					 "default of minisign -S)");
	if (!signature_valid(s, sig, key, b2))
		return refuse(v, reason::bad_signature,
			      sig_file + " does not match the file or its trusted comment "
					 "(changed after signing?)");
	if (!parse_trusted_comment(sig.trusted_comment, &v.comment, &why))
		return refuse(v, reason::bad_signature, sig_file + ": " + why);
	if (v.comment.has_not_after && now > v.comment.not_after)
		return refuse(v, reason::expired,
			      sig_file + " expired on " + day_of(v.comment.not_after));
	std::string name = c.path.substr(c.path.rfind('/') + 1);
	if (name.size() > 3 && name.compare(name.size() - 3, 3, ".so") == 0)
		name.resize(name.size() - 3);
	if (!v.comment.name.empty() && v.comment.name != name)
		return refuse(v, reason::policy,
			      sig_file + " was made for patch '" + v.comment.name + "', not '" +
				      name + "'");
	v.is_signed = true;
	v.ok = true;
	return v;
}

} // namespace

std::string build_id_refusal(const TrustedComment &comment,
			     const std::vector<std::pair<std::string, std::string>> &objects)
{
	const auto &ids = comment.build_ids;
	for (const auto &[name, id] : objects) {
		std::string obj = name.empty() ? "the main program" : "'" + name + "'";
		if (id.empty())
			return std::string("refused (") + reason::wrong_build_id +
			       "): the patch's " + "object " + obj +
			       " names no build-id, so its signature cannot "
			       "cover it (graft-patchgen records the target's build-id)";
		if (std::find(ids.begin(), ids.end(), id) == ids.end())
			return std::string("refused (") + reason::wrong_build_id + "): the patch " +
			       "is for build-id " + id + " of " + obj + ", which its signature " +
			       "does not list (it lists " + (ids.empty() ? "none" : joined(ids)) +
			       ")";
	}
	return "";
}

} // namespace graft::trust
