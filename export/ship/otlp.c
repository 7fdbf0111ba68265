// SPDX-License-Identifier: MIT
/* pprof -> OTLP profiles. Every message is allocated from one arena freed
 * after packing; strings are borrowed from the decoded pprofs and the deltas,
 * which outlive the request. Strings and attributes are interned across the
 * whole request; mappings, functions and locations are appended per profile
 * (their pprof ids are per profile), and each pprof sample gets its own stack. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/ship/backend.h"
#include "base/compress.h"
#include "base/hash.h"
#include "base/hashmap.h"
#include "base/vec.h"
#include "export/ship/otlp.h"
#include "export/pprof.h"
#include "proto/otlp_profiles.pb-c.h"

#define BUILD_ID_ATTR "process.executable.build_id.gnu"

struct arena {
	void **p;
	size_t n, cap;
};

static void *arena_alloc(struct arena *a, size_t size)
{
	void *m;

	if (VEC_RESERVE(a->p, a->n, a->cap, 1))
		return NULL;
	m = calloc(1, size ? size : 1);
	if (m)
		a->p[a->n++] = m;
	return m;
}

static void arena_free(struct arena *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->p[i]);
	free(a->p);
}

/* A growable array of pointers (a protobuf-c repeated message field). */
struct vec {
	void **v;
	size_t n, cap;
};

static int vec_push(struct vec *v, void *item)
{
	if (VEC_RESERVE(v->v, v->n, v->cap, 1))
		return -ENOMEM;
	v->v[v->n++] = item;
	return 0;
}

/* Attribute identity: key, kind (string or int), value, unit. */
struct attr_key {
	int32_t key, unit;
	int is_str;
	int64_t num;
	int32_t str;
};

struct dict {
	struct arena a;
	struct vec mappings, locations, functions, links, strings, attrs, stacks;
	struct hashmap str_index;	/* on strings */
	struct attr_key *attr_keys;	/* parallel to attrs */
	struct hashmap attr_index;	/* on attr_keys[1..] (0 is the zero value) */
	size_t attr_keys_cap;
};

static bool str_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct dict *d = ctx;

	return strcmp(d->strings.v[idx], key) == 0;
}

/* Index of s in the string table (added if new); -ENOMEM. */
static int32_t intern(struct dict *d, const char *s)
{
	uint32_t h, idx;

	if (!s)
		s = "";
	h = hash__fold(hash__fnv1a_str(s));
	if (hashmap__find(&d->str_index, h, s, &idx))
		return idx;
	if (hashmap__reserve(&d->str_index, 1) || vec_push(&d->strings, (void *)s))
		return -ENOMEM;
	hashmap__add(&d->str_index, h, d->strings.n - 1);
	return d->strings.n - 1;
}

static uint64_t hash_attr(const struct attr_key *k)
{
	uint64_t h = (uint64_t)k->key * 0x9e3779b97f4a7c15ULL;

	h ^= (uint64_t)(k->is_str ? k->str : k->num) * 0xc2b2ae3d27d4eb4fULL;
	h ^= (uint64_t)k->unit * 0x165667b19e3779f9ULL + k->is_str;
	return h ^ (h >> 31);
}

static bool attr_eq(const struct attr_key *a, const struct attr_key *b)
{
	return a->key == b->key && a->unit == b->unit && a->is_str == b->is_str &&
	       (a->is_str ? a->str == b->str : a->num == b->num);
}

static bool attr_idx_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct dict *d = ctx;

	return attr_eq(&d->attr_keys[idx], key);
}

/* Index of the attribute in the attribute table (added if new); -ENOMEM. */
static int32_t attribute(struct dict *d, const struct attr_key *k)
{
	Otlp__KeyValueAndUnit *kv;
	Otlp__AnyValue *v;
	uint32_t h = hash__fold(hash_attr(k)), idx;

	if (hashmap__find(&d->attr_index, h, k, &idx))
		return idx;
	if (hashmap__reserve(&d->attr_index, 1))
		return -ENOMEM;
	if (d->attrs.n >= d->attr_keys_cap) {
		size_t cap = d->attr_keys_cap ? d->attr_keys_cap * 2 : 256;
		struct attr_key *keys = realloc(d->attr_keys, cap * sizeof(*keys));

		if (!keys)
			return -ENOMEM;
		d->attr_keys = keys;
		d->attr_keys_cap = cap;
	}
	kv = arena_alloc(&d->a, sizeof(*kv));
	v = arena_alloc(&d->a, sizeof(*v));
	if (!kv || !v)
		return -ENOMEM;
	otlp__key_value_and_unit__init(kv);
	otlp__any_value__init(v);
	kv->key_strindex = k->key;
	kv->unit_strindex = k->unit;
	if (k->is_str) {
		v->value_case = OTLP__ANY_VALUE__VALUE_STRING_VALUE;
		v->string_value = d->strings.v[k->str];
	} else {
		v->value_case = OTLP__ANY_VALUE__VALUE_INT_VALUE;
		v->int_value = k->num;
	}
	kv->value = v;
	d->attr_keys[d->attrs.n] = *k;
	if (vec_push(&d->attrs, kv))
		return -ENOMEM;
	hashmap__add(&d->attr_index, h, d->attrs.n - 1);
	return d->attrs.n - 1;
}

/* Slot 0 of every table: the zero value. */
static int dict_init(struct dict *d)
{
	hashmap__init(&d->str_index, str_eq, d);
	hashmap__init(&d->attr_index, attr_idx_eq, d);
	Otlp__Mapping *m = arena_alloc(&d->a, sizeof(*m));
	Otlp__Location *l = arena_alloc(&d->a, sizeof(*l));
	Otlp__Function *f = arena_alloc(&d->a, sizeof(*f));
	Otlp__Link *k = arena_alloc(&d->a, sizeof(*k));
	Otlp__KeyValueAndUnit *a = arena_alloc(&d->a, sizeof(*a));
	Otlp__Stack *s = arena_alloc(&d->a, sizeof(*s));

	if (!m || !l || !f || !k || !a || !s)
		return -ENOMEM;
	otlp__mapping__init(m);
	otlp__location__init(l);
	otlp__function__init(f);
	otlp__link__init(k);
	otlp__key_value_and_unit__init(a);
	otlp__stack__init(s);
	if (d->attrs.n >= d->attr_keys_cap) {
		d->attr_keys = calloc(256, sizeof(*d->attr_keys));
		if (!d->attr_keys)
			return -ENOMEM;
		d->attr_keys_cap = 256;
	}
	if (vec_push(&d->mappings, m) || vec_push(&d->locations, l) ||
	    vec_push(&d->functions, f) || vec_push(&d->links, k) || vec_push(&d->attrs, a) ||
	    vec_push(&d->stacks, s) || intern(d, "") != 0)
		return -ENOMEM;
	return 0;
}

static void dict_release(struct dict *d)
{
	arena_free(&d->a);
	free(d->mappings.v);
	free(d->locations.v);
	free(d->functions.v);
	free(d->links.v);
	free(d->strings.v);
	free(d->attrs.v);
	free(d->stacks.v);
	hashmap__release(&d->str_index);
	free(d->attr_keys);
	hashmap__release(&d->attr_index);
}

/* pprof id -> dictionary index, for one profile. pprof ids are unique and
 * non-zero (pprof__decode checks), usually dense. */
struct id_map {
	uint64_t *ids;
	int32_t *idx;
	size_t n, cap;		/* cap: the number of messages, fixed at init */
	struct hashmap index;	/* on ids */
};

static bool id_eq(const void *ctx, uint32_t i, const void *key)
{
	return ((const struct id_map *)ctx)->ids[i] == *(const uint64_t *)key;
}

static uint32_t id_hash(uint64_t id)
{
	return hash__fold(id * 0x9e3779b97f4a7c15ULL);
}

/* Room for n ids (m must not move until id_map__release()). */
static int id_map__init(struct id_map *m, size_t n)
{
	memset(m, 0, sizeof(*m));
	hashmap__init(&m->index, id_eq, m);
	m->cap = n ? n : 1;
	m->ids = calloc(m->cap, sizeof(*m->ids));
	m->idx = calloc(m->cap, sizeof(*m->idx));
	if (!m->ids || !m->idx || hashmap__reserve(&m->index, m->cap))
		return -ENOMEM;
	return 0;
}

static void id_map__release(struct id_map *m)
{
	free(m->ids);
	free(m->idx);
	hashmap__release(&m->index);
}

static void id_map__put(struct id_map *m, uint64_t id, int32_t idx)
{
	uint32_t i;

	if (hashmap__find(&m->index, id_hash(id), &id, &i)) {
		m->idx[i] = idx;
		return;
	}
	if (m->n >= m->cap)	/* more ids than messages: cannot happen */
		return;
	m->ids[m->n] = id;
	m->idx[m->n] = idx;
	hashmap__add(&m->index, id_hash(id), (uint32_t)m->n++);
}

static int32_t id_map__get(const struct id_map *m, uint64_t id)
{
	uint32_t i;

	if (!id || !hashmap__find(&m->index, id_hash(id), &id, &i))
		return 0;
	return m->idx[i];
}

struct profile_maps {
	struct id_map mappings, functions, locations;
};

static int add_mappings(struct dict *d, const Perftools__Profiles__Profile *p,
			struct id_map *map)
{
	for (size_t i = 0; i < p->n_mapping; i++) {
		const Perftools__Profiles__Mapping *pm = p->mapping[i];
		Otlp__Mapping *m = arena_alloc(&d->a, sizeof(*m));
		const char *bid = pprof__str(p, pm->build_id);
		int32_t fn = intern(d, pprof__str(p, pm->filename));

		if (!m || fn < 0)
			return -ENOMEM;
		otlp__mapping__init(m);
		m->memory_start = pm->memory_start;
		m->memory_limit = pm->memory_limit;
		m->file_offset = pm->file_offset;
		m->filename_strindex = fn;
		if (*bid) {
			struct attr_key k = { .key = intern(d, BUILD_ID_ATTR), .is_str = 1,
					      .str = intern(d, bid) };
			int32_t a;

			if (k.key < 0 || k.str < 0 || (a = attribute(d, &k)) < 0)
				return -ENOMEM;
			m->attribute_indices = arena_alloc(&d->a, sizeof(int32_t));
			if (!m->attribute_indices)
				return -ENOMEM;
			m->attribute_indices[0] = a;
			m->n_attribute_indices = 1;
		}
		if (vec_push(&d->mappings, m))
			return -ENOMEM;
		id_map__put(map, pm->id, d->mappings.n - 1);
	}
	return 0;
}

static int add_functions(struct dict *d, const Perftools__Profiles__Profile *p,
			 struct id_map *map)
{
	for (size_t i = 0; i < p->n_function; i++) {
		const Perftools__Profiles__Function *pf = p->function[i];
		Otlp__Function *f = arena_alloc(&d->a, sizeof(*f));

		if (!f)
			return -ENOMEM;
		otlp__function__init(f);
		f->name_strindex = intern(d, pprof__str(p, pf->name));
		f->system_name_strindex = intern(d, pprof__str(p, pf->system_name));
		f->filename_strindex = intern(d, pprof__str(p, pf->filename));
		f->start_line = pf->start_line;
		if (f->name_strindex < 0 || f->system_name_strindex < 0 ||
		    f->filename_strindex < 0 || vec_push(&d->functions, f))
			return -ENOMEM;
		id_map__put(map, pf->id, d->functions.n - 1);
	}
	return 0;
}

static int add_locations(struct dict *d, const Perftools__Profiles__Profile *p,
			 struct profile_maps *pm)
{
	for (size_t i = 0; i < p->n_location; i++) {
		const Perftools__Profiles__Location *pl = p->location[i];
		Otlp__Location *l = arena_alloc(&d->a, sizeof(*l));

		if (!l)
			return -ENOMEM;
		otlp__location__init(l);
		l->mapping_index = id_map__get(&pm->mappings, pl->mapping_id);
		l->address = pl->address;
		if (pl->n_line) {
			l->lines = arena_alloc(&d->a, pl->n_line * sizeof(*l->lines));
			if (!l->lines)
				return -ENOMEM;
			l->n_lines = pl->n_line;
		}
		for (size_t j = 0; j < pl->n_line; j++) {
			Otlp__Line *line = arena_alloc(&d->a, sizeof(*line));

			if (!line)
				return -ENOMEM;
			otlp__line__init(line);
			line->function_index = id_map__get(&pm->functions, pl->line[j]->function_id);
			line->line = pl->line[j]->line;
			line->column = pl->line[j]->column;
			l->lines[j] = line;
		}
		if (vec_push(&d->locations, l))
			return -ENOMEM;
		id_map__put(&pm->locations, pl->id, d->locations.n - 1);
	}
	return 0;
}

static int add_sample(struct dict *d, const Perftools__Profiles__Profile *p,
		      const Perftools__Profiles__Sample *ps, size_t vi, struct profile_maps *pm,
		      Otlp__Sample *s)
{
	Otlp__Stack *st = arena_alloc(&d->a, sizeof(*st));

	if (!st)
		return -ENOMEM;
	otlp__stack__init(st);
	if (ps->n_location_id) {
		st->location_indices = arena_alloc(&d->a, ps->n_location_id * sizeof(int32_t));
		if (!st->location_indices)
			return -ENOMEM;
		st->n_location_indices = ps->n_location_id;
	}
	for (size_t j = 0; j < ps->n_location_id; j++)
		st->location_indices[j] = id_map__get(&pm->locations, ps->location_id[j]);
	if (vec_push(&d->stacks, st))
		return -ENOMEM;

	otlp__sample__init(s);
	s->stack_index = d->stacks.n - 1;
	s->values = arena_alloc(&d->a, sizeof(int64_t));
	if (!s->values)
		return -ENOMEM;
	s->values[0] = vi < ps->n_value ? ps->value[vi] : 0;
	s->n_values = 1;
	if (ps->n_label) {
		s->attribute_indices = arena_alloc(&d->a, ps->n_label * sizeof(int32_t));
		if (!s->attribute_indices)
			return -ENOMEM;
	}
	for (size_t j = 0; j < ps->n_label; j++) {
		const Perftools__Profiles__Label *pl = ps->label[j];
		const char *key = pprof__str(p, pl->key);
		struct attr_key k = {
			/* cprof's numeric pid label is the semantic convention's process.pid */
			.key = intern(d, !strcmp(key, "pid") ? "process.pid" : key),
			.unit = pl->num_unit ? intern(d, pprof__str(p, pl->num_unit)) : 0,
			.is_str = pl->str != 0,
			.num = pl->num,
			.str = pl->str ? intern(d, pprof__str(p, pl->str)) : 0,
		};
		int32_t a;

		if (k.key < 0 || k.unit < 0 || k.str < 0 || (a = attribute(d, &k)) < 0)
			return -ENOMEM;
		s->attribute_indices[s->n_attribute_indices++] = a;
	}
	return 0;
}

static int add_value_type(struct dict *d, Otlp__ValueType **ret, const char *type,
			  const char *unit)
{
	Otlp__ValueType *vt = arena_alloc(&d->a, sizeof(*vt));

	if (!vt)
		return -ENOMEM;
	otlp__value_type__init(vt);
	vt->type_strindex = intern(d, type);
	vt->unit_strindex = intern(d, unit);
	if (vt->type_strindex < 0 || vt->unit_strindex < 0)
		return -ENOMEM;
	*ret = vt;
	return 0;
}

static int add_resource(struct dict *d, const struct delta *dl, Otlp__ResourceProfiles *rp)
{
	Otlp__Resource *r = arena_alloc(&d->a, sizeof(*r));

	if (!r)
		return -ENOMEM;
	otlp__resource__init(r);
	if (dl->nr_labels) {
		r->attributes = arena_alloc(&d->a, dl->nr_labels * sizeof(*r->attributes));
		if (!r->attributes)
			return -ENOMEM;
	}
	for (size_t i = 0; i < dl->nr_labels; i++) {
		Otlp__KeyValue *kv;
		Otlp__AnyValue *v;

		/* a series name (the network profile's): OTLP says it by sample type */
		if (!strcmp(dl->labels[i].name, "__name__"))
			continue;
		kv = arena_alloc(&d->a, sizeof(*kv));
		v = arena_alloc(&d->a, sizeof(*v));
		if (!kv || !v)
			return -ENOMEM;
		otlp__key_value__init(kv);
		otlp__any_value__init(v);
		kv->key = (char *)otlp__attribute_name(dl->labels[i].name);
		v->value_case = OTLP__ANY_VALUE__VALUE_STRING_VALUE;
		v->string_value = dl->labels[i].value;
		kv->value = v;
		r->attributes[r->n_attributes++] = kv;
	}
	rp->resource = r;
	return 0;
}

/* The profile for sample type vi of p. Its id is the delta's, with the last
 * byte XORed with nth so that the profiles of one delta differ. */
static int add_typed_profile(struct dict *d, const struct delta *dl,
			     const Perftools__Profiles__Profile *p, struct profile_maps *pm,
			     size_t vi, size_t nth, Otlp__Profile *prof)
{
	const Perftools__Profiles__ValueType *vt = p->sample_type[vi];
	uint8_t *id = arena_alloc(&d->a, DELTA_ID_LEN);
	int err;

	otlp__profile__init(prof);
	if (!id || add_value_type(d, &prof->sample_type, pprof__str(p, vt->type),
				  pprof__str(p, vt->unit)))
		return -ENOMEM;
	if (p->period_type &&
	    add_value_type(d, &prof->period_type, pprof__str(p, p->period_type->type),
			   pprof__str(p, p->period_type->unit)))
		return -ENOMEM;
	prof->period = p->period;
	prof->time_unix_nano = p->time_nanos > 0 ? (uint64_t)p->time_nanos : 0;
	prof->duration_nano = p->duration_nanos > 0 ? (uint64_t)p->duration_nanos : 0;
	memcpy(id, dl->id, DELTA_ID_LEN);
	id[DELTA_ID_LEN - 1] ^= (uint8_t)nth;
	prof->profile_id.data = id;
	prof->profile_id.len = DELTA_ID_LEN;
	if (p->n_sample) {
		Otlp__Sample *samples = arena_alloc(&d->a, p->n_sample * sizeof(*samples));

		prof->samples = arena_alloc(&d->a, p->n_sample * sizeof(*prof->samples));
		if (!samples || !prof->samples)
			return -ENOMEM;
		for (size_t i = 0; i < p->n_sample; i++) {
			if ((err = add_sample(d, p, p->sample[i], vi, pm, &samples[i])))
				return err;
			prof->samples[i] = &samples[i];
		}
		prof->n_samples = p->n_sample;
	}
	return 0;
}

/* One delta -> one ResourceProfiles with one scope. OTLP has one sample type
 * per profile: a CPU delta ([samples, cpu]) becomes one profile of its
 * samples/count, as the OpenTelemetry profiler sends; a delta without a
 * samples type (the network profile's [packets, bytes]) one profile per type. */
static int add_profile(struct dict *d, const struct delta *dl,
		       const Perftools__Profiles__Profile *p, Otlp__InstrumentationScope *scope,
		       Otlp__ResourceProfiles *rp)
{
	int idx = pprof__sample_index(p, "samples");
	size_t n = idx >= 0 || !p->n_sample_type ? 1 : p->n_sample_type;
	Otlp__ScopeProfiles *sp = arena_alloc(&d->a, sizeof(*sp));
	Otlp__ScopeProfiles **spp = arena_alloc(&d->a, sizeof(*spp));
	Otlp__Profile *profs = arena_alloc(&d->a, n * sizeof(*profs));
	Otlp__Profile **profp = arena_alloc(&d->a, n * sizeof(*profp));
	struct profile_maps pm = {0};
	int err = -ENOMEM;

	if (!sp || !spp || !profs || !profp)
		return -ENOMEM;
	if (!p->n_sample_type)
		return -EBADMSG;
	otlp__resource_profiles__init(rp);
	otlp__scope_profiles__init(sp);
	if (id_map__init(&pm.mappings, p->n_mapping) || id_map__init(&pm.functions, p->n_function) ||
	    id_map__init(&pm.locations, p->n_location))
		goto out_release;
	if ((err = add_mappings(d, p, &pm.mappings)) || (err = add_functions(d, p, &pm.functions)) ||
	    (err = add_locations(d, p, &pm)))
		goto out_release;
	for (size_t i = 0; i < n; i++) {
		if ((err = add_typed_profile(d, dl, p, &pm, idx >= 0 ? (size_t)idx : i, i,
					     &profs[i])))
			goto out_release;
		profp[i] = &profs[i];
	}
	if ((err = add_resource(d, dl, rp)))
		goto out_release;
	sp->scope = scope;
	sp->profiles = profp;
	sp->n_profiles = n;
	*spp = sp;
	rp->scope_profiles = spp;
	rp->n_scope_profiles = 1;
	err = 0;
out_release:
	id_map__release(&pm.mappings);
	id_map__release(&pm.functions);
	id_map__release(&pm.locations);
	return err;
}

int otlp__encode(struct delta *const *deltas, size_t n, const char *scope_version,
		 uint8_t **ret_buf, size_t *ret_len)
{
	Otlp__ExportProfilesServiceRequest req = OTLP__EXPORT_PROFILES_SERVICE_REQUEST__INIT;
	Otlp__ProfilesDictionary dict_msg = OTLP__PROFILES_DICTIONARY__INIT;
	Otlp__InstrumentationScope scope = OTLP__INSTRUMENTATION_SCOPE__INIT;
	Perftools__Profiles__Profile **decoded = calloc(n ? n : 1, sizeof(*decoded));
	Otlp__ResourceProfiles *rps = calloc(n ? n : 1, sizeof(*rps));
	Otlp__ResourceProfiles **rpp = calloc(n ? n : 1, sizeof(*rpp));
	struct dict d = {0};
	uint8_t *out;
	size_t len;
	int err = -ENOMEM;

	if (!decoded || !rps || !rpp || dict_init(&d))
		goto out_free;
	scope.name = "cprof";
	scope.version = (char *)(scope_version ? scope_version : "");
	for (size_t i = 0; i < n; i++) {
		err = pprof__decode(deltas[i]->pprof, deltas[i]->pprof_len, &decoded[i]);
		if (err)
			goto out_free;
		if ((err = add_profile(&d, deltas[i], decoded[i], &scope, &rps[i])))
			goto out_free;
		rpp[i] = &rps[i];
	}
	dict_msg.mapping_table = (Otlp__Mapping **)d.mappings.v;
	dict_msg.n_mapping_table = d.mappings.n;
	dict_msg.location_table = (Otlp__Location **)d.locations.v;
	dict_msg.n_location_table = d.locations.n;
	dict_msg.function_table = (Otlp__Function **)d.functions.v;
	dict_msg.n_function_table = d.functions.n;
	dict_msg.link_table = (Otlp__Link **)d.links.v;
	dict_msg.n_link_table = d.links.n;
	dict_msg.string_table = (char **)d.strings.v;
	dict_msg.n_string_table = d.strings.n;
	dict_msg.attribute_table = (Otlp__KeyValueAndUnit **)d.attrs.v;
	dict_msg.n_attribute_table = d.attrs.n;
	dict_msg.stack_table = (Otlp__Stack **)d.stacks.v;
	dict_msg.n_stack_table = d.stacks.n;
	req.resource_profiles = rpp;
	req.n_resource_profiles = n;
	req.dictionary = &dict_msg;

	len = otlp__export_profiles_service_request__get_packed_size(&req);
	out = malloc(len ? len : 1);
	err = -ENOMEM;
	if (!out)
		goto out_free;
	otlp__export_profiles_service_request__pack(&req, out);
	*ret_buf = out;
	*ret_len = len;
	err = 0;
out_free:
	for (size_t i = 0; decoded && i < n; i++)
		pprof__free(decoded[i]);
	free(decoded);
	free(rps);
	free(rpp);
	dict_release(&d);
	return err;
}

int otlp__parse_response(const uint8_t *buf, size_t len, int64_t *ret_rejected, char *msg,
			 size_t msg_len)
{
	Otlp__ExportProfilesServiceResponse *r;

	if (msg && msg_len)
		msg[0] = '\0';
	if (len == 0) {
		*ret_rejected = 0;
		return 0;
	}
	r = otlp__export_profiles_service_response__unpack(NULL, len, buf);
	if (!r)
		return -EBADMSG;
	if (r->partial_success && r->partial_success->rejected_profiles < 0) {
		otlp__export_profiles_service_response__free_unpacked(r, NULL);
		return -EBADMSG;
	}
	*ret_rejected = r->partial_success ? r->partial_success->rejected_profiles : 0;
	if (r->partial_success && msg && msg_len)
		snprintf(msg, msg_len, "%s", r->partial_success->error_message);
	otlp__export_profiles_service_response__free_unpacked(r, NULL);
	return 0;
}

const char *otlp__attribute_name(const char *label)
{
	static const struct { const char *label, *attr; } names[] = {
		{ "service_name", "service.name" },
		{ "hostname", "host.name" },
		{ "container_id", "container.id" },
		{ "pod_uid", "k8s.pod.uid" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(label, names[i].label))
			return names[i].attr;
	return label;
}

/* ---- the backend table ------------------------------------------------------ */

static int encode(struct delta *const *deltas, size_t n, const struct backend_encode_opts *o,
		  uint8_t **ret_buf, size_t *ret_len)
{
	uint8_t *raw;
	size_t len;
	int err = otlp__encode(deltas, n, o->version, &raw, &len);

	if (err)
		return err;
	err = compress__zstd(raw, len, 3, ret_buf, ret_len);
	free(raw);
	return err;
}

/* Success is an ExportProfilesServiceResponse (protobuf, as the request);
 * its partial_success says how many profiles the collector refused. */
static void classify(const struct backend_reply *rp, struct exporter_result *r)
{
	char msg[200];

	if (!backend__http_ok(rp, r))
		return;
	if (!backend__content_type_is(rp->content_type, "application/x-protobuf") &&
	    (rp->content_type || rp->body_len)) {
		backend__bad_reply(rp, "not an OTLP protobuf reply", r);
		return;
	}
	if (otlp__parse_response(rp->body, rp->body_len, &r->rejected, msg, sizeof(msg))) {
		backend__bad_reply(rp, "the body is not an ExportProfilesServiceResponse", r);
		r->rejected = 0;
		return;
	}
	r->outcome = EXPORT_OK;
	r->reason = EXPORT_REASON_NONE;
	if (r->rejected > 0) {
		r->reason = EXPORT_REASON_PARTIAL;
		backend__sanitize((const uint8_t *)msg, strlen(msg), r->detail, sizeof(r->detail));
	}
}

static const char *const headers[] = {
	"Content-Type: application/x-protobuf", "Content-Encoding: zstd", NULL,
};

const struct backend_ops otlp_backend = {
	.scheme = "otlp",
	.kind = EXPORTER_OTLP,
	.default_port = 4318,
	.path = OTLP_PROFILES_PATH,
	.headers = headers,
	.encode = encode,
	.classify = classify,
};
