#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""fleet_test.py - the graft.live collection's rollout playbook, run by the real
ansible-playbook against three inventory hosts on this machine (docs/fleet.md).

Each host is `ansible_connection: local` with its own patch store, its own copy of the
program and its library (so `--exe` selects that host's processes only), and two real
processes started with `graft run`; host2's processes carry FLEET_VETO, which the
"bad" patch's pre_patch callback refuses. Steps, each asserted:
  1. --check --diff: every host reports changed and the per-process diff absent ->
     enabled; nothing changed (answers, stores, runtime states).
  2. a real run patches every process (their answers change); no process is exposed.
  3. a second run reports changed=0 everywhere.
  4. a bad patch: host1 (canary) takes it, host2 fails with the runtime's refusal,
     host3 is never touched.
  5. removal (state: absent) of both patches: stores empty, answers back to the old ones.
Prints the rollout's time over the hosts and per host (docs/fleet.md records it)."""

import argparse
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

HOSTS = ["host1", "host2", "host3"]
HERE = os.path.dirname(os.path.abspath(__file__))
VETO = "pre-patch callback of object 'libstoretgt.so.1' refused the patch"


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    raise SystemExit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


class Target:
    """A real process started with `graft run`, answering `call` on stdin."""

    def __init__(self, graft, exe, env):
        self.proc = subprocess.Popen([graft, "run", exe], env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.buf = b""
        first = self.line(30)
        check(first == "main: old", "process %d started with %r" % (self.proc.pid, first))

    def line(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.proc.stdout], [], [], max(left, 0))
            if not ready:
                fail("process %d printed no line within %d s" % (self.proc.pid, timeout))
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                fail("process %d exited (status %s)" % (self.proc.pid, self.proc.poll()))
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def answer(self):
        self.proc.stdin.write(b"call\n")
        self.proc.stdin.flush()
        return self.line(30)

    def stop(self):
        self.proc.kill()
        self.proc.wait()


class Fleet:
    def __init__(self, args, tmp):
        self.args, self.tmp = args, tmp
        self.targets = {}

    def setup(self):
        args, tmp = self.args, self.tmp
        self.patches = os.path.join(tmp, "patches")
        os.makedirs(self.patches)
        for name in ("fleet-fix", "fleet-fix2"):
            dst = os.path.join(self.patches, name + ".so")
            shutil.copy(os.path.join(args.out, "modules", name + ".so"), dst)
            os.chmod(dst, 0o644)
        for h in HOSTS:
            self.start_host(h)
        self.write_inventory()
        coll = os.path.join(tmp, "collections", "ansible_collections", "graft")
        os.makedirs(coll)
        os.symlink(os.path.abspath(args.collection), os.path.join(coll, "live"))

    def host_dir(self, h, *parts):
        return os.path.join(self.tmp, h, *parts)

    def start_host(self, h):
        for sub in ("bin", "lib", "run"):
            os.makedirs(self.host_dir(h, sub), mode=0o700)
        shutil.copy(os.path.join(self.args.out, "fleet_prog"), self.host_dir(h, "bin"))
        shutil.copy(os.path.join(self.args.out, "lib", "libstoretgt.so.1"), self.host_dir(h, "lib"))
        env = dict(os.environ, LD_LIBRARY_PATH=self.host_dir(h, "lib"),
                   GRAFT_RUNTIME_DIR=self.host_dir(h, "run"), GRAFT_STORE=self.host_dir(h, "store"))
        if h == "host2":
            env["FLEET_VETO"] = "1"
        self.targets[h] = []
        for _ in range(2):  # appended one by one: a failed start leaves none behind
            self.targets[h].append(Target(self.args.graft, self.host_dir(h, "bin", "fleet_prog"), env))
        for t in self.targets[h]:  # its control socket answers before any playbook runs
            self.wait_socket(h, t)

    def wait_socket(self, h, t):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            r = subprocess.run([self.args.graft, "--json", "list", str(t.proc.pid)],
                               env=dict(os.environ, GRAFT_RUNTIME_DIR=self.host_dir(h, "run")),
                               capture_output=True, text=True)
            if r.returncode == 0:
                return
            time.sleep(0.05)
        fail("process %d of %s never answered graft list" % (t.proc.pid, h))

    def write_inventory(self):
        hosts = {}
        for h in HOSTS:
            hosts[h] = {"ansible_connection": "local",
                        "ansible_python_interpreter": sys.executable,
                        "graft_bin": self.args.graft, "graft_store": self.host_dir(h, "store"),
                        "graft_exe": self.host_dir(h, "bin", "fleet_prog")}
        self.inventory = os.path.join(self.tmp, "fleet.json")
        with open(self.inventory, "w") as f:  # JSON is YAML: the yaml inventory reads it
            json.dump({"all": {"hosts": hosts}}, f)

    def play(self, name, extra, check_diff=False):
        """Runs the rollout playbook; returns (exit code, recorded events and stats)."""
        record = os.path.join(self.tmp, name + ".json")
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(self.tmp, "collections"),
                   ANSIBLE_HOME=os.path.join(self.tmp, "ansible-home"),
                   ANSIBLE_LOCAL_TEMP=os.path.join(self.tmp, "ansible-tmp"),
                   ANSIBLE_REMOTE_TEMP=os.path.join(self.tmp, "ansible-remote"),
                   ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, "callback_plugins"),
                   ANSIBLE_CALLBACKS_ENABLED="graft_record", GRAFT_RECORD_FILE=record,
                   ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
                   ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_GATHERING="explicit",
                   ANSIBLE_PIPELINING="1",
                   PYTHONDONTWRITEBYTECODE="1")
        cmd = ["ansible-playbook", "-i", self.inventory,
               os.path.join(self.args.collection, "playbooks", "rollout.yml"),
               "-e", json.dumps(extra)] + (["--check", "--diff"] if check_diff else [])
        started = time.monotonic()
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
        wall = time.monotonic() - started
        print("---- %s: exit %d, %.1f s\n%s%s" % (name, r.returncode, wall, r.stdout, r.stderr))
        check(os.path.exists(record), "%s: the playbook recorded nothing" % name)
        with open(record) as f:
            rec = json.load(f)
        rec["wall"] = wall
        return r.returncode, rec

    def answers(self, h):
        return [t.answer() for t in self.targets[h]]

    def status(self, h):
        r = subprocess.run([self.args.graft, "--json", "status", "--all", "--store",
                            self.host_dir(h, "store"), "--exe",
                            self.host_dir(h, "bin", "fleet_prog")], capture_output=True, text=True)
        doc = json.loads(r.stdout)
        return {"store": doc["store"],
                "patches": sorted((p["pid"], json.dumps(p["patches"])) for p in doc["processes"])}

    def stored(self, h):
        d = self.host_dir(h, "store", "modules")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []


def patch_events(rec, host):
    return [e for e in rec["events"] if e["host"] == host and e["task"].startswith("Put the patch")]


def step_check_diff(fleet):
    before = {h: fleet.status(h) for h in HOSTS}
    rc, rec = fleet.play("check", {"graft_patch_src": os.path.join(fleet.patches, "fleet-fix.so")},
                         check_diff=True)
    check(rc == 0, "check run exited %d" % rc)
    for h in HOSTS:
        [ev] = patch_events(rec, h)
        check(ev["status"] == "changed", "check: %s not reported as changed" % h)
        res = ev["result"]
        pids = sorted(t.proc.pid for t in fleet.targets[h])
        check(sorted(p["pid"] for p in res["processes"]) == pids,
              "check: %s records %s, not its processes %s" % (h, res["processes"], pids))
        for p in res["processes"]:
            check((p["result"], p["before"], p["after"]) == ("would patch", "absent", "enabled"),
                  "check: %s record %s" % (h, p))
        diff = res["diff"]
        diff = diff[0] if isinstance(diff, list) else diff
        for pid in pids:
            check("%d fleet_prog: absent" % pid in diff["before"], "check: diff before %r" % diff)
            check("%d fleet_prog: enabled" % pid in diff["after"], "check: diff after %r" % diff)
        check(fleet.answers(h) == ["call: old"] * 2, "check mode changed %s's answers" % h)
        check(fleet.status(h) == before[h], "check mode changed %s's store or states" % h)
        check(fleet.stored(h) == [], "check mode installed into %s's store" % h)


def step_rollout(fleet):
    extra = {"graft_patch_src": os.path.join(fleet.patches, "fleet-fix.so")}
    rc, rec = fleet.play("rollout", extra)
    check(rc == 0, "rollout exited %d" % rc)
    per_host = []
    for h in HOSTS:
        [ev] = patch_events(rec, h)
        check(ev["status"] == "changed", "rollout: %s not changed" % h)
        check(ev["result"]["summary"].get("patched") == 2, "rollout: %s summary %s"
              % (h, ev["result"]["summary"]))
        check(fleet.answers(h) == ["call: fixed"] * 2, "rollout: %s not patched" % h)
        check(fleet.stored(h) == ["fleet-fix.so"], "rollout: %s store %s" % (h, fleet.stored(h)))
        facts = [e for e in rec["events"] if e["host"] == h and e["task"].startswith("Read what")]
        check(facts and facts[0]["result"]["ansible_facts"]["graft"]["exposed"] == [],
              "rollout: %s has exposed processes" % h)
        per_host.append(ev["result"]["elapsed_ms"])
    print("FIGURE rollout over %d hosts (2 processes each): %.1f s wall; graft_patch per host "
          "%s ms" % (len(HOSTS), rec["wall"], per_host))
    rc, rec = fleet.play("again", dict(extra, graft_serial=["100%"]))  # all hosts at once
    check(rc == 0, "second run exited %d" % rc)
    for h in HOSTS:
        check(rec["stats"][h]["changed"] == 0, "second run: %s changed=%d" % (h, rec["stats"][h]["changed"]))


def step_bad_patch(fleet):
    rc, rec = fleet.play("bad", {"graft_patch_src": os.path.join(fleet.patches, "fleet-fix2.so")})
    check(rc != 0, "the rollout of a refused patch exited 0")
    [ev1] = patch_events(rec, "host1")
    check(ev1["status"] == "changed", "bad: the canary host1 was not patched")
    check(fleet.answers("host1") == ["call: fixed twice"] * 2, "bad: host1 answers")
    [ev2] = patch_events(rec, "host2")
    check(ev2["status"] == "failed" and VETO in ev2["result"]["msg"],
          "bad: host2 did not fail with the runtime's refusal: %s" % ev2["result"].get("msg"))
    check(fleet.answers("host2") == ["call: fixed"] * 2, "bad: host2's processes changed")
    check(not [e for e in rec["events"] if e["host"] == "host3"], "bad: host3 was reached")
    check(fleet.answers("host3") == ["call: fixed"] * 2, "bad: host3's processes changed")
    check(fleet.stored("host3") == ["fleet-fix.so"], "bad: host3's store changed")


def step_removal(fleet):
    for name in ("fleet-fix2", "fleet-fix"):
        rc, rec = fleet.play("remove-" + name, {"graft_patch_name": name, "graft_state": "absent",
                                                "graft_serial": ["100%"]})
        check(rc == 0, "removal of %s exited %d" % (name, rc))
    for h in HOSTS:
        check(fleet.answers(h) == ["call: old"] * 2, "removal: %s still patched" % h)
        check(fleet.stored(h) == [], "removal: %s store %s" % (h, fleet.stored(h)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--graft", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--collection", required=True)
    args = ap.parse_args()
    args.graft = os.path.abspath(args.graft)
    tmp = tempfile.mkdtemp(prefix="graft-fleet-")
    fleet = Fleet(args, tmp)
    try:
        fleet.setup()
        step_check_diff(fleet)
        step_rollout(fleet)
        step_bad_patch(fleet)
        step_removal(fleet)
        print("fleet rollout: all steps passed")
    finally:
        for ts in fleet.targets.values():
            for t in ts:
                t.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
