// SPDX-License-Identifier: GPL-2.0
/* pin/: the sources view: flows summed by interface and source address, and the order sources rank in. */
#include <errno.h>
#include <string.h>
#include "xdpflow.h"

int source_set_init(struct source_set *s)
{
	return keyhash_init(&s->h, sizeof(struct source_key), sizeof(struct source_counts), 1024);
}

void source_set_free(struct source_set *s)
{
	keyhash_free(&s->h);
}

int source_set_add(struct source_set *s, const struct flow_record *f)
{
	struct source_counts *c;
	struct source_key k;

	memset(&k, 0, sizeof(k));
	k.ifindex = f->key.ifindex;
	k.vlan_outer = f->key.vlan_outer;
	k.vlan_inner = f->key.vlan_inner;
	k.family = f->key.family;
	memcpy(k.addr, f->key.src, sizeof(k.addr));
	c = keyhash_put(&s->h, &k, NULL);
	if (!c)
		return -ENOMEM;
	c->packets += f->c.packets;
	c->bytes += f->c.bytes;
	c->flows++;
	return 0;
}

const struct source_counts *source_set_next(const struct source_set *s, size_t *pos,
					    const struct source_key **key)
{
	return keyhash_next(&s->h, pos, (const void **)key);
}

static int cmp_u64(__u64 a, __u64 b)
{
	return a < b ? -1 : a > b;
}

/* Among equal counts, a deterministic order: the lower identity ranks higher. */
static int source_identity(const struct source_key *a, const struct source_key *b)
{
	int c = cmp_u64(b->ifindex, a->ifindex);

	if (!c)
		c = cmp_u64(b->vlan_outer, a->vlan_outer);
	if (!c)
		c = cmp_u64(b->vlan_inner, a->vlan_inner);
	if (!c)
		c = cmp_u64(b->family, a->family);
	return c ? c : -memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* By one count, then the other, then identity. */
static int rank(const struct source_entry *x, const struct source_entry *y, bool bytes_first)
{
	int p = cmp_u64(x->c.packets, y->c.packets), b = cmp_u64(x->c.bytes, y->c.bytes);
	int c = bytes_first ? (b ? b : p) : (p ? p : b);

	return c ? c : source_identity(&x->k, &y->k);
}

int source_rank_packets(const void *a, const void *b)
{
	return rank(a, b, false);
}

int source_rank_bytes(const void *a, const void *b)
{
	return rank(a, b, true);
}
