// SPDX-License-Identifier: MIT
// policy.cpp - reading and parsing graft.conf (policy.hpp).
#include "text/split.hpp"
#include "trust/policy.hpp"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <pwd.h>

#include "conf/settings.hpp"
#include "os/files.hpp"
#include "store/format.hpp"

namespace graft::trust {
namespace {

using conf::trim;

std::vector<std::string> list_of(const std::string &value)
{
	std::vector<std::string> items;
	for (const std::string &item : text::split(value, ','))
		if (!trim(item).empty())
			items.push_back(trim(item));
	return items;
}

std::string dir_of(const std::string &path)
{
	size_t slash = path.rfind('/');
	return slash == std::string::npos ? "." : path.substr(0, slash);
}

bool uid_of(const std::string &user, uid_t *out)
{
	if (!user.empty() && user.find_first_not_of("0123456789") == std::string::npos) {
		*out = uid_t(std::stoul(user));
		return true;
	}
	passwd pw, *found = nullptr;
	char buf[4096];
	if (getpwnam_r(user.c_str(), &pw, buf, sizeof(buf), &found) != 0 || !found)
		return false;
	*out = found->pw_uid;
	return true;
}

// One "key = value" line into out; false with the problem in *why.
bool apply(const std::string &key, const std::string &value, Policy *out, std::string *why)
{
	if (key == "require_signature") {
		if (value == "yes" || value == "true")
			out->require = Require::yes;
		else if (value == "no" || value == "false")
			out->require = Require::no;
		else if (value == "auto")
			out->require = Require::automatic;
		else
			return *why = "require_signature must be yes, no or auto", false;
	} else if (key == "keys_dir") {
		if (value.empty() || value[0] != '/')
			return *why = "keys_dir must be an absolute path", false;
		out->keys_dir = value;
	} else if (key == "revoked_keys") {
		for (std::string k : list_of(value)) {
			for (char &c : k)
				c = char(toupper(static_cast<unsigned char>(c)));
			out->revoked_keys.insert(k);
		}
	} else if (key == "revoked_hashes") {
		for (std::string h : list_of(value)) {
			for (char &c : h)
				c = char(tolower(static_cast<unsigned char>(c)));
			out->revoked_hashes.insert(h);
		}
	} else if (key == "read_only_users") {
		for (const std::string &u : list_of(value)) {
			uid_t uid;
			if (!uid_of(u, &uid))
				return *why = "read_only_users: no user '" + u + "'", false;
			out->read_only_uids.insert(uid);
		}
	} else if (conf::is_optout_key(key)) {
		return conf::add_optout(key, value, &out->optouts, why);
	} else {
		return *why = "unknown setting '" + key + "'", false;
	}
	return true;
}

} // namespace

std::string policy_path()
{
	return conf::policy_path_from(secure_getenv("GRAFT_POLICY"),
				      secure_getenv("GRAFT_CONFIG_DIR"));
}

bool policy_parse(const std::string &text, const std::string &path, Policy *out, std::string *why)
{
	*out = Policy{};
	out->path = path;
	out->keys_dir = dir_of(path) + "/keys.d";
	out->optouts.path = path;
	return conf::parse_settings(
		text, path,
		[out](const std::string &key, const std::string &value, std::string *problem) {
			return apply(key, value, out, problem);
		},
		why);
}

bool policy_load(const std::string &path, uid_t euid, Policy *out, std::string *why)
{
	std::string text;
	os::FileRead r = os::read_trusted_file(path, euid, 64 * 1024, &text, why);
	if (r == os::FileRead::missing) {
		*out = Policy{};
		out->keys_dir = dir_of(path) + "/keys.d";
		return true;
	}
	if (r != os::FileRead::ok) {
		*why = "policy: " + *why;
		return false;
	}
	return policy_parse(text, path, out, why);
}

bool signature_required(const Policy &p, uid_t client_uid, bool system_store)
{
	if (p.require != Require::automatic)
		return p.require == Require::yes;
	return client_uid != 0 || system_store;
}

bool read_only(const Policy &p, uid_t client_uid)
{
	return p.read_only_uids.count(client_uid) != 0;
}

} // namespace graft::trust
