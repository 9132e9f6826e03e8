# SPDX-License-Identifier: MIT
"""graft_record: writes every task result of a playbook run and the per-host stats to
$GRAFT_RECORD_FILE as JSON, for fleet_test.py to assert on (ansible-core ships no json
callback)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: graft_record
type: aggregate
short_description: record task results and stats as JSON for the fleet test
description: Writes the results of every task and the stats to $GRAFT_RECORD_FILE.
requirements: []
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "graft_record"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self.events = []
        self.started = time.monotonic()

    def _add(self, result, status):
        self.events.append({"task": result._task.get_name(), "host": result._host.get_name(),
                            "status": status, "result": result._result,
                            "at": time.monotonic() - self.started})

    def v2_runner_on_ok(self, result):
        self._add(result, "changed" if result._result.get("changed") else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._add(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._add(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._add(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        hosts = sorted(stats.processed.keys())
        record = {"events": self.events, "stats": {h: stats.summarize(h) for h in hosts},
                  "elapsed": time.monotonic() - self.started}
        with open(os.environ["GRAFT_RECORD_FILE"], "w") as f:
            json.dump(record, f, default=str)
