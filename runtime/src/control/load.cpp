// SPDX-License-Identifier: MIT
// load.cpp - descriptor, policy, signature, then dlopen of that descriptor (load.hpp).
#include "control/load.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <vector>

#include <fcntl.h>
#include <link.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/checks.hpp"
#include "control/protocol.hpp"
#include "os/files.hpp"
#include "trust/audit.hpp"
#include "trust/policy.hpp"
#include "trust/verify.hpp"

namespace graft::control {
namespace {

// The descriptor to verify and map, and whether this code opened it (and closes it).
struct PatchFd {
	int fd = -1;
	bool own = false;
	~PatchFd()
	{
		if (own && fd >= 0)
			close(fd);
	}
};

// A client that sent no descriptor (an older graft, a script): the path is checked as
// before and opened here; the descriptor is what is verified and mapped from then on.
core::Result open_patch(const std::string &path, const Client &client, uid_t euid, PatchFd *out)
{
	if (client.fd >= 0) {
		out->fd = client.fd;
		return {};
	}
	core::Result checked = check_patch_file(path, euid);
	if (!checked.ok)
		return checked;
	std::string why;
	out->fd = os::open_read(path, true, &why);
	if (out->fd < 0)
		return core::Result::fail("cannot open patch file '" + path + "': " + why);
	out->own = true;
	return {};
}

// The .minisig next to the patch when the client sent none: it authenticates itself,
// so only its presence matters here.
void find_signature(uid_t euid, trust::Candidate *c)
{
	if (c->has_signature)
		return;
	std::string text, why;
	os::FileRead r = os::read_trusted_file(c->path + ".minisig", euid, 8192, &text, &why);
	if (r == os::FileRead::missing)
		return;
	c->has_signature = true;
	c->signature = r == os::FileRead::ok ? text : std::string();
}

// A client that is not root and owns the file could rewrite it between the check and
// the mapping (its pages follow the file until copied): signed loads it is held to
// need a file it cannot write.
std::string writable_by_client(int fd, const Client &client, const std::string &path)
{
	struct stat st;
	if (client.uid == 0 || fstat(fd, &st) != 0 || st.st_uid != client.uid)
		return "";
	return "refused (policy): patch file '" + path + "' belongs to the client (uid " +
	       std::to_string(client.uid) +
	       "), which could change it after it is verified: "
	       "install it owned by root";
}

int has_name(dl_phdr_info *info, size_t, void *data)
{
	return info->dlpi_name && strcmp(info->dlpi_name, static_cast<const char *>(data)) == 0;
}

// The name dlopen opens the descriptor by. glibc finds an already loaded object by its
// name before it opens anything, and a descriptor's number is reused once closed: a
// second patch loaded through the same number would get the first one back. So the
// descriptor is duplicated to a number no loaded object is named after; the copies are
// closed by the caller (*extra) after the dlopen.
std::string fd_path(int fd, std::vector<int> *extra)
{
	for (int tries = 0; tries < 64; tries++) {
		std::string path = "/proc/self/fd/" + std::to_string(fd);
		if (!dl_iterate_phdr(has_name, path.data()))
			return path;
		int copy = fcntl(fd, F_DUPFD_CLOEXEC, fd + 1);
		if (copy < 0)
			break;
		extra->push_back(copy);
		fd = copy;
	}
	return "/proc/self/fd/" + std::to_string(fd);
}

// Where a load comes from, from its open descriptor on: a client's request, or the
// patch store (system_store: held to the store's rule, no client to check).
struct Source {
	const std::string &path;
	int fd;
	bool has_signature; // the client sent the .minisig's text
	std::string signature;
	Client client;
	uid_t euid;
	bool system_store;
	bool enable;
	Loader load;
};

// Maps the verified descriptor; a signed patch's objects must carry build-ids its
// signature lists, checked after the dlopen and before anything is resolved.
core::Result map_verified(const Source &s, const trust::Verdict &v)
{
	core::LoadRequest req;
	req.path = s.path;
	std::vector<int> copies;
	req.open_path = fd_path(s.fd, &copies);
	req.enable = s.enable;
	if (v.is_signed)
		req.admit = [&v](const std::vector<core::DeclaredObject> &objs) {
			std::vector<std::pair<std::string, std::string>> list;
			for (const core::DeclaredObject &o : objs)
				list.emplace_back(o.name, o.build_id);
			std::string refusal = trust::build_id_refusal(v.comment, list);
			return refusal.empty() ? core::Result{} : core::Result::fail(refusal);
		};
	core::Result r = s.load(req);
	for (int copy : copies)
		close(copy);
	return r;
}

// Policy, then the descriptor and its signature, then the mapping: nothing is mapped
// unless every check passed.
LoadDone load_verified(const Source &s)
{
	LoadDone done;
	trust::Policy policy;
	std::string why;
	if (!trust::policy_load(trust::policy_path(), s.euid, &policy, &why)) {
		done.result = core::Result::fail("refused (policy): " + why);
		return done;
	}
	trust::Candidate c{s.fd,	 s.path, s.has_signature, s.signature,
			   s.client.uid, s.euid, s.system_store};
	find_signature(s.euid, &c);
	trust::Verdict v = trust::verify_candidate(policy, c, int64_t(time(nullptr)));
	if (v.ok && !s.system_store && trust::signature_required(policy, s.client.uid, false))
		v.error = writable_by_client(s.fd, s.client, s.path);
	done.sha256 = v.sha256;
	done.key = v.key;
	if (!v.ok || !v.error.empty())
		done.result = core::Result::fail(v.error);
	else
		done.result = map_verified(s, v);
	return done;
}

} // namespace

void audit(const char *action, const core::Result &r, const Client &client,
	   const std::string &patch, const std::string &sha256, const std::string &key)
{
	trust::AuditRecord rec;
	rec.action = action;
	rec.result = r.ok ? "ok" : r.error;
	rec.client_uid = client.uid;
	rec.client_pid = client.pid;
	rec.patch = patch;
	rec.sha256 = sha256;
	rec.key = key;
	trust::audit_record(std::move(rec));
}

std::string write_refusal(const Client &client, uid_t euid)
{
	trust::Policy policy;
	std::string why;
	if (!trust::policy_load(trust::policy_path(), euid, &policy, &why))
		return "refused (policy): " + why;
	if (trust::read_only(policy, client.uid))
		return "refused (policy): uid " + std::to_string(client.uid) + " may only read (" +
		       policy.path +
		       " lists it in read_only_users): list, status, log, info, "
		       "history";
	return "";
}

LoadDone load_checked(const LoadAsked &asked, const Client &client, uid_t euid)
{
	LoadDone done;
	PatchFd pfd;
	done.result = open_patch(asked.path, client, euid, &pfd);
	if (done.result.ok)
		done = load_verified(Source{asked.path, pfd.fd, asked.has_signature,
					    asked.signature, client, euid, false, asked.enable,
					    core::patch_load});
	audit("load", done.result, client, patch_name_of(asked.path), done.sha256, done.key);
	return done;
}

LoadDone load_from_store(const std::string &path, bool enable, Loader load)
{
	LoadDone done;
	Client self; // no client: the process loads for itself
	self.uid = geteuid();
	self.pid = getpid();
	PatchFd pfd;
	std::string why;
	// Not following a final symlink: the store holds the modules themselves.
	pfd.fd = os::open_read(path, false, &why);
	pfd.own = true;
	if (pfd.fd < 0)
		done.result = core::Result::fail("cannot open patch file '" + path + "': " + why);
	else
		done = load_verified(
			Source{path, pfd.fd, false, "", self, self.uid, true, enable, load});
	audit("autoload", done.result, self, patch_name_of(path), done.sha256, done.key);
	return done;
}

} // namespace graft::control
