// SPDX-License-Identifier: GPL-2.0
/* pin/: one read of the tables: per-CPU sums, the flow cache merged into the flow table, live reads kept exact. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include "internal.h"

/* Flow-table entries per batch lookup: about 750 KiB of keys and values. */
#define FLOW_BATCH 8192
/* Per-CPU values are read in batches of at most this many bytes. */
#define PERCPU_BATCH_BYTES (2u << 20)
/*
 * Copies of a set with a torn entry, and reads of a flow left open, are
 * tried again at once QUICK_TRIES times, then after short sleeps until
 * snapshot_stall_wait_ns have passed (see try_again()).
 */
#define QUICK_TRIES 32
int64_t snapshot_stall_wait_ns = 1000000000LL;
#define NO_ENTRY UINT32_MAX

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
	v = array_room(s->v, s->n, &s->cap, sizeof(*v), 8);
	if (!v)
		return NULL;
	s->v = v;
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

/*
 * Call fn for every entry of a per-CPU array of at most entries entries,
 * reading a batch of entries at a time.  after_batch (may be NULL) runs
 * after each batch is read and before its entries are handed over.
 */
static int walk_percpu_array(int fd, size_t value_size, __u32 entries, int ncpus,
			     int (*after_batch)(void *ctx),
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

	/* No bigger than the array: the buffers are zeroed, page by page. */
	if (room > entries)
		room = entries;
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
		if (after_batch)
			ret = after_batch(ctx);
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
	int cpu;

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
	}
	return 0;
}

int snapshot_read_stats(int stats_fd, int ncpus, struct iface_set *out)
{
	return walk_percpu_array(stats_fd, sizeof(struct xdpflow_iface_stats),
				 XDPFLOW_STATS_ENTRIES, ncpus, NULL, add_stats_slot, out);
}

/* The frames the full flow table refused, into their interfaces' protocol counts. */
int snapshot_read_refused(int refused_fd, struct iface_set *out)
{
	struct xdpflow_refused_key keys[256];
	struct xdpflow_counter values[256];
	struct iface_counts *ic;
	__u64 token = 0;
	bool first = true;
	int last = 0;
	__u32 count, i;

	memset(keys, 0, sizeof(keys));
	memset(values, 0, sizeof(values));
	while (!last) {
		count = 256;
		last = lookup_batch(refused_fd, &token, first, keys, values, &count);
		if (last < 0)
			return last;
		first = false;
		for (i = 0; i < count; i++) {
			ic = iface_set_get(out, keys[i].ifindex);
			if (!ic)
				return -ENOMEM;
			counter_add(&ic->proto[keys[i].family == 6][keys[i].proto], &values[i]);
		}
	}
	return 0;
}

/* ---- The flow cache ---- */

/*
 * Whether to try again after try number tries (from 0) of a wait that began
 * at since: at once for QUICK_TRIES tries, then after sleeps of 1 us, twice
 * as long each time up to 1 ms, until snapshot_stall_wait_ns have passed.
 * A CPU held up inside rekey() (an interrupt, its vCPU descheduled) keeps
 * the entry's word odd and the entry's old counts out of the flow table for
 * as long as it is held up: the read waits for it rather than walk the
 * table without them.
 */
static bool try_again(int tries, int64_t since)
{
	struct timespec ts = { 0, 0 };
	int shift = tries - QUICK_TRIES;

	if (shift < 0)
		return true;
	if (clock_now_ns(CLOCK_MONOTONIC) - since >= snapshot_stall_wait_ns)
		return false;
	ts.tv_nsec = 1000L << (shift < 10 ? shift : 10);
	nanosleep(&ts, NULL);
	return true;
}

static inline __u32 gen_index(int cpu, __u32 set, int way)
{
	return (__u32)cpu * XDPFLOW_FLOWCACHE_ENTRIES + set * XDPFLOW_FLOWCACHE_WAYS + (__u32)way;
}

/* One CPU's entry of a flow, as copied: counts, and its generation word then (live reads). */
struct cache_entry {
	struct xdpflow_flow_counters c;
	__u32 gen_index; /* cpu * XDPFLOW_FLOWCACHE_ENTRIES + set * WAYS + way */
	__u32 gen;
	__u32 next; /* the flow's next entry, or NO_ENTRY */
	__u32 pad;
};

/* Every CPU's generation words, as one copy of XDPFLOW_MAP_FLOWCACHE_GEN. */
static int read_gens(const struct flow_cache *fc, __u32 *gens)
{
	__u32 zero = 0;

	_Static_assert(sizeof(struct xdpflow_flowcache_gens) % 8 == 0,
		       "per-CPU copies are packed: gens[cpu * ENTRIES + i]");
	return bpf_map_lookup_elem(fc->fgen_fd, &zero, gens) ? -errno : 0;
}

static void swap_gens(struct flow_cache *fc)
{
	__u32 *t = fc->prev;

	fc->prev = fc->cur;
	fc->cur = t;
}

static int cache_add(struct flow_cache *fc, const struct xdpflow_flowcache_entry *e,
		     __u32 gen_index, __u32 gen)
{
	struct cached_flow *cf;
	struct cache_entry *ce;
	bool created;

	ce = array_room(fc->e, fc->n, &fc->cap, sizeof(*ce), 1024);
	if (!ce)
		return -ENOMEM;
	fc->e = ce;
	cf = keyhash_put(&fc->h, &e->key, &created);
	if (!cf)
		return -ENOMEM;
	if (created)
		cf->first = NO_ENTRY;
	ce = &fc->e[fc->n];
	ce->c = e->counters;
	ce->gen_index = gen_index;
	ce->gen = gen;
	ce->next = cf->first;
	cf->first = (__u32)fc->n++;
	cf->entries++;
	flow_counters_merge(&cf->c, &e->counters);
	return 0;
}

/* An entry copied while the program re-keyed it: its set is copied again. */
struct torn_entry {
	__u32 set;
	__u16 cpu;
	__u16 way;
	__u32 gen0; /* its word before the first copy */
};

struct cache_read {
	struct flow_cache *fc;
	int ncpus;
	struct torn_entry *torn;
	size_t ntorn, torn_cap;
};

static int note_torn(struct cache_read *cr, __u32 set, int cpu, int way)
{
	__u32 gen0 = cr->fc->prev[gen_index(cpu, set, way)];
	struct torn_entry *t;

	t = array_room(cr->torn, cr->ntorn, &cr->torn_cap, sizeof(*t), 64);
	if (!t)
		return -ENOMEM;
	cr->torn = t;
	cr->torn[cr->ntorn++] = (struct torn_entry){ set, (__u16)cpu, (__u16)way, gen0 };
	return 0;
}

/*
 * A copy of an entry is one flow's when its generation word was the same
 * even value before and after the copy (prev and cur); in a final table
 * every entry is.  Returns 1 when the copy is torn.
 */
static int take_entry(struct flow_cache *fc, const struct xdpflow_flowcache_set *set, __u32 idx,
		      int cpu, int way)
{
	const struct xdpflow_flowcache_entry *e = &set->e[way];
	__u32 gi = gen_index(cpu, idx, way);
	__u32 g = 0;

	if (fc->live) {
		g = fc->prev[gi];
		if (g != fc->cur[gi] || (g & 1))
			return 1;
	}
	if (!e->counters.packets)
		return 0;
	return cache_add(fc, e, gi, g);
}

/* After each batch of sets: the words from before it in prev, from after it in cur. */
static int cache_batch_read(void *ctx)
{
	struct flow_cache *fc = ((struct cache_read *)ctx)->fc;

	if (!fc->live)
		return 0;
	swap_gens(fc);
	return read_gens(fc, fc->cur);
}

static int add_cache_set(const struct percpu_entry *e, void *ctx)
{
	struct cache_read *cr = ctx;
	const struct xdpflow_flowcache_set *set;
	int cpu, w, ret;

	for (cpu = 0; cpu < e->ncpus; cpu++) {
		set = percpu_value(e, cpu);
		for (w = 0; w < XDPFLOW_FLOWCACHE_WAYS; w++) {
			ret = take_entry(cr->fc, set, e->key, cpu, w);
			if (ret > 0)
				ret = note_torn(cr, e->key, cpu, w);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

/*
 * Whether a torn entry no longer holds counts of before the read: its word is
 * even and past its word before the first copy, so the re-key that moved the
 * flow it held then into the flow table has finished, and the flow it holds
 * now took it after the read began.
 */
static bool torn_settled(const struct flow_cache *fc, const struct torn_entry *t)
{
	__u32 w = fc->cur[gen_index(t->cpu, t->set, t->way)];

	return !(w & 1) && (__s32)(w - t->gen0) > 0;
}

/*
 * Copy each torn entry's set again between two copies of the words, until it
 * is whole or settled (left out: what it held is in the table), waiting out a
 * CPU held up inside a re-key.
 */
static int retake_torn(struct cache_read *cr)
{
	struct flow_cache *fc = cr->fc;
	size_t stride = ROUND8(sizeof(struct xdpflow_flowcache_set)), i, left;
	unsigned char *values = calloc(cr->ncpus, stride);
	int64_t since = clock_now_ns(CLOCK_MONOTONIC);
	int tries, ret = 0;

	if (!values)
		return -ENOMEM;
	for (tries = 0, left = cr->ntorn; left && !ret && try_again(tries, since); tries++) {
		for (i = 0; i < cr->ntorn && !ret; i++) {
			struct torn_entry *t = &cr->torn[i];

			if (t->set == UINT32_MAX)
				continue;
			ret = read_gens(fc, fc->prev);
			if (!ret && bpf_map_lookup_elem(fc->fd, &t->set, values))
				ret = -errno;
			if (!ret)
				ret = read_gens(fc, fc->cur);
			if (!ret)
				ret = take_entry(fc, (const void *)(values + (size_t)t->cpu * stride),
						 t->set, t->cpu, t->way);
			if (ret > 0 && torn_settled(fc, t))
				ret = 0;
			if (ret == 0) {
				t->set = UINT32_MAX;
				left--;
			} else if (ret > 0) {
				ret = 0;
			}
		}
	}
	/* Still torn after snapshot_stall_wait_ns: its counts may be missing from this read. */
	fc->torn_left += left;
	free(values);
	return ret;
}

int snapshot_read_flowcache(int fcache_fd, int fgen_fd, int ncpus, struct flow_cache *out)
{
	struct cache_read cr = { .fc = out, .ncpus = ncpus };
	size_t words = (size_t)ncpus * XDPFLOW_FLOWCACHE_ENTRIES;
	int err;

	memset(out, 0, sizeof(*out));
	out->fd = fcache_fd;
	out->fgen_fd = fgen_fd;
	out->live = fgen_fd >= 0;
	err = keyhash_init(&out->h, sizeof(struct xdpflow_flow_key), sizeof(struct cached_flow),
			   1024);
	if (err)
		return err;
	if (out->live) {
		out->prev = calloc(words, sizeof(__u32));
		out->cur = calloc(words, sizeof(__u32));
		out->before = calloc(words, sizeof(__u32));
		out->after = calloc(words, sizeof(__u32));
		if (!out->prev || !out->cur || !out->before || !out->after)
			return -ENOMEM;
		err = read_gens(out, out->cur);
	}
	/* Each batch is checked against the words before it and after it. */
	if (!err)
		err = walk_percpu_array(fcache_fd, sizeof(struct xdpflow_flowcache_set),
					XDPFLOW_FLOWCACHE_SETS, ncpus, cache_batch_read,
					add_cache_set, &cr);
	if (!err && cr.ntorn)
		err = retake_torn(&cr);
	/* The words every later decision compares with: taken after every copy above. */
	if (!err && out->live)
		err = read_gens(out, out->prev);
	free(cr.torn);
	return err;
}

void flow_cache_free(struct flow_cache *fc)
{
	keyhash_free(&fc->h);
	free(fc->e);
	free(fc->prev);
	free(fc->cur);
	free(fc->before);
	free(fc->after);
	fc->e = NULL;
	fc->prev = fc->cur = fc->before = fc->after = NULL;
	fc->n = fc->cap = 0;
}

/*
 * What a flow's cache entries add to a read of its table entry taken
 * between two copies of the words, before and after: an entry whose word
 * is unchanged after was not moved into the table (add it); one whose
 * word had gone two or more past it before (a re-key begun and finished)
 * was moved into the table before it was read (leave it out).  Returns
 * whether an entry was neither: moved while the table entry was read, into
 * that read or not, or with its re-key under way (odd) when it began.
 */
static bool decide(const struct flow_cache *fc, const struct cached_flow *cf, const __u32 *before,
		   const __u32 *after, struct xdpflow_flow_counters *sum)
{
	const struct cache_entry *ce;
	bool open = false;
	__u32 i;

	memset(sum, 0, sizeof(*sum));
	if (!fc->live) {
		*sum = cf->c;
		return false;
	}
	for (i = cf->first; i != NO_ENTRY; i = ce->next) {
		ce = &fc->e[i];
		if (after[ce->gen_index] == ce->gen)
			flow_counters_merge(sum, &ce->c);
		else if (before[ce->gen_index] - ce->gen < 2)
			open = true;
	}
	return open;
}

/*
 * Read one flow's table entry again between two copies of the words, until
 * each of its cache entries is decided; rec->c becomes that table entry
 * (zero if it has none) plus the entries not moved into it.
 */
static int resolve(struct flow_cache *fc, int flows_fd, const struct cached_flow *cf,
		   struct flow_record *rec)
{
	struct xdpflow_flow_counters table, sum;
	int64_t since = clock_now_ns(CLOCK_MONOTONIC);
	bool open = true;
	int tries, err = 0;

	/* Words of its own: prev and cur still serve the rest of the walk's batch. */
	for (tries = 0; open && !err && try_again(tries, since); tries++) {
		err = read_gens(fc, fc->before);
		memset(&table, 0, sizeof(table));
		if (!err && bpf_map_lookup_elem(flows_fd, &rec->key, &table) && errno != ENOENT)
			err = -errno;
		if (!err)
			err = read_gens(fc, fc->after);
		if (!err)
			open = decide(fc, cf, fc->before, fc->after, &sum);
	}
	if (err)
		return err;
	/* Never resolved: the open entries stay out (never counted twice). */
	fc->rereads += tries;
	fc->unresolved += open;
	rec->c = table;
	flow_counters_merge(&rec->c, &sum);
	return 0;
}

/* ---- The clock, the read ---- */

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
	clock_pair_ns(&mono, &real);
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

static void sort_ifaces(struct iface_set *s)
{
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_ifindex);
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
	/* The read order: see xdpflow.h. */
	err = snapshot_read_stats(t->stats_fd, ncpus, &s->ifaces);
	if (!err)
		err = snapshot_read_refused(t->refused_fd, &s->ifaces);
	if (!err)
		err = snapshot_read_flowcache(t->fcache_fd, t->fgen_fd, ncpus, &s->cache);
	if (!err)
		err = flow_capacity(t->flows_fd, &s->flow_capacity);
	if (!err && clock_fd >= 0)
		err = snapshot_read_clock(clock_fd, ncpus, &s->clock);
	if (err) {
		snapshot_free(s);
		return err;
	}
	sort_ifaces(&s->ifaces);
	return 0;
}

void snapshot_free(struct snapshot *s)
{
	iface_set_free(&s->ifaces);
	flow_cache_free(&s->cache);
}

const struct iface_counts *snapshot_iface(const struct snapshot *s, __u32 ifindex)
{
	size_t i;

	for (i = 0; i < s->ifaces.n; i++)
		if (s->ifaces.v[i].ifindex == ifindex)
			return &s->ifaces.v[i];
	return NULL;
}

/* ---- The walk ---- */

struct flow_batch {
	struct xdpflow_flow_key *keys;
	struct xdpflow_flow_counters *values;
	__u32 room;
};

static int alloc_flow_batch(struct flow_batch *b, __u32 capacity)
{
	/* No bigger than the table (a small one is read often, by tests and --watch). */
	b->room = capacity && capacity < FLOW_BATCH ? capacity : FLOW_BATCH;
	/* Zeroed for memcheck, as in walk_percpu_array(). */
	b->keys = calloc(b->room, sizeof(*b->keys));
	b->values = calloc(b->room, sizeof(*b->values));
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

struct walk {
	const struct snapshot_tables *t;
	struct snapshot *s;
	flow_fn fn;
	void *ctx;
	struct walk_counts *wc;
	struct iface_counts *ic; /* the last flow's interface, while deriving protocols */
};

/* The counts before the first walk, to go back to should it not finish. */
static int save_ifaces(const struct iface_set *from, struct iface_set *to)
{
	memset(to, 0, sizeof(*to));
	if (!from->n)
		return 0;
	to->v = malloc(from->n * sizeof(*to->v));
	if (!to->v)
		return -ENOMEM;
	memcpy(to->v, from->v, from->n * sizeof(*to->v));
	to->n = to->cap = from->n;
	return 0;
}

/* Hand one flow over; on the first walk of a snapshot also add it to its protocol's counts. */
static int emit(struct walk *w, const struct flow_record *rec)
{
	struct iface_counts *ic = w->ic;

	if (!rec->c.packets)
		return 0;
	w->wc->flows++;
	if (!w->s->walked) {
		if (!ic || ic->ifindex != rec->key.ifindex) {
			ic = iface_set_get(&w->s->ifaces, rec->key.ifindex);
			if (!ic)
				return -ENOMEM;
			w->ic = ic;
		}
		ic->proto[rec->key.family == 6][rec->key.proto].packets += rec->c.packets;
		ic->proto[rec->key.family == 6][rec->key.proto].bytes += rec->c.bytes;
	}
	return w->fn ? w->fn(rec, w->ctx) : 0;
}

/* A table entry merged with the cache entries its read leaves out. */
static int table_flow(struct walk *w, struct flow_record *rec)
{
	struct flow_cache *fc = &w->s->cache;
	struct xdpflow_flow_counters sum;
	struct cached_flow *cf;
	int err;

	cf = fc->h.n ? keyhash_get(&fc->h, &rec->key) : NULL;
	if (cf) {
		cf->merged = true;
		if (decide(fc, cf, fc->prev, fc->cur, &sum)) {
			err = resolve(fc, w->t->flows_fd, cf, rec);
			if (err)
				return err;
		} else {
			flow_counters_merge(&rec->c, &sum);
		}
	}
	return emit(w, rec);
}

static int walk_table(struct walk *w)
{
	struct flow_cache *fc = &w->s->cache;
	struct flow_record rec = {};
	struct flow_batch b;
	__u64 token = 0;
	bool first = true;
	int ret = 0, last = 0;
	__u32 count, i;

	_Static_assert(sizeof(struct xdpflow_flow_key) == 48, "keys are packed in batches");
	if (alloc_flow_batch(&b, w->s->flow_capacity))
		return -ENOMEM;
	while (!last && !ret) {
		count = b.room;
		last = lookup_batch(w->t->flows_fd, &token, first, b.keys, b.values, &count);
		if (last < 0) {
			ret = last;
			break;
		}
		first = false;
		/* The words after this batch; prev holds those from before it. */
		if (fc->live && fc->h.n)
			ret = read_gens(fc, fc->cur);
		w->wc->table_entries += count;
		for (i = 0; i < count && !ret; i++) {
			rec.key = b.keys[i];
			rec.c = b.values[i];
			ret = table_flow(w, &rec);
		}
		if (fc->live && fc->h.n)
			swap_gens(fc);
	}
	free_flow_batch(&b);
	return ret;
}

/* Flows that were only in the caches when the walk passed their place in the table. */
static int walk_cache_only(struct walk *w)
{
	struct flow_cache *fc = &w->s->cache;
	struct xdpflow_flow_counters sum;
	struct flow_record rec = {};
	struct cached_flow *cf;
	const void *key;
	size_t pos = 0;
	int ret = 0;

	if (fc->live && fc->h.n)
		ret = read_gens(fc, fc->cur);
	while (!ret && (cf = keyhash_next(&fc->h, &pos, &key))) {
		if (cf->merged)
			continue;
		memcpy(&rec.key, key, sizeof(rec.key));
		/* An entry moved since it was copied: the flow has a table entry now. */
		if (decide(fc, cf, fc->cur, fc->cur, &sum) ||
		    (fc->live && sum.packets != cf->c.packets)) {
			ret = resolve(fc, w->t->flows_fd, cf, &rec);
		} else {
			rec.c = sum;
		}
		if (!ret) {
			w->wc->cache_only++;
			ret = emit(w, &rec);
		}
	}
	return ret;
}

int snapshot_walk_flows(const struct snapshot_tables *t, struct snapshot *s, flow_fn fn, void *ctx,
			struct walk_counts *wc)
{
	struct walk_counts local;
	struct walk w = { .t = t, .s = s, .fn = fn, .ctx = ctx, .wc = wc ? wc : &local };
	struct iface_set before = {};
	struct cached_flow *cf;
	size_t pos = 0;
	int ret;

	memset(w.wc, 0, sizeof(*w.wc));
	while ((cf = keyhash_next(&s->cache.h, &pos, NULL)))
		cf->merged = false;
	if (!s->walked) {
		ret = save_ifaces(&s->ifaces, &before);
		if (ret)
			return ret;
	}
	ret = walk_table(&w);
	if (!ret)
		ret = walk_cache_only(&w);
	if (!s->walked && !ret) {
		/* Protocol counts are complete now, and stay as this walk made them. */
		s->walked = true;
		sort_ifaces(&s->ifaces);
	} else if (!s->walked) {
		/* A walk cut short derived part of them: back to the counts before it. */
		iface_set_free(&s->ifaces);
		s->ifaces = before;
		before.v = NULL;
	}
	iface_set_free(&before);
	return ret;
}
