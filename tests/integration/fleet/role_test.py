#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""role_test.py - the graft.live.runtime role, run by the real ansible-playbook on this
machine (connection local) with its configuration directory in a temporary directory:
it writes the trusted keys and the policy, sets the kill switch, and a second run
changes nothing. The package task is skipped (graft_runtime_package: "") and the
preload entry is asked to stay as `graft preload status` reports it, so the machine's
/etc/ld.so.preload is never written (checked)."""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

KEY = "untrusted comment: minisign public key 98C04C8AFB125DCB\nRWTLXfpvuCZYKE5TTM0oXBnhwKgu5yGFCO14yJ6LSmwNO5g2cHqqSbLd\n"


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    raise SystemExit(1)


def preload_state(graft):
    r = subprocess.run([graft, "--json", "preload", "status"], capture_output=True, text=True)
    if r.returncode != 0:
        fail("graft preload status: exit %d: %s" % (r.returncode, r.stderr))
    return json.loads(r.stdout)


def play(tmp, graft, collection, name):
    record = os.path.join(tmp, name + ".json")
    conf = os.path.join(tmp, "etc-graft")
    book = os.path.join(tmp, "site.yml")
    with open(book, "w") as f:
        json.dump([{"name": "Put graft on the host", "hosts": "all", "gather_facts": False,
                    "roles": [{"role": "graft.live.runtime"}]}], f)
    extra = {"graft_runtime_package": "", "graft_runtime_bin": graft,
             "graft_runtime_config_dir": conf, "graft_runtime_keys_dir": conf + "/keys.d",
             "graft_runtime_keys": {"release": KEY}, "graft_runtime_require_signature": "yes",
             "graft_runtime_revoked_keys": ["0123456789ABCDEF"],
             "graft_runtime_exclude_exe": ["/opt/av/*", "clamd"],
             "graft_runtime_exclude_uid": [1001],
             "graft_runtime_exclude_unit": ["postgresql"],
             "graft_runtime_enabled": False,
             "graft_runtime_preload": preload_state(graft)["preload"]}
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(tmp, "collections"),
               ANSIBLE_HOME=os.path.join(tmp, "ansible-home"),
               ANSIBLE_LOCAL_TEMP=os.path.join(tmp, "ansible-tmp"),
               ANSIBLE_REMOTE_TEMP=os.path.join(tmp, "ansible-remote"),
               ANSIBLE_CALLBACK_PLUGINS=os.path.join(os.path.dirname(__file__), "callback_plugins"),
               ANSIBLE_CALLBACKS_ENABLED="graft_record", GRAFT_RECORD_FILE=record,
               ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_PIPELINING="1",
               ANSIBLE_LOCALHOST_WARNING="0", PYTHONDONTWRITEBYTECODE="1")
    inv = "localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable
    with open(os.path.join(tmp, "hosts"), "w") as f:
        f.write(inv)
    r = subprocess.run(["ansible-playbook", "-i", os.path.join(tmp, "hosts"), book,
                        "-e", json.dumps(extra)], env=env, capture_output=True, text=True)
    print("---- %s: exit %d\n%s%s" % (name, r.returncode, r.stdout, r.stderr))
    if r.returncode != 0:
        fail("%s: ansible-playbook exited %d" % (name, r.returncode))
    with open(record) as f:
        return json.load(f)["stats"]["localhost"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--graft", required=True)
    ap.add_argument("--collection", required=True)
    args = ap.parse_args()
    graft = os.path.abspath(args.graft)
    tmp = tempfile.mkdtemp(prefix="graft-role-")
    try:
        coll = os.path.join(tmp, "collections", "ansible_collections", "graft")
        os.makedirs(coll)
        os.symlink(os.path.abspath(args.collection), os.path.join(coll, "live"))
        preload_before = open("/etc/ld.so.preload").read() if os.path.exists("/etc/ld.so.preload") else None
        stats = play(tmp, graft, args.collection, "first")
        if stats["changed"] == 0:
            fail("the first run changed nothing")
        conf = os.path.join(tmp, "etc-graft")
        with open(os.path.join(conf, "keys.d", "release.pub")) as f:
            if f.read() != KEY:
                fail("the trusted key was not written as given")
        with open(os.path.join(conf, "graft.conf")) as f:
            text = f.read()
        for line in ("require_signature = yes", "keys_dir = %s/keys.d" % conf,
                     "revoked_keys = 0123456789ABCDEF", "exclude_exe = /opt/av/*",
                     "exclude_exe = clamd", "exclude_uid = 1001",
                     "exclude_unit = postgresql"):
            if line not in text.splitlines():
                fail("graft.conf lacks %r:\n%s" % (line, text))
        if not os.path.exists(os.path.join(conf, "disable")):
            fail("the kill switch was not set")
        env = dict(os.environ, GRAFT_CONFIG_DIR=conf)
        r = subprocess.run([graft, "--json", "preload", "status"], env=env, capture_output=True, text=True)
        if not json.loads(r.stdout)["kill_switch"]:
            fail("graft does not see the kill switch the role set")
        stats = play(tmp, graft, args.collection, "second")
        if stats["changed"] != 0:
            fail("the second run changed %d things" % stats["changed"])
        after = open("/etc/ld.so.preload").read() if os.path.exists("/etc/ld.so.preload") else None
        if after != preload_before:
            fail("/etc/ld.so.preload changed")
        print("runtime role: all checks passed")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
