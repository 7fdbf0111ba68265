#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The test receiver's (receiver.py) decoders of pprof payloads: Pyroscope's
push (PushRequest) and Parca's WriteRaw (gRPC-Web framed), each series'
pprofs checked and turned into the info dicts receiver.py records: CPU
profiles, the agent's network profile (__name__=net) and its off-CPU profile,
named as each backend's own agent names off-CPU time. A mixin of Receiver:
uses its error(), args and generated protobuf modules."""
import gzip
import os
import re
import struct

LABEL_NAME = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
NET_TYPES = [('packets', 'count'), ('bytes', 'bytes')]
OFFCPU_TYPES = [('off_cpu', 'nanoseconds')]   # OTLP, as the OTel eBPF profiler
# Off-CPU as each backend's own agent names it: (__name__, the backend's
# profile type id NAME:TYPE:UNIT:PERIOD_TYPE:PERIOD_UNIT): Grafana Alloy's
# pyroscope.ebpf, the Parca Agent (its UI's "Off-CPU").
OFFCPU_NAMES = {'pyroscope': ('offcpu', 'offcpu:offcpu:nanoseconds::'),
                'parca': ('parca_agent', 'parca_agent:wallclock:nanoseconds:samples:count')}
THREAD_STATES = ('sleeping', 'uninterruptible', 'preempted', 'stopped')
NET_DIRECTIONS = ('ingress', 'egress', 'xdp')
PORT_FRAME = re.compile(r'^(\d+)/([a-z0-9-]+)$')

def net_flow_key(labels, frames):
    """ "DIRECTION PORT" of a network sample, from its labels (else its stack);
    "-" where there is no port (ARP, ICMP, malformed...)."""
    direction = labels.get('direction')
    if direction is None and len(frames) > 2:
        direction = frames[2]
    port = labels.get('port')
    if port is None and frames:
        m = PORT_FRAME.match(frames[-1])
        if m:
            port = int(m.group(1))
    return '%s %s' % (direction, port if port is not None else '-')


class PprofDecoders:
    # ---- pprof --------------------------------------------------------------

    def decode_pprof(self, raw, where):
        """Gunzips and decodes one pprof; returns (profile, decoded bytes)."""
        if raw[:2] != b'\x1f\x8b':
            self.error('%s: raw_profile is not gzip (starts %r)' % (where, raw[:2]))
            data = raw
        else:
            data = gzip.decompress(raw)
        p = self.pprof_pb2.Profile()
        p.ParseFromString(data)
        st = p.string_table
        if not st or st[0] != '':
            self.error('%s: string_table[0] is not ""' % where)
        return p, data

    @staticmethod
    def profile_type_id(name, p):
        """The id a pprof backend gives the profile's first sample type, as
        Pyroscope's CreateProfileLabels forms it (Parca's likewise)."""
        st = p.string_table
        t = p.sample_type[0] if p.sample_type else None
        pt = p.period_type if p.HasField('period_type') else None
        return ':'.join([name, st[t.type] if t else '', st[t.unit] if t else '',
                         st[pt.type] if pt else '', st[pt.unit] if pt else ''])

    @staticmethod
    def pprof_types(p):
        st = p.string_table
        return [(st[t.type] if t.type < len(st) else '?',
                 st[t.unit] if t.unit < len(st) else '?') for t in p.sample_type]

    def cpu_info(self, p, where):
        """Checks one decoded CPU pprof; returns its info dict (None if unusable)."""
        st = p.string_table
        types = [st[t.type] for t in p.sample_type]
        if 'samples' not in types:
            self.error('%s: no samples sample type: %r' % (where, types))
            return None
        vi = types.index('samples')
        if p.duration_nanos <= 0:
            self.error('%s: duration_nanos %d is not > 0' % (where, p.duration_nanos))
        funcs = {f.id: st[f.name] for f in p.function}
        locs = {l.id: l for l in p.location}
        leaves = {}
        pids = {}
        total = 0
        for s in p.sample:
            if len(s.value) != len(p.sample_type):
                self.error('%s: a sample has %d values for %d types' %
                           (where, len(s.value), len(p.sample_type)))
            total += s.value[vi]
            for l in s.label:
                if st[l.key] == 'pid' and not l.str:
                    pids[l.num] = pids.get(l.num, 0) + s.value[vi]
                if l.str:
                    self.error('%s: string sample label %s=%s (agent labels must stay '
                               'low-cardinality)' % (where, st[l.key], st[l.str]))
            if s.location_id:
                loc = locs.get(s.location_id[0])
                if loc is None:
                    self.error('%s: unknown location id' % where)
                elif loc.line:
                    name = funcs.get(loc.line[0].function_id, '?')
                    leaves[name] = leaves.get(name, 0) + s.value[vi]
        comments = [st[c] for c in p.comment]
        delta_id = None
        for c in comments:
            if c.startswith('delta id '):
                delta_id = c[len('delta id '):]
        return {'kind': 'cpu', 'samples': total, 'time_nanos': p.time_nanos,
                'duration_nanos': p.duration_nanos, 'leaves': leaves,
                'comment_id': delta_id, 'period': p.period, 'pids': pids}

    def net_info(self, p, data, where):
        """Checks one decoded network pprof (data: its bytes); returns its info
        dict with per-flow totals (None if unusable)."""
        st = p.string_table
        types = self.pprof_types(p)
        if types != NET_TYPES:
            self.error('%s: network profile sample types %r, want %r' % (where, types, NET_TYPES))
            return None
        dst = p.default_sample_type
        if dst is None or dst >= len(st) or st[dst] != 'bytes':
            self.error('%s: network profile default_sample_type %r, want "bytes"' %
                       (where, st[dst] if dst is not None and dst < len(st) else dst))
        if p.duration_nanos <= 0:
            self.error('%s: duration_nanos %d is not > 0' % (where, p.duration_nanos))
        funcs = {f.id: st[f.name] for f in p.function}
        locs = {l.id: l for l in p.location}
        problems = set()
        flows = {}
        leaves = {}
        packets = nbytes = 0
        for s in p.sample:
            if len(s.value) != 2:
                problems.add('a sample has %d values, want 2 (packets, bytes)' % len(s.value))
                continue
            frames = []
            for lid in s.location_id:
                loc = locs.get(lid)
                if loc is None:
                    problems.add('unknown location id')
                    frames.append('?')
                elif not loc.line:
                    problems.add('a location without a line (no frame name)')
                    frames.append('?')
                else:
                    frames.append(funcs.get(loc.line[0].function_id, '?'))
            frames.reverse()  # root first
            labels = {}
            for l in s.label:
                key = st[l.key]
                if key in ('iface', 'direction', 'proto', 'family', 'cgroup', 'comm') and \
                   not l.str and l.num:
                    problems.add('label %s is numeric, want a string' % key)
                if key in ('port', 'cgroup_id') and l.str:
                    problems.add('label %s is a string (%r), want a number' % (key, st[l.str]))
                labels[key] = st[l.str] if l.str else l.num
            self.check_net_sample(frames, labels, problems)
            pk, by = s.value
            if pk < 0 or by < 0:
                problems.add('negative values %d, %d' % (pk, by))
            packets += pk
            nbytes += by
            k = net_flow_key(labels, frames)
            f = flows.setdefault(k, [0, 0])
            f[0] += pk
            f[1] += by
            if frames:
                leaves[frames[-1]] = leaves.get(frames[-1], 0) + by
        for msg in sorted(problems):
            self.error('%s: network profile: %s' % (where, msg))
        comments = [st[c] for c in p.comment]
        delta_id = None
        for c in comments:
            if c.startswith('delta id '):
                delta_id = c[len('delta id '):]
        if not delta_id:
            self.error('%s: network profile without a "delta id" comment' % where)
        return {'kind': 'net', 'samples': 0, 'packets': packets, 'bytes': nbytes,
                'flows': flows, 'time_nanos': p.time_nanos,
                'duration_nanos': p.duration_nanos, 'leaves': leaves,
                'comment_id': delta_id, 'period': p.period, 'pids': {}}

    @staticmethod
    def check_net_sample(frames, labels, problems):
        """The synthetic stack net;IFACE;DIRECTION;PROTO;... agrees with the labels."""
        if len(frames) < 4 or frames[0] != 'net':
            problems.add('stack %r is not net;IFACE;DIRECTION;PROTO;...' % ';'.join(frames))
            return
        direction = labels.get('direction')
        if direction not in NET_DIRECTIONS:
            problems.add('direction label %r' % (direction,))
        elif frames[2] != direction:
            problems.add('stack %r but direction=%s' % (';'.join(frames), direction))
        iface = labels.get('iface')
        if iface is None:
            problems.add('a sample without an iface label')
        elif frames[1] != iface:
            problems.add('stack %r but iface=%s' % (';'.join(frames), iface))
        if frames[3] in ('tcp', 'udp') and labels.get('family') not in ('ipv4', 'ipv6'):
            problems.add('family label %r' % (labels.get('family'),))
        m = PORT_FRAME.match(frames[-1])
        if m and frames[3] != 'malformed':
            port = labels.get('port')
            if port is None:
                problems.add('stack %r but no port label' % ';'.join(frames))
            elif port != int(m.group(1)):
                problems.add('stack %r but port=%r' % (';'.join(frames), port))

    def save_pprof(self, raw, delta_id):
        path = os.path.join(self.args.out, 'profiles', '%s.pb.gz' % delta_id)
        with open(path, 'wb') as f:
            f.write(raw)
        return path

    def is_net_series(self, labels, profiles):
        """A network series: __name__=net and every pprof of packets and bytes."""
        return labels.get('__name__') == 'net' and bool(profiles) and \
            all(self.pprof_types(p) == NET_TYPES for p, _ in profiles)

    def offcpu_info(self, p, where):
        """Checks one decoded off-CPU pprof (agent --off-cpu): one sample type,
        off_cpu/nanoseconds; string labels only thread_state, of its four
        values. Returns its info dict: kind off_cpu, no samples, its total
        nanoseconds, and the nanoseconds under each function of the stacks."""
        st = p.string_table
        funcs = {f.id: st[f.name] for f in p.function}
        locs = {l.id: l for l in p.location}
        under, total = {}, 0
        for s in p.sample:
            if len(s.value) != 1:
                self.error('%s: an off-CPU sample has %d values' % (where, len(s.value)))
                continue
            total += s.value[0]
            for l in s.label:
                if l.str and (st[l.key] != 'thread_state' or st[l.str] not in THREAD_STATES):
                    self.error('%s: off-CPU string label %s=%s' % (where, st[l.key], st[l.str]))
            names = set()
            for lid in s.location_id:
                for line in locs[lid].line if lid in locs else []:
                    names.add(funcs.get(line.function_id, '?'))
            for n in names:
                under[n] = under.get(n, 0) + s.value[0]
        delta_id = None
        for c in (st[c] for c in p.comment):
            if c.startswith('delta id '):
                delta_id = c[len('delta id '):]
        return {'kind': 'off_cpu', 'samples': 0, 'off_ns': total, 'under': under,
                'time_nanos': p.time_nanos, 'duration_nanos': p.duration_nanos,
                'leaves': {}, 'comment_id': delta_id, 'period': p.period}

    def series_profiles(self, labels, raws, where, cpu_metric):
        """Decodes the pprofs of one series and checks its labels against the
        metric it must have (net for a network series, off_cpu for an off-CPU
        one, else cpu_metric); returns [info] in the order of raws."""
        decoded = [self.decode_pprof(raw, where) for raw in raws]
        if self.is_net_series(labels, decoded):
            self.check_labels(labels, where, 'net')
            return [self.net_info(p, data, where) for p, data in decoded]
        name, want = OFFCPU_NAMES.get(self.args.backend, ('off_cpu', ''))
        ids = [self.profile_type_id(labels.get('__name__', ''), p) for p, _ in decoded]
        if any(i.split(':')[1:3] == list(want.split(':')[1:3]) for i in ids) or \
           labels.get('__name__') in ('off_cpu', 'offcpu'):
            self.check_labels(labels, where, name)
            for i in ids:
                if i != want:
                    self.error('%s: off-CPU profile type %s, want %s' % (where, i, want))
            return [self.offcpu_info(p, where) for p, _ in decoded]
        self.check_labels(labels, where, cpu_metric)
        return [self.cpu_info(p, where) for p, _ in decoded]

    def check_labels(self, labels, where, metric):
        for k in labels:
            if not LABEL_NAME.match(k):
                self.error('%s: label name %r is not [A-Za-z_][A-Za-z0-9_]*' % (where, k))
        if labels.get('__name__') != metric:
            self.error('%s: __name__ is %r, want %r' % (where, labels.get('__name__'), metric))
        if not labels.get('service_name'):
            self.error('%s: no service_name label' % where)
        if len(labels) > 30:
            self.error('%s: %d labels, Pyroscope takes 30' % (where, len(labels)))

    # ---- backends ------------------------------------------------------------

    def pyroscope(self, h, body, n):
        where = 'pyroscope request %d' % n
        if h.headers.get('Content-Type') != 'application/proto':
            self.error('%s: Content-Type %r' % (where, h.headers.get('Content-Type')))
        req = self.push_pb2.PushRequest()
        req.ParseFromString(body)
        out = []
        for series in req.series:
            labels = {l.name: l.value for l in series.labels}
            names = [l.name for l in series.labels]
            if names != sorted(names):
                self.error('%s: labels not sorted by name: %r' % (where, names))
            infos = self.series_profiles(labels, [s.raw_profile for s in series.samples],
                                         where, 'process_cpu')
            for s, info in zip(series.samples, infos):
                if not s.ID:
                    self.error('%s: RawSample without ID' % where)
                if info and info['comment_id'] != s.ID:
                    self.error('%s: ID %s but the pprof says %s' % (where, s.ID, info['comment_id']))
                out.append((s.ID, labels, info, s.raw_profile))
        return out

    def parca(self, h, body, n):
        where = 'parca request %d' % n
        if h.headers.get('Content-Type') != 'application/grpc-web+proto':
            self.error('%s: Content-Type %r' % (where, h.headers.get('Content-Type')))
        if len(body) < 5 or body[0] != 0:
            self.error('%s: not a gRPC-Web message frame' % where)
            return []
        (length,) = struct.unpack('>I', body[1:5])
        if length != len(body) - 5:
            self.error('%s: frame length %d, body %d' % (where, length, len(body) - 5))
        req = self.parca_pb2.WriteRawRequest()
        req.ParseFromString(body[5:5 + length])
        if req.normalized:
            self.error('%s: normalized is set for raw pprof' % where)
        if self.args.expect_tenant and req.tenant != self.args.expect_tenant:
            self.error('%s: tenant field %r' % (where, req.tenant))
        out = []
        for series in req.series:
            labels = {l.name: l.value for l in series.labels.labels}
            infos = self.series_profiles(labels, [s.raw_profile for s in series.samples],
                                         where, 'parca_agent')
            for s, info in zip(series.samples, infos):
                if not info or not info['comment_id']:
                    self.error('%s: no delta id comment in the pprof' % where)
                    continue
                out.append((info['comment_id'], labels, info, s.raw_profile))
        return out
