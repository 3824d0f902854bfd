/* SPDX-License-Identifier: GPL-2.0 */
/* In-memory stand-ins for xdpflow's maps behind the libbpf calls the reader makes, filled from fuzz input. */
#ifndef XDPFLOW_FAKEMAPS_H
#define XDPFLOW_FAKEMAPS_H

/*
 * The read layer (pin/read.c) only ever calls
 * bpf_map_lookup_batch(), bpf_map_lookup_elem() and
 * bpf_obj_get_info_by_fd() on table fds it is given (and, for a live
 * read, the generation words' fd).  A fuzz target that
 * includes this header (once) links no libbpf: those three functions are
 * defined here and serve map contents decoded from the fuzz input, with
 * the kernel's batch semantics (ENOENT with the last entries, or with
 * none after an exactly full batch; hash batches shorter than the room
 * asked for) and, where the input asks, an error at the nth call.  So
 * every value a map can hold, including ones the XDP program never
 * writes, reaches the decoding and merging code.
 */

#include <errno.h>
#include <bpf/bpf.h>
#include "fuzz.h"
#include "xdpflow.h"
#include "xdpflow_abi.h"

#define FAKE_STATS_FD 1000
#define FAKE_FLOWS_FD 1001
#define FAKE_CACHE_FD 1002
#define FAKE_CLOCK_FD 1003
#define FAKE_REFUSED_FD 1004
#define FAKE_GEN_FD 1005
#define FAKE_MAX_CPUS 8
#define FAKE_MAX_FLOWS 512
#define FAKE_MAX_REFUSED 64
#define FAKE_KEY_POOL 16

struct fake_maps {
	int ncpus;
	struct xdpflow_iface_stats stats[XDPFLOW_STATS_ENTRIES][FAKE_MAX_CPUS];
	struct xdpflow_flowcache_set cache[XDPFLOW_FLOWCACHE_SETS][FAKE_MAX_CPUS];
	/* A live read: generation words (odd: an entry being re-keyed). */
	bool live;
	struct xdpflow_flowcache_gens gens[FAKE_MAX_CPUS];
	struct xdpflow_flow_key keys[FAKE_MAX_FLOWS];
	struct xdpflow_flow_counters values[FAKE_MAX_FLOWS];
	size_t nflows;
	struct xdpflow_refused_key refused_keys[FAKE_MAX_REFUSED];
	struct xdpflow_counter refused[FAKE_MAX_REFUSED];
	size_t nrefused;
	__u32 flow_capacity;
	struct xdpflow_clock_anchor clock[FAKE_MAX_CPUS];
	__u32 hash_batch_limit; /* 0: hash batches fill the room */
	unsigned int fail_call; /* 0: never; n: the nth call fails with fail_errno */
	int fail_errno;
	unsigned int calls;
	struct xdpflow_flow_key pool[FAKE_KEY_POOL]; /* keys the tables share */
};

static struct fake_maps fake;

static const __u32 fake_ifindexes[] = { 0, 1, 2, 3, 7, 255, 256, XDPFLOW_IFINDEX_OTHER };

static __u32 fake_ifindex(struct fz_in *in)
{
	uint8_t b = fz_u8(in);

	return b < 0xf0 ? fake_ifindexes[b % 8] : fz_u32(in);
}

static void fake_key(struct fz_in *in, struct xdpflow_flow_key *k)
{
	uint8_t sel = fz_u8(in);

	memset(k, 0, sizeof(*k));
	k->family = (sel & 3) == 3 ? fz_u8(in) : (sel & 1) ? 6 : 4;
	fz_bytes(in, k->src, k->family == 6 ? 16 : 4);
	fz_bytes(in, k->dst, k->family == 6 ? 16 : 4);
	k->ifindex = fake_ifindex(in);
	k->proto = (sel & 4) ? fz_u8(in) : (sel & 8) ? 6 : 17;
	k->sport = fz_u16(in);
	k->dport = fz_u16(in);
}

/* A key from the shared pool (so tables and CPUs collide) or a new one. */
static void fake_some_key(struct fz_in *in, struct xdpflow_flow_key *k)
{
	uint8_t b = fz_u8(in);

	if (b < 0xc0)
		*k = fake.pool[b % FAKE_KEY_POOL];
	else
		fake_key(in, k);
}

static void fake_counters(struct fz_in *in, struct xdpflow_flow_counters *c)
{
	uint8_t sel = fz_u8(in);

	memset(c, 0, sizeof(*c));
	/* Now and then an empty entry (no packets) with other fields set anyway. */
	c->packets = (sel & 7) == 0 ? 0 : (sel & 8) ? fz_u64_edgy(in) : 1 + fz_u8(in);
	c->bytes = (sel & 16) ? fz_u64_edgy(in) : c->packets * 64;
	c->ip_bytes = (sel & 32) ? fz_u64_edgy(in) : c->bytes / 2;
	c->first_seen = fz_u64_edgy(in);
	c->last_seen = (sel & 64) ? fz_u64_edgy(in) : c->first_seen + fz_u8(in);
	c->tcp_flags = (sel & 128) ? fz_u32(in) : fz_u8(in);
}

static bool fake_has_key(const struct xdpflow_flow_key *k)
{
	size_t i;

	for (i = 0; i < fake.nflows; i++)
		if (!memcmp(&fake.keys[i], k, sizeof(*k)))
			return true;
	return false;
}

/* Fill every map from the input. */
static void fake_fill(struct fz_in *in)
{
	uint8_t b;
	size_t i, n;
	int cpu, slot;

	memset(&fake, 0, sizeof(fake));
	b = fz_u8(in);
	fake.ncpus = 1 + b % FAKE_MAX_CPUS;
	fake.hash_batch_limit = (b & 0x80) ? 1 + fz_u8(in) : 0;
	b = fz_u8(in);
	if (b >= 0xf0) {
		/* Not ENOENT: from a batch lookup that means "the end", with the count set. */
		static const int errs[] = { EIO, EPERM, ENOMEM, EFAULT, ENOSPC, EINVAL, EAGAIN, EINTR };

		fake.fail_call = 1 + fz_u8(in) % 16;
		fake.fail_errno = errs[b % 8];
	}
	fake.flow_capacity = fz_u32(in);
	for (i = 0; i < FAKE_KEY_POOL; i++)
		fake_key(in, &fake.pool[i]);

	/* Stats: some slots of some CPUs in use. */
	n = fz_u8(in) % 40;
	for (i = 0; i < n; i++) {
		struct xdpflow_iface_stats *s;

		slot = fz_u8(in) % XDPFLOW_STATS_ENTRIES;
		cpu = fz_u8(in) % fake.ncpus;
		s = &fake.stats[slot][cpu];
		s->ifindex = fake_ifindex(in);
		s->pad = fz_u8(in) == 0xff ? fz_u32(in) : 0;
		s->non_ip.packets = fz_u64_edgy(in);
		s->non_ip.bytes = fz_u64_edgy(in);
		s->malformed.packets = fz_u64_edgy(in);
		s->malformed.bytes = fz_u64_edgy(in);
		s->unrecorded.packets = fz_u64_edgy(in);
		s->unrecorded.bytes = fz_u64_edgy(in);
	}
	/* Refused frames: unique (interface, family, protocol) keys. */
	n = fz_u8(in) % FAKE_MAX_REFUSED;
	for (i = 0; i < n && fz_left(in); i++) {
		struct xdpflow_refused_key k = { .ifindex = fake_ifindex(in) };
		size_t j;

		k.family = (fz_u8(in) & 1) ? 6 : 4;
		k.proto = fz_u8(in);
		for (j = 0; j < fake.nrefused; j++)
			if (!memcmp(&fake.refused_keys[j], &k, sizeof(k)))
				break;
		if (j < fake.nrefused)
			continue;
		fake.refused_keys[fake.nrefused] = k;
		fake.refused[fake.nrefused].packets = fz_u64_edgy(in);
		fake.refused[fake.nrefused++].bytes = fz_u64_edgy(in);
	}
	/* Flow caches: entries of pool or new keys in any set and way on any CPU. */
	fake.live = fz_u8(in) & 1;
	n = fz_u16(in) % 600;
	for (i = 0; i < n && fz_left(in); i++) {
		struct xdpflow_flowcache_entry *e;
		__u32 set = fz_u16(in) % XDPFLOW_FLOWCACHE_SETS, way = fz_u8(in) % 4;

		cpu = fz_u8(in) % fake.ncpus;
		e = &fake.cache[set][cpu].e[way];
		fake_some_key(in, &e->key);
		fake_counters(in, &e->counters);
		/* Now and then an entry caught while being re-keyed (odd word). */
		fake.gens[cpu].gen[set * 4 + way] = fz_u8(in) < 0x10 ? 2 * fz_u8(in) + 1 : 2 * fz_u8(in);
	}
	/* The flow table: unique keys. */
	n = fz_u16(in) % FAKE_MAX_FLOWS;
	for (i = 0; i < n && fz_left(in); i++) {
		struct xdpflow_flow_key k;

		fake_some_key(in, &k);
		if (fake_has_key(&k))
			continue;
		fake.keys[fake.nflows] = k;
		fake_counters(in, &fake.values[fake.nflows++]);
	}
	for (cpu = 0; cpu < fake.ncpus; cpu++) {
		fake.clock[cpu].first_jiffies = fz_u64_edgy(in);
		fake.clock[cpu].first_ktime_ns = fz_u64_edgy(in);
		fake.clock[cpu].last_jiffies = fz_u64_edgy(in);
		fake.clock[cpu].last_ktime_ns = fz_u64_edgy(in);
	}
}

static bool fake_fail_now(void)
{
	if (fake.fail_call && ++fake.calls == fake.fail_call) {
		errno = fake.fail_errno;
		return true;
	}
	return false;
}

int bpf_map_lookup_batch(int fd, void *in_batch, void *out_batch, void *keys, void *values,
			 __u32 *count, const struct bpf_map_batch_opts *opts)
{
	__u32 pos = 0, room = *count, total, n, i;
	int cpu;

	(void)opts;
	if (in_batch)
		memcpy(&pos, in_batch, sizeof(pos));
	if (fake_fail_now())
		return -errno;
	switch (fd) {
	case FAKE_STATS_FD:
		total = XDPFLOW_STATS_ENTRIES;
		break;
	case FAKE_CACHE_FD:
		total = XDPFLOW_FLOWCACHE_SETS;
		break;
	case FAKE_FLOWS_FD:
		total = (__u32)fake.nflows;
		break;
	case FAKE_REFUSED_FD:
		total = (__u32)fake.nrefused;
		break;
	default:
		errno = EBADF;
		return -EBADF;
	}
	fz_assert(pos <= total, "batch token %u past %u entries", pos, total);
	fz_assert(room > 0, "%s", "batch lookup with no room");
	n = total - pos < room ? total - pos : room;
	/* A hash table's batches end at bucket edges: fewer entries than room. */
	if ((fd == FAKE_FLOWS_FD || fd == FAKE_REFUSED_FD) && fake.hash_batch_limit &&
	    n > fake.hash_batch_limit)
		n = fake.hash_batch_limit;
	for (i = 0; i < n; i++) {
		__u32 k = pos + i;

		if (fd == FAKE_REFUSED_FD) {
			memcpy((char *)keys + (size_t)i * sizeof(fake.refused_keys[0]),
			       &fake.refused_keys[k], sizeof(fake.refused_keys[0]));
			memcpy((char *)values + (size_t)i * sizeof(fake.refused[0]), &fake.refused[k],
			       sizeof(fake.refused[0]));
			continue;
		}
		if (fd == FAKE_FLOWS_FD) {
			memcpy((char *)keys + (size_t)i * sizeof(fake.keys[0]), &fake.keys[k],
			       sizeof(fake.keys[0]));
			memcpy((char *)values + (size_t)i * sizeof(fake.values[0]), &fake.values[k],
			       sizeof(fake.values[0]));
			continue;
		}
		memcpy((char *)keys + (size_t)i * 4, &k, 4);
		for (cpu = 0; cpu < fake.ncpus; cpu++) {
			/* Per-CPU values: one per possible CPU, each 8-byte aligned (both are). */
			if (fd == FAKE_STATS_FD)
				memcpy((char *)values + ((size_t)i * fake.ncpus + cpu) *
								sizeof(fake.stats[0][0]),
				       &fake.stats[k][cpu], sizeof(fake.stats[0][0]));
			else
				memcpy((char *)values + ((size_t)i * fake.ncpus + cpu) *
								sizeof(fake.cache[0][0]),
				       &fake.cache[k][cpu], sizeof(fake.cache[0][0]));
		}
	}
	pos += n;
	memcpy(out_batch, &pos, sizeof(pos));
	*count = n;
	/* The kernel says ENOENT when it ran out before filling the room. */
	if (pos == total && (n < room || !n)) {
		errno = ENOENT;
		return -ENOENT;
	}
	return 0;
}

int bpf_map_lookup_elem(int fd, const void *key, void *value)
{
	__u32 k;
	size_t i;
	int cpu;

	memcpy(&k, key, sizeof(k));
	if (fake_fail_now())
		return -errno;
	if (fd == FAKE_FLOWS_FD) {
		for (i = 0; i < fake.nflows; i++)
			if (!memcmp(&fake.keys[i], key, sizeof(fake.keys[0]))) {
				memcpy(value, &fake.values[i], sizeof(fake.values[0]));
				return 0;
			}
	} else if (fd == FAKE_CACHE_FD && k < XDPFLOW_FLOWCACHE_SETS) {
		for (cpu = 0; cpu < fake.ncpus; cpu++)
			memcpy((char *)value + cpu * sizeof(fake.cache[0][0]), &fake.cache[k][cpu],
			       sizeof(fake.cache[0][0]));
		return 0;
	} else if (fd == FAKE_GEN_FD && k == 0) {
		memcpy(value, fake.gens, sizeof(fake.gens[0]) * fake.ncpus);
		return 0;
	} else if (fd == FAKE_CLOCK_FD && k == 0) {
		memcpy(value, fake.clock, sizeof(fake.clock[0]) * fake.ncpus);
		return 0;
	}
	errno = ENOENT;
	return -ENOENT;
}

int bpf_obj_get_info_by_fd(int bpf_fd, void *info, __u32 *info_len)
{
	struct bpf_map_info mi;

	if (fake_fail_now())
		return -errno;
	if (bpf_fd != FAKE_FLOWS_FD) {
		errno = EBADF;
		return -EBADF;
	}
	memset(&mi, 0, sizeof(mi));
	mi.type = BPF_MAP_TYPE_HASH;
	mi.max_entries = fake.flow_capacity;
	mi.key_size = sizeof(struct xdpflow_flow_key);
	mi.value_size = sizeof(struct xdpflow_flow_counters);
	if (*info_len > sizeof(mi))
		*info_len = sizeof(mi);
	memcpy(info, &mi, *info_len);
	return 0;
}

#endif /* XDPFLOW_FAKEMAPS_H */
