#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The test receiver's (receiver.py) decoder of OTLP/HTTP profiles
(ExportProfilesServiceRequest): the dictionary's indices checked, CPU
profiles, the network profile's packets and bytes Profiles paired back into
one delta, and the off-CPU profile (off_cpu/nanoseconds, no period type, as
the OTel eBPF profiler). A mixin of Receiver: uses its error(), args and
generated protobuf modules."""
import subprocess
import uuid

from wire_pprof import NET_TYPES, OFFCPU_TYPES, net_flow_key



class OtlpDecoders:
    def otlp(self, h, body, n):
        where = 'otlp request %d' % n
        if h.headers.get('Content-Type') != 'application/x-protobuf':
            self.error('%s: Content-Type %r' % (where, h.headers.get('Content-Type')))
        if h.headers.get('Content-Encoding') != 'zstd':
            self.error('%s: Content-Encoding %r' % (where, h.headers.get('Content-Encoding')))
        else:
            body = subprocess.run(['zstd', '-d', '-c', '-q'], input=body, check=True,
                                  stdout=subprocess.PIPE).stdout
        req = self.otlp_pb2.ExportProfilesServiceRequest()
        req.ParseFromString(body)
        d = req.dictionary
        st = d.string_table
        if not st or st[0] != '':
            self.error('%s: string_table[0] is not ""' % where)
        for name in ('mapping_table', 'location_table', 'function_table', 'link_table',
                     'attribute_table', 'stack_table'):
            table = getattr(d, name)
            if not table or table[0].ByteSize() != 0:
                self.error('%s: %s[0] is not the zero value' % (where, name))
        out = []
        for rp in req.resource_profiles:
            attrs = {kv.key: kv.value.string_value for kv in rp.resource.attributes}
            if not attrs.get('service.name'):
                self.error('%s: no service.name resource attribute' % where)
            labels = {'service_name': attrs.get('service.name'),
                      'hostname': attrs.get('host.name')}
            for k, v in attrs.items():
                if k not in ('service.name', 'host.name'):
                    labels[k] = v
            for sp in rp.scope_profiles:
                if sp.scope.name != 'cprof':
                    self.error('%s: scope %r' % (where, sp.scope.name))
                net = []
                for p in sp.profiles:
                    if self.otlp_type(p, d) in NET_TYPES:
                        net.append(p)
                        continue
                    if [self.otlp_type(p, d)] == OFFCPU_TYPES:
                        info = self.otlp_offcpu(p, d, where)
                    else:
                        info = self.otlp_profile(p, d, where)
                    pid = p.profile_id
                    if len(pid) != 16 or pid == b'\0' * 16:
                        self.error('%s: profile_id %r' % (where, pid))
                        continue
                    out.append((str(uuid.UUID(bytes=bytes(pid))), labels, info, None))
                if net:
                    if '__name__' in attrs:
                        self.error('%s: network profiles with a __name__ resource attribute %r' %
                                   (where, attrs['__name__']))
                    for delta_id, info in self.otlp_net(net, d, where):
                        out.append((delta_id, labels, info, None))
        return out

    @staticmethod
    def otlp_type(p, d):
        st = d.string_table
        t, u = p.sample_type.type_strindex, p.sample_type.unit_strindex
        return (st[t] if 0 <= t < len(st) else '?', st[u] if 0 <= u < len(st) else '?')

    def otlp_net(self, profiles, d, where):
        """Pairs the packets and bytes Profiles of each network delta (in one
        ScopeProfiles, packets first, the bytes one's profile_id the packets
        one's with byte 15 XOR 1); returns [(delta id, info)]."""
        pairs = {}
        order = []
        for p in profiles:
            pid = bytes(p.profile_id)
            if len(pid) != 16 or pid == b'\0' * 16:
                self.error('%s: network profile_id %r' % (where, pid))
                continue
            kind = self.otlp_type(p, d)[0]
            if kind == 'bytes':
                pid = pid[:15] + bytes([pid[15] ^ 1])
            pair = pairs.setdefault(pid, {})
            if kind in pair:
                self.error('%s: two network %s profiles for delta %s' %
                           (where, kind, uuid.UUID(bytes=pid)))
            pair[kind] = p
            if kind == 'packets':
                order.append(pid)
            elif pid not in order:
                self.error('%s: the network bytes profile of delta %s comes before its packets '
                           'profile (or has none)' % (where, uuid.UUID(bytes=pid)))
        out = []
        for pid, pair in pairs.items():
            delta_id = str(uuid.UUID(bytes=pid))
            if set(pair) != {'packets', 'bytes'}:
                self.error('%s: network delta %s has only a %s profile (want packets and bytes '
                           'with ids id and id^1 in byte 15)' % (where, delta_id, '/'.join(pair)))
                continue
            pk = self.otlp_net_profile(pair['packets'], d, where)
            by = self.otlp_net_profile(pair['bytes'], d, where)
            a, b = pair['packets'], pair['bytes']
            if (a.time_unix_nano, a.duration_nano) != (b.time_unix_nano, b.duration_nano):
                self.error('%s: network delta %s: packets and bytes profiles differ in time '
                           '(%d+%d, %d+%d)' % (where, delta_id, a.time_unix_nano, a.duration_nano,
                                               b.time_unix_nano, b.duration_nano))
            if [k for k, _ in pk] != [k for k, _ in by]:
                self.error('%s: network delta %s: the packets and bytes profiles do not have the '
                           'same samples (stacks, attributes) in the same order' % (where, delta_id))
            flows = {}
            leaves = {}
            for (key, v) in pk:
                f = flows.setdefault(key[0], [0, 0])
                f[0] += v
            for (key, v) in by:
                f = flows.setdefault(key[0], [0, 0])
                f[1] += v
                if key[1]:
                    leaves[key[1][-1]] = leaves.get(key[1][-1], 0) + v
            out.append((delta_id, {
                'kind': 'net', 'samples': 0, 'packets': sum(v for _, v in pk),
                'bytes': sum(v for _, v in by), 'flows': flows, 'time_nanos': a.time_unix_nano,
                'duration_nanos': a.duration_nano, 'leaves': leaves, 'period': a.period}))
        return out

    def otlp_net_profile(self, p, d, where):
        """[((flow key, frames root first, attributes), value)] of one OTLP
        network Profile (a single value per sample)."""
        st = d.string_table
        if p.duration_nano <= 0:
            self.error('%s: network profile duration_nano 0' % where)
        problems = set()
        out = []
        for s in p.samples:
            if not (0 < s.stack_index < len(d.stack_table)):
                problems.add('stack_index %d out of range' % s.stack_index)
                continue
            if len(s.values) != 1:
                problems.add('%d values for one sample type' % len(s.values))
                continue
            labels = {}
            for a in s.attribute_indices:
                if not (0 < a < len(d.attribute_table)):
                    problems.add('attribute index %d out of range' % a)
                    continue
                kv = d.attribute_table[a]
                key = st[kv.key_strindex]
                which = kv.value.WhichOneof('value')
                if which == 'string_value':
                    labels[key] = kv.value.string_value
                elif which == 'int_value':
                    labels[key] = kv.value.int_value
                else:
                    problems.add('attribute %s holds %s' % (key, which))
                if key in ('port', 'cgroup_id') and which != 'int_value':
                    problems.add('attribute %s is %s, want int_value' % (key, which))
                if key in ('iface', 'direction', 'proto', 'family') and which != 'string_value':
                    problems.add('attribute %s is %s, want string_value' % (key, which))
            frames = []
            for li in d.stack_table[s.stack_index].location_indices:
                if not (0 < li < len(d.location_table)):
                    problems.add('location index %d out of range' % li)
                    frames.append('?')
                    continue
                loc = d.location_table[li]
                fi = loc.lines[0].function_index if loc.lines else 0
                if not (0 < fi < len(d.function_table)):
                    problems.add('function index %d out of range' % fi)
                    frames.append('?')
                    continue
                frames.append(st[d.function_table[fi].name_strindex])
            frames.reverse()  # root first
            self.check_net_sample(frames, labels, problems)
            if s.values[0] < 0:
                problems.add('negative value %d' % s.values[0])
            key = (net_flow_key(labels, frames), tuple(frames),
                   tuple(sorted((k, str(v)) for k, v in labels.items())))
            out.append((key, s.values[0]))
        for msg in sorted(problems):
            self.error('%s: network profile: %s' % (where, msg))
        return out

    def otlp_offcpu(self, p, d, where):
        """An off-CPU profile (agent --off-cpu): nanoseconds under each function;
        no period type, as the OTel eBPF profiler's (Pyroscope's OTLP intake
        names off_cpu:nanoseconds:: __name__=off_cpu)."""
        st = d.string_table
        if p.HasField('period_type') and (st[p.period_type.type_strindex] or
                                          st[p.period_type.unit_strindex]):
            self.error('%s: off-CPU profile with period type %s/%s' %
                       (where, st[p.period_type.type_strindex],
                        st[p.period_type.unit_strindex]))
        under, total = {}, 0
        for s in p.samples:
            if len(s.values) != 1 or not (0 < s.stack_index < len(d.stack_table)):
                self.error('%s: off-CPU sample with %d values, stack %d' %
                           (where, len(s.values), s.stack_index))
                continue
            total += s.values[0]
            names = set()
            for li in d.stack_table[s.stack_index].location_indices:
                if 0 < li < len(d.location_table):
                    for line in d.location_table[li].lines:
                        if 0 < line.function_index < len(d.function_table):
                            names.add(st[d.function_table[line.function_index].name_strindex])
            for n in names:
                under[n] = under.get(n, 0) + s.values[0]
        return {'kind': 'off_cpu', 'samples': 0, 'off_ns': total, 'under': under,
                'time_nanos': p.time_unix_nano, 'duration_nanos': p.duration_nano,
                'leaves': {}, 'period': p.period}

    def otlp_profile(self, p, d, where):
        st = d.string_table
        if st[p.sample_type.type_strindex] != 'samples' or \
           st[p.sample_type.unit_strindex] != 'count':
            self.error('%s: sample_type %s/%s' % (where, st[p.sample_type.type_strindex],
                                                   st[p.sample_type.unit_strindex]))
        if p.duration_nano <= 0:
            self.error('%s: duration_nano 0' % where)
        total = 0
        leaves = {}
        for s in p.samples:
            if not (0 < s.stack_index < len(d.stack_table)):
                self.error('%s: stack_index %d out of range' % (where, s.stack_index))
                continue
            for a in s.attribute_indices:
                if not (0 < a < len(d.attribute_table)):
                    self.error('%s: attribute index %d out of range' % (where, a))
            if len(s.values) != 1:
                self.error('%s: %d values for one sample type' % (where, len(s.values)))
                continue
            total += s.values[0]
            stack = d.stack_table[s.stack_index]
            for li in stack.location_indices:
                if not (0 < li < len(d.location_table)):
                    self.error('%s: location index %d out of range' % (where, li))
            if stack.location_indices:
                loc = d.location_table[stack.location_indices[0]]
                if loc.lines:
                    fi = loc.lines[0].function_index
                    if not (0 < fi < len(d.function_table)):
                        self.error('%s: function index %d out of range' % (where, fi))
                        continue
                    name = st[d.function_table[fi].name_strindex]
                    leaves[name] = leaves.get(name, 0) + s.values[0]
        return {'samples': total, 'time_nanos': p.time_unix_nano,
                'duration_nanos': p.duration_nano, 'leaves': leaves, 'period': p.period}
