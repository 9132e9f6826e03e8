// SPDX-License-Identifier: MIT
// dispatch.cpp - request parsing, validation and dispatch to the core.
#include "control/dispatch.hpp"

#include <algorithm>
#include <exception>
#include <new>
#include <optional>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "control/checks.hpp"
#include "control/load.hpp"
#include "control/protocol.hpp"
#include "core/api.hpp"
#include "trust/audit.hpp"

namespace graft::control {
namespace {

using json = nlohmann::json;

// A request field of the wrong type or a missing one: reported, never thrown.
struct BadRequest {
	std::string error;
};

std::string dump(const json &j)
{
	// replace: log text written by patch modules may not be valid UTF-8.
	return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json ok_reply()
{
	return json{{field::version, kProtocolVersion}, {field::ok, true}};
}

json fail_reply(const std::string &error)
{
	return json{{field::version, kProtocolVersion}, {field::ok, false}, {field::error, error}};
}

json from_result(const core::Result &r)
{
	return r.ok ? ok_reply()
		    : fail_reply(r.error.empty() ? "failed (no reason given)" : r.error);
}

std::string required_string(const json &req, const char *key)
{
	auto it = req.find(key);
	if (it == req.end())
		throw BadRequest{std::string("missing field '") + key + "'"};
	if (!it->is_string() || it->get_ref<const std::string &>().empty())
		throw BadRequest{std::string("field '") + key + "' must be a non-empty string"};
	return it->get<std::string>();
}

bool optional_bool(const json &req, const char *key, bool fallback)
{
	auto it = req.find(key);
	if (it == req.end())
		return fallback;
	if (!it->is_boolean())
		throw BadRequest{std::string("field '") + key + "' must be true or false"};
	return it->get<bool>();
}

uint64_t optional_uint(const json &req, const char *key, uint64_t fallback)
{
	auto it = req.find(key);
	if (it == req.end())
		return fallback;
	if (!it->is_number_unsigned())
		throw BadRequest{std::string("field '") + key + "' must be a non-negative integer"};
	return it->get<uint64_t>();
}

json func_json(const core::FuncView &f)
{
	return json{{field::name, f.name},
		    {field::sympos, f.sympos},
		    {field::old_addr, f.old_addr},
		    {field::new_addr, f.new_addr},
		    {field::entry_kind, f.entry_kind},
		    {field::patched, f.patched},
		    {field::active, f.active}};
}

json patch_json(const core::PatchView &p)
{
	json objects = json::array();
	for (const core::ObjectView &o : p.objects) {
		json funcs = json::array();
		for (const core::FuncView &f : o.funcs)
			funcs.push_back(func_json(f));
		objects.push_back(json{{field::name, o.name},
				       {field::loaded, o.loaded},
				       {field::patched, o.patched},
				       {field::funcs, std::move(funcs)}});
	}
	return json{{field::name, p.name},
		    {field::path, p.path},
		    {field::enabled, p.enabled},
		    {field::transition, p.transition},
		    {field::replace, p.replace},
		    {field::replaced, p.replaced},
		    {field::stack_order, p.stack_order},
		    {field::objects, std::move(objects)}};
}

json transition_json(const core::TransitionView &t)
{
	if (!t.active)
		return nullptr;
	json holding = json::array();
	for (const core::ThreadHold &h : t.holding)
		holding.push_back(json{
			{field::tid, h.tid}, {field::name, h.name}, {field::reason, h.reason}});
	return json{{field::patch, t.patch},
		    {field::direction, t.direction},
		    {field::threads_total, t.threads_total},
		    {field::threads_switched, t.threads_switched},
		    {field::elapsed_usec, t.elapsed_usec},
		    {field::holding, std::move(holding)}};
}

// The transition as it stands when an enable or disable request returns, as `status`
// would report it: the command that waits for it needs no `status` request of its own
// when the first round already completed it (idle threads), a second connection that
// cost 0.4 ms of a 4 ms `graft load` (docs/performance.md).
void add_transition(json &reply)
{
	if (reply[field::ok].get<bool>())
		reply[field::transition] = transition_json(core::transition_status());
}

json do_load(const json &req, const Client &client, uid_t euid)
{
	std::string path = required_string(req, field::path);
	bool enable = optional_bool(req, field::enable, true);
	auto sig = req.find(field::signature);
	if (sig != req.end() && !sig->is_string())
		throw BadRequest{"field 'signature' must be a string"};
	LoadAsked asked{path, enable, sig != req.end(),
			sig != req.end() ? sig->get<std::string>() : std::string()};
	LoadDone done = load_checked(asked, client, euid);
	json reply = from_result(done.result);
	if (reply[field::ok].get<bool>()) {
		reply[field::name] = patch_name_of(path);
		reply[field::enabled] = enable;
		reply[field::sha256] = done.sha256;
		reply[field::key] = done.key;
		if (enable)
			add_transition(reply);
	}
	return reply;
}

json do_named(const json &req, const Client &client, const char *action,
	      core::Result (*op)(const std::string &))
{
	std::string name = required_string(req, field::name);
	core::Result r = op(name);
	audit(action, r, client, name);
	json reply = from_result(r);
	if (reply[field::ok].get<bool>())
		reply[field::name] = name;
	return reply;
}

json do_history()
{
	json records = json::array();
	for (const trust::AuditRecord &r : trust::audit_read())
		records.push_back(json{{field::time_usec, r.time_usec},
				       {field::action, r.action},
				       {field::result, r.result},
				       {field::client_uid, r.client_uid},
				       {field::client_pid, r.client_pid},
				       {field::pid, r.pid},
				       {field::exe, r.exe},
				       {field::patch, r.patch},
				       {field::sha256, r.sha256},
				       {field::key, r.key}});
	json reply = ok_reply();
	reply[field::records] = std::move(records);
	return reply;
}

// graft attach's report once the runtime it loaded answers: the attach is recorded with
// that client's credentials. Only once, and only in a runtime graft attach started, so
// no other client can add attach records.
json do_attached(const Client &client)
{
	if (!trust::audit_take_attach())
		return fail_reply("this runtime was not loaded by graft attach, or its attach is "
				  "already recorded");
	audit("attach", core::Result{}, client, "");
	return ok_reply();
}

json do_list()
{
	json patches = json::array();
	for (const core::PatchView &p : core::patch_list())
		patches.push_back(patch_json(p));
	json types = json::array();
	for (const core::ShadowTypeView &t : core::shadow_type_list())
		types.push_back(json{{field::id, t.id},
				     {field::users, t.users},
				     {field::variables, t.variables}});
	json reply = ok_reply();
	reply[field::patches] = std::move(patches);
	reply[field::shadow_types] = std::move(types);
	return reply;
}

json do_log(const json &req)
{
	uint64_t after = optional_uint(req, field::after, 0);
	uint64_t max = optional_uint(req, field::max, kLogDefaultMax);
	max = std::min<uint64_t>(max, kLogHardMax);
	json lines = json::array();
	for (const core::LogLine &l : core::log_read(after, size_t(max)))
		lines.push_back(
			json{{field::seq, l.seq}, {field::usec, l.usec}, {field::text, l.text}});
	json reply = ok_reply();
	reply[field::lines] = std::move(lines);
	return reply;
}

json do_status()
{
	json reply = ok_reply();
	reply[field::transition] = transition_json(core::transition_status());
	return reply;
}

// The reply names the patch that was forced (as seen just before), so the CLI can say
// which patch can no longer be unloaded.
json do_force(const Client &client)
{
	core::TransitionView before = core::transition_status();
	core::Result r = core::transition_force();
	audit("force", r, client, before.patch);
	json reply = from_result(r);
	if (reply[field::ok].get<bool>() && before.active) {
		reply[field::patch] = before.patch;
		reply[field::direction] = before.direction;
	}
	return reply;
}

json do_info()
{
	core::ProcessInfo info = core::process_info();
	json reply = ok_reply();
	reply[field::pid] = info.pid;
	reply[field::exe] = info.exe;
	reply[field::runtime_version] = info.runtime_version;
	reply[field::patches] = info.patches;
	return reply;
}

json dispatch(const json &req, const Client &client, uid_t euid)
{
	std::string c = required_string(req, field::cmd);
	if (c == cmd::list)
		return do_list();
	if (c == cmd::log)
		return do_log(req);
	if (c == cmd::info)
		return do_info();
	if (c == cmd::status)
		return do_status();
	if (c == cmd::history)
		return do_history();
	if (c == cmd::attached)
		return do_attached(client);
	if (c != cmd::load && c != cmd::enable && c != cmd::disable && c != cmd::unload &&
	    c != cmd::force)
		return fail_reply("unknown command '" + c +
				  "' (this runtime knows load, enable, disable, unload, list, log, "
				  "info, status, force, history, attached)");
	std::string refusal = write_refusal(client, euid);
	if (!refusal.empty()) {
		audit(c.c_str(), core::Result::fail(refusal), client,
		      req.value(field::name, patch_name_of(req.value(field::path, ""))));
		return fail_reply(refusal);
	}
	if (c == cmd::load)
		return do_load(req, client, euid);
	if (c == cmd::enable || c == cmd::disable) {
		json reply = c == cmd::enable
				     ? do_named(req, client, "enable", core::patch_enable)
				     : do_named(req, client, "disable", core::patch_disable);
		add_transition(reply);
		return reply;
	}
	if (c == cmd::unload)
		return do_named(req, client, "unload", core::patch_unload);
	return do_force(client);
}

// Parses the line into a JSON object, or returns the reason it is not one.
std::optional<json> parse_request(std::string_view line, std::string *why)
{
	json req;
	try {
		req = json::parse(line.begin(), line.end());
	} catch (const json::parse_error &e) {
		// e.what() is "[json.exception.parse_error.101] parse error at ...": keep the
		// part that names the problem and where it is.
		std::string what = e.what();
		size_t tag = what.find("] ");
		*why = "malformed JSON: " +
		       (tag == std::string::npos ? what : what.substr(tag + 2));
		return std::nullopt;
	}
	if (!req.is_object()) {
		*why = "malformed request: expected a JSON object";
		return std::nullopt;
	}
	return req;
}

Reply handle_parsed(const json &req, const Client &client, uid_t euid)
{
	auto v = req.find(field::version);
	if (v != req.end() && (!v->is_number_integer() || v->get<int64_t>() != kProtocolVersion)) {
		// Never dump() the client's value: it could be nested deep enough to recurse far.
		std::string which = v->is_number_integer() ? std::to_string(v->get<int64_t>())
							   : std::string("(not an integer)");
		return {dump(fail_reply("unsupported protocol version " + which +
					" (this runtime speaks version " +
					std::to_string(kProtocolVersion) + ")")),
			true};
	}
	try {
		return {dump(dispatch(req, client, euid)), false};
	} catch (const BadRequest &bad) {
		return {dump(fail_reply("malformed request: " + bad.error)), false};
	}
}

} // namespace

std::string busy_reply(const std::string &error)
{
	try {
		json reply = fail_reply(error);
		reply[field::busy] = true;
		return dump(reply);
	} catch (...) {
		return error_reply(error);
	}
}

std::string error_reply(const std::string &error)
{
	try {
		return dump(fail_reply(error));
	} catch (...) {
		return R"({"v":1,"ok":false,"error":"internal error"})";
	}
}

Reply handle_request(std::string_view line, uid_t process_euid)
{
	return handle_request(line, Client{process_euid, getegid(), 0, -1}, process_euid);
}

Reply handle_request(std::string_view line, const Client &client, uid_t process_euid)
{
	try {
		std::string why;
		std::optional<json> req = parse_request(line, &why);
		if (!req)
			return {error_reply(why), true};
		return handle_parsed(*req, client, process_euid);
	} catch (const std::bad_alloc &) {
		// A fixed reply: building another string may fail too (it fits the reserve
		// of core/new_reserve.cpp when malloc fails).
		return {R"({"v":1,"ok":false,"error":"out of memory in the process while handling )"
			R"(the request: see 'graft list' for what it did, free memory and try again"})",
			true};
	} catch (const std::exception &e) {
		return {error_reply(std::string("internal error: ") + e.what()), true};
	} catch (...) {
		return {error_reply("internal error"), true};
	}
}

} // namespace graft::control
