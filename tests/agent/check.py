#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks what the test receiver (receiver.py) got against what the agent
says it counted. Ground rules asserted here: every delta id counts once (a
resend after a lost response repeats an id, with the same content), and the
samples of all distinct deltas delivered, plus those the agent reports as
dropped by the spool bound or rejected by the backend, equal the samples the
agent put into its windows ("window N: S samples ..." lines, -v) across all
its runs. Prints a one-line summary; exits 1 with the reasons on failure.

usage: check.py --out DIR --agent-log LOG [--agent-log LOG2...]
                [--service NAME] [--leaf NAME] [--label K=V] [--min-dups N]
                [--expect-dropped] [--min-deltas N] [--go-pprof]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

WINDOW = re.compile(r'window (\d+): (\d+) samples in (\d+) profiles')
DROPPED = re.compile(r'spool dropped (\d+) profiles \((\d+) samples\)')
REJECTED = re.compile(r'rejected (\d+) profiles \((\d+) samples\)')


def agent_counts(logs):
    counted = dropped = rejected = windows = 0
    for path in logs:
        with open(path, errors='replace') as f:
            for line in f:
                m = WINDOW.search(line)
                if m:
                    counted += int(m.group(2))
                    windows += 1
                m = DROPPED.search(line)
                if m:
                    dropped += int(m.group(2))
                m = REJECTED.search(line)
                if m and line.startswith('cprof agent: delivered'):
                    rejected += int(m.group(2))
    return counted, dropped, rejected, windows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    ap.add_argument('--agent-log', action='append', default=[])
    ap.add_argument('--service')
    ap.add_argument('--leaf', action='append', default=[])
    ap.add_argument('--label', action='append', default=[])
    ap.add_argument('--min-dups', type=int, default=0)
    ap.add_argument('--expect-dropped', action='store_true')
    ap.add_argument('--min-deltas', type=int, default=1)
    ap.add_argument('--go-pprof', action='store_true')
    args = ap.parse_args()
    fails = []

    errs_path = os.path.join(args.out, 'errors.txt')
    if os.path.exists(errs_path):
        with open(errs_path) as f:
            errs = f.read().strip()
        if errs:
            fails.append('the receiver found problems:\n    ' + errs.replace('\n', '\n    '))

    deliveries = []
    path = os.path.join(args.out, 'deliveries.jsonl')
    if os.path.exists(path):
        with open(path) as f:
            deliveries = [json.loads(l) for l in f if l.strip()]
    by_id = {}
    for d in deliveries:
        prev = by_id.get(d['id'])
        if prev is None:
            by_id[d['id']] = d
        elif (prev['samples'], prev['service'], prev['time_nanos']) != \
             (d['samples'], d['service'], d['time_nanos']):
            fails.append('delta %s delivered twice with different content' % d['id'])
    dups = len(deliveries) - len(by_id)
    delivered = sum(d['samples'] for d in by_id.values())
    counted, dropped, rejected, windows = agent_counts(args.agent_log)
    services = {}
    for d in by_id.values():
        services[d['service']] = services.get(d['service'], 0) + d['samples']

    print('check: %d deliveries, %d distinct deltas, %d repeated; delivered %d samples, '
          'agent counted %d in %d windows, spool dropped %d, rejected %d; services %s' %
          (len(deliveries), len(by_id), dups, delivered, counted, windows, dropped, rejected,
           json.dumps(dict(sorted(services.items(), key=lambda kv: -kv[1])[:8]))))

    if len(by_id) < args.min_deltas:
        fails.append('%d deltas delivered, want at least %d' % (len(by_id), args.min_deltas))
    if args.agent_log and delivered + dropped + rejected != counted:
        fails.append('delivered %d + dropped %d + rejected %d != counted %d: %s' %
                     (delivered, dropped, rejected, counted,
                      'samples lost' if delivered + dropped + rejected < counted else
                      'samples doubled'))
    if args.agent_log and counted == 0:
        fails.append('the agent counted no samples (is -v on?)')
    if dups < args.min_dups:
        fails.append('%d repeated deliveries, the scenario should cause at least %d' %
                     (dups, args.min_dups))
    if args.expect_dropped and dropped == 0:
        fails.append('the spool dropped nothing, the scenario should make it')
    now = time.time_ns()
    for d in by_id.values():
        if not (now - 3600e9 < d['time_nanos'] <= now):
            fails.append('delta %s: time_nanos %d is not within the last hour' %
                         (d['id'], d['time_nanos']))
        if d['duration_nanos'] <= 0:
            fails.append('delta %s: duration %d' % (d['id'], d['duration_nanos']))
    if args.service:
        mine = [d for d in by_id.values() if d['service'] == args.service]
        if not mine:
            fails.append('no delta for service %r (got %s)' % (args.service, sorted(services)))
        leaves = {}
        for d in mine:
            for k, v in d['leaves'].items():
                leaves[k] = leaves.get(k, 0) + v
        for leaf in args.leaf:
            if leaves.get(leaf, 0) == 0:
                fails.append('service %s: no samples in %s (leaves %s)' %
                             (args.service, leaf, sorted(leaves, key=lambda k: -leaves[k])[:6]))
        for kv in args.label:
            k, v = kv.split('=', 1)
            bad = [d['id'] for d in mine if d['labels'].get(k) != v]
            if bad:
                fails.append('service %s: %d deltas without label %s (e.g. %s has %r)' %
                             (args.service, len(bad), kv, bad[0],
                              by_id[bad[0]]['labels'].get(k)))
        if args.go_pprof:
            files = [d['pprof'] for d in mine if d.get('pprof')]
            if not files:
                fails.append('no raw profile saved for go tool pprof')
            else:
                env = dict(os.environ, HOME=os.environ.get('TMPDIR', '/tmp'))
                r = subprocess.run(['go', 'tool', 'pprof', '-symbolize=none', '-top'] + files[:5],
                                   capture_output=True, text=True, env=env, timeout=120)
                if r.returncode != 0:
                    fails.append('go tool pprof failed: ' + r.stderr[-500:])
                else:
                    for leaf in args.leaf:
                        if leaf not in r.stdout:
                            fails.append('go tool pprof -top does not show %s:\n%s' %
                                         (leaf, r.stdout[-800:]))
                    print('check: go tool pprof read %d profiles of %s' % (len(files[:5]),
                                                                          args.service))
    if fails:
        print('FAIL: ' + '\nFAIL: '.join(fails))
        sys.exit(1)


if __name__ == '__main__':
    main()
