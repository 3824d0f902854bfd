// SPDX-License-Identifier: GPL-2.0
/* xdpflow-reader: --watch: per-second rates of every row between the last two reads. */
#include <string.h>
#include <time.h>
#include "view/rates.h"

/* The longest row identity: a flow key (a source key is shorter). */
#define RATE_ID_MAX sizeof(struct xdpflow_flow_key)
_Static_assert(sizeof(struct source_key) <= RATE_ID_MAX, "a source's identity fits a rate key");

struct rate_key {
	__u8 tag; /* enum reader_view */
	__u8 pad[3];
	__u8 id[RATE_ID_MAX];
};

struct rate_value {
	__u64 packets;
	__u64 bytes;
};

int rate_memory_init(struct rate_memory *rm)
{
	int err;

	memset(rm, 0, sizeof(*rm));
	err = keyhash_init(&rm->prev, sizeof(struct rate_key), sizeof(struct rate_value), 256);
	if (!err)
		err = keyhash_init(&rm->cur, sizeof(struct rate_key), sizeof(struct rate_value), 256);
	if (err)
		rate_memory_free(rm);
	return err;
}

void rate_memory_free(struct rate_memory *rm)
{
	keyhash_free(&rm->prev);
	keyhash_free(&rm->cur);
}

void rate_round_begin(struct rate_memory *rm, const struct snapshot_table_ids *ids, int64_t now_ns)
{
	rm->cur_ns = now_ns;
	rm->reset = rm->have_prev && ids && rm->have_ids && memcmp(ids, &rm->ids, sizeof(*ids));
	rm->have_ids = ids != NULL;
	if (ids)
		rm->ids = *ids;
}

void rate_round_end(struct rate_memory *rm)
{
	struct keyhash tmp = rm->prev;

	rm->prev = rm->cur;
	rm->cur = tmp;
	keyhash_clear(&rm->cur);
	rm->prev_ns = rm->cur_ns;
	rm->have_prev = true;
}

static void rate_key(struct rate_key *k, __u8 tag, const void *id, size_t len)
{
	memset(k, 0, sizeof(*k));
	k->tag = tag;
	memcpy(k->id, id, len < RATE_ID_MAX ? len : RATE_ID_MAX);
}

static double per_second(__u64 now, __u64 before, double dt)
{
	/* Lower than before only after a double count in the previous read: nothing new. */
	return now >= before ? (now - before) / dt : 0;
}

void rate_track(struct rate_memory *rm, __u8 tag, const void *id, size_t len, __u64 packets,
		__u64 bytes, struct rate *out)
{
	static const struct rate_value zero;
	const struct rate_value *prev;
	struct rate_value *cur;
	struct rate_key k;
	double dt;

	memset(out, 0, sizeof(*out));
	if (!rm)
		return;
	rate_key(&k, tag, id, len);
	cur = keyhash_put(&rm->cur, &k, NULL);
	if (cur) {
		cur->packets = packets;
		cur->bytes = bytes;
	}
	dt = (rm->cur_ns - rm->prev_ns) / 1e9;
	/* After a reset the counts before and now are of different tables: no rate. */
	if (!rm->have_prev || rm->reset || dt <= 0)
		return;
	/* A row absent last time is new since then: all of it arrived in dt. */
	prev = keyhash_get(&rm->prev, &k);
	if (!prev)
		prev = &zero;
	out->valid = true;
	out->packets = per_second(packets, prev->packets, dt);
	out->bytes = per_second(bytes, prev->bytes, dt);
}
