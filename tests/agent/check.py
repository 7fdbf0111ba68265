#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks what the test receiver (receiver.py) got against what the agent
says it counted. Ground rules asserted here: every delta id counts once (a
resend after a lost response repeats an id, with the same content), and the
samples of all distinct deltas delivered, plus those the agent reports as
dropped by the spool bound or rejected by the backend, equal the samples the
agent put into its windows ("window N: S samples ..." lines, -v) across all
its runs. Prints a one-line summary; exits 1 with the reasons on failure.

Off-CPU deltas (kind "off_cpu", from agent --off-cpu) are left out of the
sample accounting too: --min-offcpu-deltas N, and --offcpu-under
"FUNCTION=SECONDS" asserts the off-CPU time under FUNCTION, summed over the
distinct off-CPU deltas, is at least SECONDS.

Network deltas (receiver records of kind "net", from agent --net) are left
out of that sample accounting and of --min-deltas/--service; for them:
--net-flow "DIRECTION PORT=PACKETS BYTES" asserts the exact sum over all
distinct network deltas ("xdp 9001=0 0": none), --min-net-deltas N,
--net-label K=V on every network delta (K= : no such label), --net-go-pprof
FRAME: go tool pprof -sample_index=bytes -top of the raw network profiles
names FRAME. Where the agent logged "window N: net: K packets, B bytes in M
profiles" lines, the network deltas delivered must add up to them.

usage: check.py --out DIR --agent-log LOG [--agent-log LOG2...]
                [--service NAME] [--leaf NAME] [--label K=V] [--min-dups N]
                [--expect-dropped] [--min-deltas N] [--go-pprof]
                [--net-flow "DIR PORT=PACKETS BYTES"...] [--min-net-deltas N]
                [--net-label K=V...] [--net-go-pprof FRAME]
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
NET_WINDOW = re.compile(r'window (\d+): net: (\d+) packets, (\d+) bytes in (\d+) profiles')
NET_FLOW = re.compile(r'^\s*(\S+)\s+(\S+)\s*=\s*(\d+)\s+(\d+)\s*$')


def agent_counts(logs):
    """What the agent's log lines say, across all its runs: CPU samples and
    windows ("window N: S samples ..."), samples and profiles the spool
    dropped or the backend rejected, and the "window N: net:" lines."""
    c = dict.fromkeys(('counted', 'windows', 'dropped', 'rejected', 'lost_profiles',
                       'net_packets', 'net_bytes', 'net_profiles', 'net_lines'), 0)
    for path in logs:
        with open(path, errors='replace') as f:
            for line in f:
                m = WINDOW.search(line)
                if m:
                    c['counted'] += int(m.group(2))
                    c['windows'] += 1
                m = NET_WINDOW.search(line)
                if m:
                    c['net_packets'] += int(m.group(2))
                    c['net_bytes'] += int(m.group(3))
                    c['net_profiles'] += int(m.group(4))
                    c['net_lines'] += 1
                m = DROPPED.search(line)
                if m:
                    c['dropped'] += int(m.group(2))
                    c['lost_profiles'] += int(m.group(1))
                m = REJECTED.search(line)
                if m and line.startswith('cprof agent: delivered'):
                    c['rejected'] += int(m.group(2))
                    c['lost_profiles'] += int(m.group(1))
    return c


def check_net(args, net, fails):
    """The network deltas: exact flows, labels, count, go tool pprof, and
    agreement with the agent's "window N: net:" lines."""
    flows = {}
    for d in net.values():
        for k, (pk, by) in d.get('flows', {}).items():
            f = flows.setdefault(k, [0, 0])
            f[0] += pk
            f[1] += by
    packets = sum(d.get('packets', 0) for d in net.values())
    nbytes = sum(d.get('bytes', 0) for d in net.values())
    c = agent_counts(args.agent_log)
    lp, lb, lprof, lines, lost = (c['net_packets'], c['net_bytes'], c['net_profiles'],
                                  c['net_lines'], c['lost_profiles'])
    print('check: net: %d deltas, %d packets, %d bytes; agent logged %d packets, %d bytes in '
          '%d profiles (%d window lines); flows %s' %
          (len(net), packets, nbytes, lp, lb, lprof, lines,
           json.dumps(dict(sorted(flows.items(), key=lambda kv: -kv[1][1])[:8]))))
    if len(net) < args.min_net_deltas:
        fails.append('%d network deltas delivered, want at least %d' %
                     (len(net), args.min_net_deltas))
    for spec in args.net_flow:
        m = NET_FLOW.match(spec)
        if not m:
            fails.append('--net-flow %r is not "DIRECTION PORT=PACKETS BYTES"' % spec)
            continue
        key = '%s %s' % (m.group(1), m.group(2))
        want = [int(m.group(3)), int(m.group(4))]
        got = flows.get(key, [0, 0])
        if got != want:
            fails.append('network flow %s: %d packets %d bytes, want %d %d (flows %s)' %
                         (key, got[0], got[1], want[0], want[1], json.dumps(flows)))
    for kv in args.net_label:
        k, v = kv.split('=', 1)
        bad = [d['id'] for d in net.values() if (d['labels'].get(k) or '') != v]
        if bad:
            fails.append('%d network deltas without label %s (e.g. %s has %r)' %
                         (len(bad), kv if v else k + ' absent', bad[0],
                          net[bad[0]]['labels'].get(k)))
    if args.agent_log and lines and not lost:
        if (packets, nbytes, len(net)) != (lp, lb, lprof):
            fails.append('network deltas delivered hold %d packets, %d bytes in %d profiles; the '
                         'agent logged %d packets, %d bytes in %d profiles' %
                         (packets, nbytes, len(net), lp, lb, lprof))
    elif args.agent_log and net and not lines:
        fails.append('network deltas were delivered but the agent logged no '
                     '"window N: net: ..." line')
    if args.net_go_pprof:
        files = [d['pprof'] for d in net.values() if d.get('pprof')]
        if not files:
            fails.append('no raw network profile saved for go tool pprof')
            return
        env = dict(os.environ, HOME=os.environ.get('TMPDIR', '/tmp'), GOFLAGS='')
        r = subprocess.run(['go', 'tool', 'pprof', '-symbolize=none', '-sample_index=bytes',
                            '-top'] + files, capture_output=True, text=True, env=env, timeout=120)
        if r.returncode != 0:
            fails.append('go tool pprof failed on the network profiles: ' + r.stderr[-500:])
        elif args.net_go_pprof not in r.stdout:
            fails.append('go tool pprof -sample_index=bytes -top does not show %s:\n%s' %
                         (args.net_go_pprof, r.stdout[-800:]))
        else:
            print('check: go tool pprof -sample_index=bytes read %d network profiles, %s is '
                  'there' % (len(files), args.net_go_pprof))


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
    ap.add_argument('--net-flow', action='append', default=[])
    ap.add_argument('--min-net-deltas', type=int, default=0)
    ap.add_argument('--net-label', action='append', default=[])
    ap.add_argument('--net-go-pprof')
    ap.add_argument('--min-offcpu-deltas', type=int, default=0)
    ap.add_argument('--offcpu-under', action='append', default=[])
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
        elif (prev['samples'], prev['service'], prev['time_nanos'], prev.get('flows')) != \
             (d['samples'], d['service'], d['time_nanos'], d.get('flows')):
            fails.append('delta %s delivered twice with different content' % d['id'])
    dups = len(deliveries) - len(by_id)
    # CPU deltas: the sample accounting; network ones are checked on their own
    net = {i: d for i, d in by_id.items() if d.get('kind') == 'net'}
    off = {i: d for i, d in by_id.items() if d.get('kind') == 'off_cpu'}
    cpu = {i: d for i, d in by_id.items() if d.get('kind') not in ('net', 'off_cpu')}
    delivered = sum(d['samples'] for d in cpu.values())
    c = agent_counts(args.agent_log)
    counted, dropped, rejected, windows = c['counted'], c['dropped'], c['rejected'], c['windows']
    services = {}
    for d in cpu.values():
        services[d['service']] = services.get(d['service'], 0) + d['samples']

    print('check: %d deliveries, %d distinct deltas, %d repeated; delivered %d samples, '
          'agent counted %d in %d windows, spool dropped %d, rejected %d; services %s' %
          (len(deliveries), len(by_id), dups, delivered, counted, windows, dropped, rejected,
           json.dumps(dict(sorted(services.items(), key=lambda kv: -kv[1])[:8]))))

    if len(cpu) < args.min_deltas:
        fails.append('%d deltas delivered, want at least %d' % (len(cpu), args.min_deltas))
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
    if net or args.net_flow or args.min_net_deltas or args.net_label or args.net_go_pprof:
        check_net(args, net, fails)
    if off or args.min_offcpu_deltas or args.offcpu_under:
        under = {}
        for d in off.values():
            for k, v in d['under'].items():
                under[k] = under.get(k, 0) + v
        print('check: %d off-CPU deltas, %.3f s; most under %s' %
              (len(off), sum(d['off_ns'] for d in off.values()) / 1e9,
               sorted(under, key=lambda k: -under[k])[:4]))
        if len(off) < args.min_offcpu_deltas:
            fails.append('%d off-CPU deltas, want at least %d' % (len(off), args.min_offcpu_deltas))
        for fs in args.offcpu_under:
            f, secs = fs.rsplit('=', 1)
            if under.get(f, 0) < float(secs) * 1e9:
                fails.append('off-CPU under %s: %.3f s, want at least %s s' %
                             (f, under.get(f, 0) / 1e9, secs))
    if args.service:
        mine = [d for d in cpu.values() if d['service'] == args.service]
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
