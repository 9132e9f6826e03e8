# -*- coding: utf-8 -*-
# SPDX-License-Identifier: MIT
"""What graft_patch and graft_facts share: running `graft ... --json` and reading its
documented JSON (docs/cli.md, docs/system-wide.md). Nothing else on the host is read."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

# graft's exit codes (docs/cli.md): 0 done, 1 refused or failed, 2 usage,
# 3 still in transition, 4 some matching processes have no runtime.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNCOVERED = 4


def selector_args(params):
    """--store, --exe, --lib, --jobs from the module's parameters."""
    args = []
    for opt in ("store", "exe", "lib"):
        if params.get(opt):
            args += ["--" + opt, params[opt]]
    if params.get("jobs"):
        args += ["--jobs", str(params["jobs"])]
    return args


def run_graft(module, args):
    """Runs graft with --json; returns (exit code, the JSON document). A run that
    printed no JSON document fails the module with graft's own message."""
    cmd = [module.params["graft"], "--json"] + args
    rc, out, err = module.run_command(cmd)
    try:
        doc = json.loads(out.strip().splitlines()[-1]) if out.strip() else None
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        msg = err.strip() or "graft printed no JSON (exit %d)" % rc
        module.fail_json(msg=msg, cmd=cmd, rc=rc, stderr=err)
    return rc, doc


def status_all(module):
    """`graft status --all --json`: the store and one record per process."""
    rc, doc = run_graft(module, ["status", "--all"] + selector_args(module.params))
    if "processes" not in doc:
        module.fail_json(msg=doc.get("error", "graft status --all failed"), rc=rc)
    return doc


def patch_states(status, name):
    """{pid: (comm, state)} for the processes of a status --all document that have the
    patch `name` (state: enabled, disabled, replaced, in-transition)."""
    out = {}
    for rec in status["processes"]:
        for patch in rec.get("patches", []):
            if patch.get("name") == name:
                out[rec["pid"]] = (rec.get("comm", ""), patch.get("state", ""))
    return out


def stored_names(status):
    """The names of the patches installed in the store."""
    return sorted(p.get("name") for p in status.get("store", []))


def render_states(records, when):
    """The records' states (when: "before" or "after") as lines, the text Ansible diffs."""
    return "".join("%d %s: %s\n" % (r["pid"], r["comm"], r[when]) for r in records)


def failures(doc):
    """The per-process failure messages of an --all document, worded as graft did."""
    return ["process %d (%s): %s" % (p["pid"], p.get("comm", ""), p.get("detail", ""))
            for p in doc.get("processes", []) if p.get("result") == "failed"]


def uncovered(doc):
    """The processes a patch fits that have no runtime."""
    return ["process %d (%s): %s" % (p["pid"], p.get("comm", ""), p.get("detail", ""))
            for p in doc.get("processes", []) if p.get("result") == "without runtime"]
