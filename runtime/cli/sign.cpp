// SPDX-License-Identifier: MIT
// sign.cpp - graft keygen and graft sign: minisign-compatible keys and prehashed
// signatures whose trusted comment says what graft checks (name, build-ids, not-after;
// security.md), and the patch file `graft load` sends.
#include "sign.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "cli.hpp"
#include "control/protocol.hpp"
#include "minisign/minisign.hpp"
#include "module_info.hpp"

namespace graft::cli {
namespace {

std::string read_text(const std::string &path, const char *what)
{
	std::ifstream in(path);
	if (!in)
		throw Failure{kExitFailed, std::string("cannot read ") + what + " '" + path +
						   "': " + strerror(errno)};
	std::stringstream s;
	s << in.rdbuf();
	return s.str();
}

// Creates path with mode and writes text; refuses to overwrite.
void write_new(const std::string &path, const std::string &text, mode_t mode)
{
	int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		throw Failure{kExitFailed, "cannot create '" + path + "': " + strerror(errno) +
						   (errno == EEXIST ? " (remove it first)" : "")};
	bool ok = write(fd, text.data(), text.size()) == ssize_t(text.size());
	ok = close(fd) == 0 && ok;
	if (!ok)
		throw Failure{kExitFailed, "cannot write '" + path + "'"};
}

void open_sodium(trust::SodiumScope *s)
{
	std::string why;
	if (!s->open(&why))
		throw Failure{kExitFailed, why};
}

int keygen(const std::string &pub, const std::string &sec)
{
	trust::SodiumScope sodium;
	open_sodium(&sodium);
	trust::PublicKey pk;
	trust::SecretKey sk;
	sodium.get().randombytes_buf(pk.keynum.data(), pk.keynum.size());
	sodium.get().sign_keypair(pk.pk.data(), sk.sk.data());
	sk.keynum = pk.keynum;
	write_new(sec, trust::format_secret_key(sk), 0600);
	write_new(pub, trust::format_public_key(pk), 0644);
	std::cout << "key " << trust::key_id(pk.keynum) << ": public '" << pub << "', secret '"
		  << sec << "' (unencrypted; keep it offline)\n";
	return kExitOk;
}

// "2027-01-31" or a number of days from now, as Unix seconds (end of that day, UTC).
int64_t expiry_of(const std::string &expires, int days)
{
	trust::TrustedComment c;
	std::string why;
	if (!expires.empty()) {
		if (!trust::parse_trusted_comment("not-after=" + expires, &c, &why))
			throw Failure{kExitUsage, "--expires: " + why};
		return c.not_after;
	}
	return int64_t(time(nullptr)) + int64_t(days) * 86400;
}

struct SignArgs {
	std::string key, file, name, expires;
	std::vector<std::string> build_ids;
	int days = 365;
};

int sign(const SignArgs &a)
{
	trust::TrustedComment c;
	c.name = a.name.empty() ? control::patch_name_of(a.file) : a.name;
	c.build_ids = a.build_ids;
	if (c.build_ids.empty())
		for (const ModuleObject &o : read_module_info(a.file).objects)
			if (!o.build_id.empty())
				c.build_ids.push_back(o.build_id);
	c.has_not_after = true;
	c.not_after = expiry_of(a.expires, a.days);
	trust::SecretKey sk;
	std::string why;
	if (!trust::parse_secret_key(read_text(a.key, "secret key"), &sk, &why))
		throw Failure{kExitFailed, "'" + a.key + "': " + why};
	trust::SodiumScope sodium;
	open_sodium(&sodium);
	int fd = open(a.file.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		throw Failure{kExitFailed, "cannot open '" + a.file + "': " + strerror(errno)};
	trust::Hash512 b2{};
	trust::Hash256 sha{};
	bool hashed = trust::hash_fd(sodium.get(), fd, &b2, &sha, &why);
	close(fd);
	if (!hashed)
		throw Failure{kExitFailed, "'" + a.file + "': " + why};
	std::string text =
		trust::sign_prehashed(sodium.get(), sk, b2, trust::format_trusted_comment(c));
	std::string out = a.file + ".minisig";
	unlink(out.c_str());
	write_new(out, text, 0644);
	std::cout << "signed '" << a.file << "' with key " << trust::key_id(sk.keynum) << ": '"
		  << out << "' (" << trust::format_trusted_comment(c) << ")\n";
	if (c.build_ids.empty())
		std::cerr << "graft: warning: no build-id given or found in the module: graft "
			     "refuses to load it (pass --build-id)\n";
	return kExitOk;
}

} // namespace

PatchFile::~PatchFile()
{
	if (fd >= 0)
		close(fd);
}

void open_patch_file(const std::string &path, PatchFile *out)
{
	PatchFile &f = *out;
	f.fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (f.fd < 0)
		throw Failure{kExitFailed,
			      "cannot open patch file '" + path + "': " + strerror(errno)};
	std::ifstream sig(path + ".minisig");
	if (sig) {
		std::stringstream s;
		s << sig.rdbuf();
		f.has_signature = true;
		f.signature = s.str();
	}
}

json load_request(const std::string &path, bool enable, PatchFile *out)
{
	open_patch_file(path, out);
	namespace field = control::field;
	json req{{field::cmd, control::cmd::load}, {field::path, path}, {field::enable, enable}};
	if (out->has_signature)
		req[field::signature] = out->signature;
	return req;
}

void declare_trust(CLI::App &app, Options &opt, std::function<int()> *action)
{
	static std::string pub = "graft.pub", sec = "graft.key";
	auto *kg = app.add_subcommand("keygen", "make a signing key pair (minisign format)");
	kg->add_option("-p,--public", pub, "public key file to create (default graft.pub)");
	kg->add_option("-s,--secret", sec, "secret key file to create (default graft.key)");
	kg->callback([action] { *action = [] { return keygen(pub, sec); }; });

	static SignArgs s;
	auto *sg = app.add_subcommand("sign", "sign a patch module: writes FILE.minisig");
	sg->add_option("-s,--secret", s.key, "the secret key (graft keygen, minisign -G -W)")
		->required();
	sg->add_option("FILE", s.file, "the patch module")->required();
	sg->add_option("--name", s.name, "the patch's name (default: the file name without .so)");
	sg->add_option("--build-id", s.build_ids,
		       "a build-id the patch may patch (repeatable; default: those the module "
		       "declares)");
	sg->add_option("--expires", s.expires, "last valid day, YYYY-MM-DD (UTC)");
	sg->add_option("--days", s.days, "valid for this many days (default 365)");
	sg->callback([action] { *action = [] { return sign(s); }; });

	static std::string pid;
	auto *hist =
		app.add_subcommand("history", "the audit trail of a process: loads, "
					      "enables, disables, forces, unloads, attaches, "
					      "refusals (--all: every process with a runtime)");
	hist->add_option("PID", pid, "process id of the target");
	add_all_options(hist);
	hist->callback([action, &opt] {
		*action = [&opt] {
			if (all_requested())
				return run_history_all(opt);
			if (pid.empty())
				throw Failure{kExitUsage, "history needs PID, or --all"};
			return cmd_history(parse_pid(pid), opt);
		};
	});
}

} // namespace graft::cli
