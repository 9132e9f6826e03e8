#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: MIT
"""graft_patch: a live patch installed in a host's patch store and enabled in every
matching process, or disabled, or removed, through `graft ... --json` only."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: graft_patch
short_description: Install a graft live patch and apply it to every matching process
version_added: "0.1.0"
description:
  - With I(state=present), installs the patch module I(src) into the host's graft patch
    store (new processes get it before C(main)) and enables it in every running process it
    fits (C(graft install)), then reports one record per process.
  - With I(state=disabled), disables the patch in every running process (C(graft disable
    --all)); the store keeps it. With I(state=absent), also removes it from the store
    (C(graft uninstall)).
  - Idempotent, supports check mode (C(--dry-run)) and diff mode (per-process states
    before and after).
  - Talks only to C(graft ... --json).
options:
  name:
    description: The patch's name (its module file name without C(.so)). Defaults to the
      name of I(src).
    type: str
  src:
    description: The patch module (.so) on the managed host. Required with I(state=present).
    type: path
  state:
    description: What the patch should be on the host.
    type: str
    choices: [present, disabled, absent]
    default: present
  store:
    description: The patch store (default C($GRAFT_STORE), else C(/var/lib/graft)).
    type: path
  exe:
    description: Only processes of this program.
    type: path
  lib:
    description: Only processes that map a library of this file name or soname.
    type: str
  jobs:
    description: Processes handled at once.
    type: int
  timeout:
    description: Seconds each process has to finish its transition.
    type: int
    default: 30
  allow_uncovered:
    description: Do not fail when processes the patch fits have no graft runtime (they
      stay exposed and are listed in C(uncovered)).
    type: bool
    default: false
  graft:
    description: The graft command.
    type: path
    default: graft
author:
  - graft developers
notes:
  - A process a patch fits but cannot take (refused by the runtime, e.g. by the patch's
    C(pre_patch) callback) fails the task with the runtime's message; processes already
    patched keep the patch, and the store keeps it (run I(state=absent) to roll back).
"""

EXAMPLES = r"""
- name: Patch every process that maps libfoo
  graft.live.graft_patch:
    src: /var/cache/graft/fix-cve-2026-1234.so
    lib: libfoo.so.1

- name: Take it back out of running processes and the store
  graft.live.graft_patch:
    name: fix-cve-2026-1234
    state: absent
"""

RETURN = r"""
processes:
  description: One record per process concerned, with its patch state before and after.
  returned: always
  type: list
  elements: dict
  sample: [{"pid": 4711, "comm": "demo", "result": "patched", "detail": "fix",
            "before": "absent", "after": "enabled"}]
summary:
  description: graft's summary (result -> count) and the store change.
  returned: always
  type: dict
  sample: {"patched": 3, "already": 1, "store": "added"}
store_changed:
  description: Whether the store was (check mode - would be) changed.
  returned: always
  type: bool
uncovered:
  description: Processes the patch fits that have no graft runtime.
  returned: always
  type: list
  elements: str
elapsed_ms:
  description: Time the module took on this host.
  returned: always
  type: int
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.graft.live.plugins.module_utils.graft_cli import (
    EXIT_FAILED, failures, patch_states, render_states, run_graft, selector_args,
    status_all, stored_names, uncovered)

AFTER = {"patched": "enabled", "would patch": "enabled", "already": "enabled",
         "disabled": "disabled", "would disable": "disabled"}


def patch_name(params):
    if params["name"]:
        return params["name"]
    base = os.path.basename(params["src"] or "")
    return base[:-3] if base.endswith(".so") else base


def install(module, name):
    """graft install (or its --dry-run): (exit code, document, store change)."""
    p = module.params
    if module.check_mode and not os.path.exists(p["src"]):
        module.exit_json(changed=True, processes=[], summary={"store": "added"},
                         store_changed=True, uncovered=[], elapsed_ms=0,
                         msg="%s is not on the host yet (a copy before was skipped in "
                             "check mode): it would be installed" % p["src"])
    args = ["install", "--timeout", str(p["timeout"])] + selector_args(p)
    if module.check_mode:
        args.append("--dry-run")
    rc, doc = run_graft(module, args + [p["src"]])
    if "processes" not in doc and "store" not in doc:
        module.fail_json(msg=doc.get("error", "graft install failed"), rc=rc)
    return rc, doc, doc.get("store", {}).get("change", "unchanged")


def take_out(module, name):
    """graft disable --all (or its --dry-run): (exit code, document)."""
    p = module.params
    args = ["disable", name, "--all", "--timeout", str(p["timeout"])] + selector_args(p)
    if module.check_mode:
        args.append("--dry-run")
    rc, doc = run_graft(module, args)
    if "processes" not in doc:
        module.fail_json(msg=doc.get("error", "graft disable --all failed"), rc=rc)
    return rc, doc


def records(doc, before, after):
    """One record per process: graft's outcome and the patch state before and after."""
    out = []
    pids = set(before) | set(after)
    for p in doc.get("processes", []):
        if p.get("result") in ("not applicable", "without runtime"):
            continue
        pids.add(p["pid"])
    results = {p["pid"]: p for p in doc.get("processes", [])}
    for pid in sorted(pids):
        r = results.get(pid, {})
        comm = r.get("comm") or (before.get(pid) or after.get(pid))[0]
        out.append({"pid": pid, "comm": comm, "result": r.get("result", "unchanged"),
                    "detail": r.get("detail", ""),
                    "before": before.get(pid, (comm, "absent"))[1],
                    "after": after.get(pid, (comm, "absent"))[1]})
    return out


def store_line(name, present):
    return "store: %s %s\n" % (name, "installed" if present else "absent")


def predicted(doc, before):
    """The states after the run, from graft's outcomes (check mode: what would be)."""
    after = dict(before)
    for p in doc.get("processes", []):
        if p.get("result") in AFTER:
            after[p["pid"]] = (p.get("comm", ""), AFTER[p["result"]])
    return after


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str"), src=dict(type="path"),
            state=dict(type="str", default="present",
                       choices=["present", "disabled", "absent"]),
            store=dict(type="path"), exe=dict(type="path"), lib=dict(type="str"),
            jobs=dict(type="int"), timeout=dict(type="int", default=30),
            allow_uncovered=dict(type="bool", default=False),
            graft=dict(type="path", default="graft")),
        required_if=[("state", "present", ["src"])],
        required_one_of=[("name", "src")],
        supports_check_mode=True)
    started = time.monotonic()
    p = module.params
    name = patch_name(p)
    status = status_all(module)
    before = patch_states(status, name)
    stored = name in stored_names(status)
    store_change = "unchanged"
    if p["state"] == "present":
        rc, doc, store_change = install(module, name)
    else:
        rc, doc = take_out(module, name)
        if p["state"] == "absent" and stored:
            store_change = "removed"
            if not module.check_mode:
                run_graft(module, ["uninstall", name] + selector_args({"store": p["store"]}))
    changes = [r for r in doc.get("processes", [])
               if r.get("result") in ("patched", "would patch", "disabled", "would disable")]
    changed = bool(changes) or store_change != "unchanged"
    after = predicted(doc, before)
    if changed and not module.check_mode:
        after = patch_states(status_all(module), name)
    summary = dict(doc.get("summary", {}), store=store_change)
    procs = records(doc, before, after)
    result = dict(changed=changed, processes=procs, summary=summary,
                  store_changed=store_change != "unchanged", uncovered=uncovered(doc),
                  elapsed_ms=int((time.monotonic() - started) * 1000))
    if module._diff:
        result["diff"] = {
            "before_header": "%s before" % name, "after_header": "%s after" % name,
            "before": store_line(name, stored) + render_states(procs, "before"),
            "after": store_line(name, p["state"] == "present" or
                                (stored and p["state"] == "disabled"))
            + render_states(procs, "after")}
    failed = failures(doc)
    if rc == EXIT_FAILED or failed:
        module.fail_json(msg="; ".join(failed) or doc.get("error", "graft failed"), **result)
    if result["uncovered"] and not p["allow_uncovered"] and p["state"] == "present":
        module.fail_json(msg="processes without the graft runtime stay exposed: " +
                         "; ".join(result["uncovered"]), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
