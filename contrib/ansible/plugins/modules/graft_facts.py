#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: MIT
"""graft_facts: ansible_facts.graft from `graft status --all --json`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: graft_facts
short_description: Facts about graft on a host, the patch store and exposed processes
version_added: "0.1.0"
description:
  - Sets C(ansible_facts.graft) from C(graft status --all --json) (docs/system-wide.md),
    and returns nothing else.
  - A process is exposed when a stored patch fits it and is not enabled in it, or it has
    no graft runtime (verdicts C(failed) and C(without runtime)).
options:
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
    description: Processes examined at once.
    type: int
  graft:
    description: The graft command.
    type: path
    default: graft
author:
  - graft developers
"""

EXAMPLES = r"""
- name: Gather graft facts
  graft.live.graft_facts:

- name: No process may stay exposed
  ansible.builtin.assert:
    that: ansible_facts.graft.exposed | length == 0
"""

RETURN = r"""
ansible_facts:
  description: The graft facts.
  returned: always
  type: complex
  contains:
    graft:
      description: C(version) (of graft), C(store_dir), C(store) (the installed patches
        with their objects and build-ids), C(processes) (pid, comm, exe, runtime, verdict,
        patches), C(summary) (verdict -> count) and C(exposed) (pid, comm, verdict, error).
      returned: always
      type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.graft.live.plugins.module_utils.graft_cli import status_all

EXPOSED = ("failed", "without runtime")


def facts_of(doc):
    procs = [{k: rec.get(k) for k in ("pid", "comm", "exe", "runtime", "verdict", "patches")}
             for rec in doc["processes"]]
    exposed = [{k: rec.get(k) for k in ("pid", "comm", "verdict", "error")}
               for rec in doc["processes"] if rec.get("verdict") in EXPOSED]
    return {"version": doc.get("version", ""), "store_dir": doc.get("store_dir", ""),
            "store": doc.get("store", []), "processes": procs,
            "summary": doc.get("summary", {}), "exposed": exposed}


def main():
    module = AnsibleModule(
        argument_spec=dict(store=dict(type="path"), exe=dict(type="path"),
                           lib=dict(type="str"), jobs=dict(type="int"),
                           graft=dict(type="path", default="graft")),
        supports_check_mode=True)
    module.exit_json(changed=False, ansible_facts={"graft": facts_of(status_all(module))})


if __name__ == "__main__":
    main()
