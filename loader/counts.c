// SPDX-License-Identifier: GPL-2.0
/* loader/: reading the pinned counters, the per-CPU flow cache merged into what the tables hold. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "counts.h"

#define BATCH_ENTRIES 4096

/* A per-CPU map value is copied out once per possible CPU, each rounded up to 8 bytes. */
static size_t percpu_stride(size_t size)
{
	return (size + 7) & ~(size_t)7;
}

struct iface_table {
	struct iface_counts *v;
	size_t n, cap;
};

static struct iface_counts *iface_slot(struct iface_table *t, __u32 ifindex)
{
	struct iface_counts *grown;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->v[i].ifindex == ifindex)
			return &t->v[i];
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 8;
		grown = realloc(t->v, t->cap * sizeof(*t->v));
		if (!grown)
			return NULL;
		t->v = grown;
	}
	memset(&t->v[t->n], 0, sizeof(t->v[0]));
	t->v[t->n].ifindex = ifindex;
	return &t->v[t->n++];
}

static void add(struct xdpflow_counter *to, const struct xdpflow_counter *from)
{
	to->packets += from->packets;
	to->bytes += from->bytes;
}

static int add_stats(const struct pin_maps *pm, struct iface_table *t)
{
	size_t stride = percpu_stride(sizeof(struct xdpflow_iface_stats));
	const struct xdpflow_iface_stats *s;
	struct iface_counts *c;
	int fd, cpu, fam, p, err = 0;
	__u32 key;
	char *buf;

	fd = pin_open_current(pm, PIN_STATS);
	if (fd < 0)
		return fd;
	buf = malloc(stride * pm->ncpus);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (key = 0; key < XDPFLOW_STATS_ENTRIES && !err; key++) {
		if (bpf_map_lookup_elem(fd, &key, buf)) {
			err = -errno;
			break;
		}
		/* Slots are claimed per CPU: each CPU's copy names its own interface. */
		for (cpu = 0; cpu < pm->ncpus; cpu++) {
			s = (const void *)(buf + cpu * stride);
			if (!s->ifindex)
				continue;
			c = iface_slot(t, s->ifindex);
			if (!c) {
				err = -ENOMEM;
				break;
			}
			add(&c->non_ip, &s->non_ip);
			add(&c->malformed, &s->malformed);
			add(&c->unrecorded, &s->unrecorded);
			c->unrecorded_flows += s->unrecorded_flows;
			for (fam = 0; fam < 2; fam++)
				for (p = 0; p < 256; p++)
					add(&c->proto[fam][p], &s->proto[fam][p]);
		}
	}
	free(buf);
	close(fd);
	return err;
}

/* Calls fn for every non-empty flow-cache entry of every CPU. */
static int for_each_cached_flow(const struct pin_maps *pm,
				int (*fn)(const struct xdpflow_flow_key *,
					  const struct xdpflow_flow_counters *, void *),
				void *ctx)
{
	size_t stride = percpu_stride(sizeof(struct xdpflow_flowcache_entry));
	const struct xdpflow_flowcache_entry *e;
	int fd, cpu, err = 0;
	__u32 key;
	char *buf;

	fd = pin_open_current(pm, PIN_FLOWCACHE);
	if (fd < 0)
		return fd;
	buf = malloc(stride * pm->ncpus);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (key = 0; key < XDPFLOW_FLOWCACHE_SLOTS && !err; key++) {
		if (bpf_map_lookup_elem(fd, &key, buf)) {
			err = -errno;
			break;
		}
		for (cpu = 0; cpu < pm->ncpus && !err; cpu++) {
			e = (const void *)(buf + cpu * stride);
			if (e->counters.packets)
				err = fn(&e->key, &e->counters, ctx);
		}
	}
	free(buf);
	close(fd);
	return err;
}

/* Calls fn for every entry of the flow table (fn may be NULL: just count). */
static int for_each_table_flow(const struct pin_maps *pm,
			       int (*fn)(const struct xdpflow_flow_key *,
					 const struct xdpflow_flow_counters *, void *),
			       void *ctx, __u64 *entries)
{
	struct xdpflow_flow_key *keys;
	struct xdpflow_flow_counters *vals;
	__u64 in_batch = 0, out_batch = 0;
	bool first = true, done = false;
	__u32 i, n;
	int fd, err = 0;

	*entries = 0;
	fd = pin_open_current(pm, PIN_FLOWS);
	if (fd < 0)
		return fd;
	keys = calloc(BATCH_ENTRIES, sizeof(*keys));
	vals = calloc(BATCH_ENTRIES, sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	while (!done) {
		n = BATCH_ENTRIES;
		if (bpf_map_lookup_batch(fd, first ? NULL : &in_batch, &out_batch, keys, vals, &n,
					 NULL)) {
			/* ENOENT: this was the last batch (n may still be > 0). */
			if (errno != ENOENT) {
				err = -errno;
				goto out;
			}
			done = true;
		}
		for (i = 0; i < n && !err; i++)
			err = fn ? fn(&keys[i], &vals[i], ctx) : 0;
		if (err)
			goto out;
		*entries += n;
		in_batch = out_batch;
		first = false;
	}
out:
	free(keys);
	free(vals);
	close(fd);
	return err;
}

static int add_cached_protocols(const struct xdpflow_flow_key *k,
				const struct xdpflow_flow_counters *v, void *ctx)
{
	struct iface_counts *c = iface_slot(ctx, k->ifindex);

	if (!c)
		return -ENOMEM;
	c->proto[k->family == 6][k->proto].packets += v->packets;
	c->proto[k->family == 6][k->proto].bytes += v->bytes;
	return 0;
}

static int by_ifindex(const void *a, const void *b)
{
	const struct iface_counts *x = a, *y = b;

	return x->ifindex < y->ifindex ? -1 : x->ifindex > y->ifindex;
}

int counts_read_ifaces(const struct pin_maps *pm, struct iface_counts **out, size_t *count)
{
	struct iface_table t = {};
	int err;

	/* IP frames sit in the flow cache until evicted into proto[]: add both. */
	err = add_stats(pm, &t);
	if (!err)
		err = for_each_cached_flow(pm, add_cached_protocols, &t);
	if (err) {
		free(t.v);
		return err;
	}
	if (t.n)
		qsort(t.v, t.n, sizeof(*t.v), by_ifindex);
	*out = t.v;
	*count = t.n;
	return 0;
}

struct xdpflow_counter counts_total(const struct iface_counts *c)
{
	struct xdpflow_counter total = {};
	int fam, p;

	add(&total, &c->non_ip);
	add(&total, &c->malformed);
	for (fam = 0; fam < 2; fam++)
		for (p = 0; p < 256; p++)
			add(&total, &c->proto[fam][p]);
	return total;
}

int counts_flow_entries(const struct pin_maps *pm, __u64 *used)
{
	return for_each_table_flow(pm, NULL, NULL, used);
}

struct source_table {
	struct source_counts *v;
	size_t n, cap;
	__u32 ifindex;
};

static int collect_source(const struct xdpflow_flow_key *k, const struct xdpflow_flow_counters *v,
			  void *ctx)
{
	struct source_table *t = ctx;
	struct source_counts *grown, *s;

	if (t->ifindex && k->ifindex != t->ifindex)
		return 0;
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 256;
		grown = realloc(t->v, t->cap * sizeof(*t->v));
		if (!grown)
			return -ENOMEM;
		t->v = grown;
	}
	s = &t->v[t->n++];
	s->ifindex = k->ifindex;
	s->family = k->family;
	memcpy(s->addr, k->src, sizeof(s->addr));
	s->packets = v->packets;
	s->bytes = v->bytes;
	return 0;
}

static int by_source(const void *a, const void *b)
{
	const struct source_counts *x = a, *y = b;

	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

static int by_bytes(const void *a, const void *b)
{
	const struct source_counts *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return by_source(a, b);
}

int counts_read_sources(const struct pin_maps *pm, __u32 ifindex, struct source_counts **out,
			size_t *count)
{
	struct source_table t = { .ifindex = ifindex };
	size_t i, k;
	__u64 entries;
	int err;

	/* Sums per source are additive, so table and cache entries need no flow merge. */
	err = for_each_table_flow(pm, collect_source, &t, &entries);
	if (!err)
		err = for_each_cached_flow(pm, collect_source, &t);
	if (err) {
		free(t.v);
		return err;
	}
	if (t.n) {
		qsort(t.v, t.n, sizeof(*t.v), by_source);
		for (i = 1, k = 0; i < t.n; i++) {
			if (!by_source(&t.v[k], &t.v[i])) {
				t.v[k].packets += t.v[i].packets;
				t.v[k].bytes += t.v[i].bytes;
			} else {
				t.v[++k] = t.v[i];
			}
		}
		t.n = k + 1;
		qsort(t.v, t.n, sizeof(*t.v), by_bytes);
	}
	*out = t.v;
	*count = t.n;
	return 0;
}

const char *counts_proto_name(int family_index, int proto)
{
	switch (proto) {
	case 0:
		return family_index == XDPFLOW_FAMILY_IPV6 ? "HOPOPT" : "IP";
	case 1:
		return "ICMP";
	case 2:
		return "IGMP";
	case 4:
		return "IPIP";
	case 6:
		return "TCP";
	case 17:
		return "UDP";
	case 41:
		return "IPv6-encap";
	case 43:
		return "IPv6-Route";
	case 44:
		return "IPv6-Frag";
	case 47:
		return "GRE";
	case 50:
		return "ESP";
	case 51:
		return "AH";
	case 58:
		return "ICMPv6";
	case 59:
		return "IPv6-NoNxt";
	case 60:
		return "IPv6-Opts";
	case 89:
		return "OSPF";
	case 103:
		return "PIM";
	case 112:
		return "VRRP";
	case 132:
		return "SCTP";
	case 135:
		return "MobilityHdr";
	case 136:
		return "UDPLite";
	default:
		return NULL;
	}
}
