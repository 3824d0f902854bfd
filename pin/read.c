// SPDX-License-Identifier: GPL-2.0
/* pin/: one read of the tables, from their fds: per-CPU sums, the flow cache merged into the flow table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include "xdpflow.h"

/* Flow-table entries per batch lookup: about 750 KiB of keys and values. */
#define FLOW_BATCH 8192
/* Per-CPU values are read in batches of at most this many bytes. */
#define PERCPU_BATCH_BYTES (2u << 20)

#define ROUND8(x) (((x) + 7) & ~(size_t)7)

void flow_counters_merge(struct xdpflow_flow_counters *a, const struct xdpflow_flow_counters *b)
{
	if (!b->packets)
		return;
	if (!a->packets || b->first_seen < a->first_seen)
		a->first_seen = b->first_seen;
	if (!a->packets || b->last_seen > a->last_seen)
		a->last_seen = b->last_seen;
	a->packets += b->packets;
	a->bytes += b->bytes;
	a->ip_bytes += b->ip_bytes;
	a->tcp_flags |= b->tcp_flags;
}

struct iface_counts *iface_set_get(struct iface_set *s, __u32 ifindex)
{
	struct iface_counts *v;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].ifindex == ifindex)
			return &s->v[i];
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;

		v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		s->v = v;
		s->cap = cap;
	}
	v = &s->v[s->n++];
	memset(v, 0, sizeof(*v));
	v->ifindex = ifindex;
	return v;
}

void iface_set_free(struct iface_set *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

struct xdpflow_counter iface_counts_ip(const struct iface_counts *ic)
{
	struct xdpflow_counter ip = {};
	int f, p;

	for (f = 0; f < 2; f++)
		for (p = 0; p < 256; p++)
			counter_add(&ip, &ic->proto[f][p]);
	return ip;
}

struct xdpflow_counter iface_counts_total(const struct iface_counts *ic)
{
	struct xdpflow_counter total = iface_counts_ip(ic);

	counter_add(&total, &ic->non_ip);
	counter_add(&total, &ic->malformed);
	return total;
}

/*
 * One batch lookup; *count in: room, out: entries read.  Returns 1 when
 * this was the last batch, 0 when more follow, -errno on failure.
 */
static int lookup_batch(int fd, void *token, bool first, void *keys, void *values, __u32 *count)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	int err;

	err = bpf_map_lookup_batch(fd, first ? NULL : token, token, keys, values, count, &opts);
	if (!err)
		return 0;
	if (errno == ENOENT)
		return 1;
	*count = 0;
	return -errno;
}

/* One entry of a per-CPU array as a batch read it: the value of every CPU. */
struct percpu_entry {
	int fd; /* the array, to read the entry again */
	__u32 key;
	const unsigned char *values; /* ncpus values, stride bytes apart */
	size_t stride; /* the value's size rounded up to 8 bytes */
	int ncpus;
};

static inline const void *percpu_value(const struct percpu_entry *e, int cpu)
{
	return e->values + (size_t)cpu * e->stride;
}

/* Call fn for every entry of a per-CPU array, reading a batch of entries at a time. */
static int walk_percpu_array(int fd, size_t value_size, int ncpus,
			     int (*fn)(const struct percpu_entry *e, void *ctx), void *ctx)
{
	struct percpu_entry e = { .fd = fd, .stride = ROUND8(value_size), .ncpus = ncpus };
	size_t per_entry = e.stride * ncpus;
	__u32 room = PERCPU_BATCH_BYTES / per_entry, count, i;
	__u64 token = 0;
	unsigned char *values;
	__u32 *keys;
	bool first = true;
	int ret = 0, last = 0;

	if (!room)
		room = 1;
	/*
	 * Zeroed, although the kernel fills what is read: memcheck does not
	 * know BPF_MAP_LOOKUP_BATCH and would take its results for
	 * uninitialised memory (tests/test-valgrind.sh).
	 */
	keys = calloc(room, sizeof(*keys));
	values = calloc(room, per_entry);
	if (!keys || !values) {
		ret = -ENOMEM;
		goto out;
	}
	while (!last) {
		count = room;
		last = lookup_batch(fd, &token, first, keys, values, &count);
		if (last < 0) {
			ret = last;
			break;
		}
		first = false;
		for (i = 0; i < count && !ret; i++) {
			e.key = keys[i];
			e.values = values + (size_t)i * per_entry;
			ret = fn(&e, ctx);
		}
		if (ret)
			break;
	}
out:
	free(keys);
	free(values);
	return ret;
}

static int add_stats_slot(const struct percpu_entry *e, void *ctx)
{
	struct iface_set *out = ctx;
	const struct xdpflow_iface_stats *v;
	struct iface_counts *ic;
	int cpu, f, p;

	for (cpu = 0; cpu < e->ncpus; cpu++) {
		v = percpu_value(e, cpu);
		/* Each CPU's copy of the slot names its own owner. */
		if (!v->ifindex)
			continue;
		ic = iface_set_get(out, v->ifindex);
		if (!ic)
			return -ENOMEM;
		counter_add(&ic->non_ip, &v->non_ip);
		counter_add(&ic->malformed, &v->malformed);
		counter_add(&ic->unrecorded, &v->unrecorded);
		ic->unrecorded_flows += v->unrecorded_flows;
		for (f = 0; f < 2; f++)
			for (p = 0; p < 256; p++)
				counter_add(&ic->proto[f][p], &v->proto[f][p]);
	}
	return 0;
}

int snapshot_read_stats(int stats_fd, int ncpus, struct iface_set *out)
{
	return walk_percpu_array(stats_fd, sizeof(struct xdpflow_iface_stats), ncpus,
				 add_stats_slot, out);
}

/*
 * One slot of the flow cache on every CPU.  The one place a cache entry is
 * read: whatever a live read must do about an entry the program rewrites
 * meanwhile belongs here (slot->fd and slot->key read the slot again).
 */
static int add_cache_slot(const struct percpu_entry *slot, void *ctx)
{
	struct flow_cache *out = ctx;
	const struct xdpflow_flowcache_entry *e;
	struct cached_flow *cf;
	int cpu;

	for (cpu = 0; cpu < slot->ncpus; cpu++) {
		e = percpu_value(slot, cpu);
		if (!e->counters.packets)
			continue; /* empty slot */
		cf = keyhash_put(&out->h, &e->key, NULL);
		if (!cf)
			return -ENOMEM;
		flow_counters_merge(&cf->c, &e->counters);
		out->entries++;
	}
	return 0;
}

int snapshot_read_flowcache(int fcache_fd, int ncpus, struct flow_cache *out)
{
	int err;

	out->entries = 0;
	err = keyhash_init(&out->h, sizeof(struct xdpflow_flow_key), sizeof(struct cached_flow),
			   1024);
	if (err)
		return err;
	return walk_percpu_array(fcache_fd, sizeof(struct xdpflow_flowcache_entry), ncpus,
				 add_cache_slot, out);
}

int snapshot_add_cache_to_ifaces(const struct flow_cache *cache, struct iface_set *ifaces)
{
	const struct xdpflow_flow_key *k;
	const struct cached_flow *cf;
	struct iface_counts *ic;
	size_t pos = 0;

	while ((cf = keyhash_next(&cache->h, &pos, (const void **)&k))) {
		ic = iface_set_get(ifaces, k->ifindex);
		if (!ic)
			return -ENOMEM;
		ic->proto[k->family == 6][k->proto].packets += cf->c.packets;
		ic->proto[k->family == 6][k->proto].bytes += cf->c.bytes;
	}
	return 0;
}

int snapshot_read_clock(int clock_fd, int ncpus, struct flow_clock *clk)
{
	struct xdpflow_clock_anchor *a;
	int64_t mono, real;
	__u32 zero = 0;
	int err = 0;

	_Static_assert(sizeof(*a) % 8 == 0, "per-CPU values are 8-byte aligned");
	memset(clk, 0, sizeof(*clk));
	a = calloc(ncpus, sizeof(*a));
	if (!a)
		return -ENOMEM;
	if (bpf_map_lookup_elem(clock_fd, &zero, a)) {
		err = -errno;
		goto out;
	}
	/* Back to back, so the difference between the two clocks is exact enough. */
	mono = clock_now_ns(CLOCK_MONOTONIC);
	real = clock_now_ns(CLOCK_REALTIME);
	err = flow_clock_from_anchors(a, ncpus, kernel_config_hz(), mono, real, clk);
out:
	free(a);
	return err;
}

static int cmp_ifindex(const void *a, const void *b)
{
	const struct iface_counts *x = a, *y = b;

	return x->ifindex < y->ifindex ? -1 : x->ifindex > y->ifindex;
}

static int flow_capacity(int flows_fd, __u32 *capacity)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(flows_fd, &info, &len))
		return -errno;
	*capacity = info.max_entries;
	return 0;
}

int snapshot_read(const struct snapshot_tables *t, int clock_fd, int ncpus, struct snapshot *s)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->ncpus = ncpus;
	/* The read order (cache, stats, then the table): see xdpflow.h. */
	err = snapshot_read_flowcache(t->fcache_fd, ncpus, &s->cache);
	if (!err)
		err = snapshot_read_stats(t->stats_fd, ncpus, &s->ifaces);
	if (!err)
		err = flow_capacity(t->flows_fd, &s->flow_capacity);
	if (!err && clock_fd >= 0)
		err = snapshot_read_clock(clock_fd, ncpus, &s->clock);
	if (!err)
		err = snapshot_add_cache_to_ifaces(&s->cache, &s->ifaces);
	if (err) {
		snapshot_free(s);
		return err;
	}
	if (s->ifaces.n)
		qsort(s->ifaces.v, s->ifaces.n, sizeof(*s->ifaces.v), cmp_ifindex);
	return 0;
}

void snapshot_free(struct snapshot *s)
{
	iface_set_free(&s->ifaces);
	keyhash_free(&s->cache.h);
}

const struct iface_counts *snapshot_iface(const struct snapshot *s, __u32 ifindex)
{
	size_t i;

	for (i = 0; i < s->ifaces.n; i++)
		if (s->ifaces.v[i].ifindex == ifindex)
			return &s->ifaces.v[i];
	return NULL;
}

struct flow_batch {
	struct xdpflow_flow_key *keys;
	struct xdpflow_flow_counters *values;
};

static int alloc_flow_batch(struct flow_batch *b)
{
	/* Zeroed for memcheck, as in walk_percpu_array(). */
	b->keys = calloc(FLOW_BATCH, sizeof(*b->keys));
	b->values = calloc(FLOW_BATCH, sizeof(*b->values));
	if (b->keys && b->values)
		return 0;
	free(b->keys);
	free(b->values);
	return -ENOMEM;
}

static void free_flow_batch(struct flow_batch *b)
{
	free(b->keys);
	free(b->values);
}

/* Table entries, merged with their cache entries (marked merged). */
static int walk_table(int flows_fd, struct flow_cache *cache, flow_fn fn, void *ctx,
		      __u64 *entries)
{
	struct flow_record rec = {};
	struct cached_flow *cf;
	struct flow_batch b;
	__u64 token = 0;
	bool first = true;
	int ret = 0, last = 0;
	__u32 count, i;

	_Static_assert(sizeof(struct xdpflow_flow_key) == 44, "keys are packed in batches");
	if (alloc_flow_batch(&b))
		return -ENOMEM;
	while (!last && !ret) {
		count = FLOW_BATCH;
		last = lookup_batch(flows_fd, &token, first, b.keys, b.values, &count);
		if (last < 0) {
			ret = last;
			break;
		}
		first = false;
		*entries += count;
		if (!fn)
			continue;
		for (i = 0; i < count && !ret; i++) {
			rec.key = b.keys[i];
			rec.c = b.values[i];
			cf = cache ? keyhash_get(&cache->h, &rec.key) : NULL;
			if (cf) {
				flow_counters_merge(&rec.c, &cf->c);
				cf->merged = true;
			}
			ret = fn(&rec, ctx);
		}
	}
	free_flow_batch(&b);
	return ret;
}

int snapshot_walk_flows(int flows_fd, struct flow_cache *cache, flow_fn fn, void *ctx,
			__u64 *table_entries)
{
	struct flow_record rec = {};
	struct cached_flow *cf;
	const void *key;
	__u64 entries = 0;
	size_t pos = 0;
	int ret;

	while ((cf = keyhash_next(&cache->h, &pos, NULL)))
		cf->merged = false;
	ret = walk_table(flows_fd, cache, fn, ctx, &entries);
	if (table_entries)
		*table_entries = entries;
	if (ret)
		return ret;
	/* Flows that never left a CPU's cache have no table entry yet. */
	pos = 0;
	while ((cf = keyhash_next(&cache->h, &pos, &key))) {
		if (cf->merged)
			continue;
		memcpy(&rec.key, key, sizeof(rec.key));
		rec.c = cf->c;
		ret = fn(&rec, ctx);
		if (ret)
			return ret;
	}
	return 0;
}

int snapshot_count_flows(int flows_fd, __u64 *entries)
{
	*entries = 0;
	return walk_table(flows_fd, NULL, NULL, NULL, entries);
}
