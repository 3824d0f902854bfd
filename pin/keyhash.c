// SPDX-License-Identifier: GPL-2.0
/* pin/: a small open-addressing hash of fixed-size keys to fixed-size values, for reads and views. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "xdpflow.h"

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

uint64_t keyhash_hash(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ len, w;

	/* Word at a time, then a final avalanche: keys are 8 to 48 bytes. */
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	if (len) {
		w = 0;
		memcpy(&w, p, len);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
	}
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static int alloc_table(struct keyhash *h, size_t cap)
{
	h->entries = calloc(cap, h->entry_size);
	h->used = calloc(cap, 1);
	if (!h->entries || !h->used) {
		free(h->entries);
		free(h->used);
		h->entries = h->used = NULL;
		return -ENOMEM;
	}
	h->cap = cap;
	h->n = 0;
	return 0;
}

int keyhash_init(struct keyhash *h, size_t key_size, size_t value_size, size_t expected)
{
	size_t cap = 16;

	memset(h, 0, sizeof(*h));
	h->key_size = key_size;
	h->value_off = ALIGN8(key_size);
	h->entry_size = h->value_off + ALIGN8(value_size);
	/* Keep the load under 3/4 without growing for the expected count. */
	while (cap < expected + expected / 3 + 1)
		cap *= 2;
	return alloc_table(h, cap);
}

void keyhash_free(struct keyhash *h)
{
	free(h->entries);
	free(h->used);
	h->entries = h->used = NULL;
	h->cap = h->n = 0;
}

void keyhash_clear(struct keyhash *h)
{
	if (!h->cap)
		return;
	memset(h->used, 0, h->cap);
	memset(h->entries, 0, h->cap * h->entry_size);
	h->n = 0;
}

/*
 * A used slot holds 0x80 and 7 more bits of its key's hash: a probe
 * compares keys only where those match (a lookup that misses, as most of a
 * flow table's do in the flow cache, then compares almost none).
 */
static unsigned char tag_of(uint64_t hash)
{
	return 0x80 | (unsigned char)(hash >> 57);
}

/* Slot of key, or of the free slot where it would go; *tag gets the key's tag. */
static size_t find_slot(const struct keyhash *h, const void *key, unsigned char *tag)
{
	uint64_t hash = keyhash_hash(key, h->key_size);
	size_t mask = h->cap - 1, i = hash & mask;

	*tag = tag_of(hash);
	while (h->used[i] &&
	       (h->used[i] != *tag || memcmp(h->entries + i * h->entry_size, key, h->key_size)))
		i = (i + 1) & mask;
	return i;
}

void *keyhash_get(const struct keyhash *h, const void *key)
{
	unsigned char tag;
	size_t i;

	if (!h->cap)
		return NULL;
	i = find_slot(h, key, &tag);
	return h->used[i] ? h->entries + i * h->entry_size + h->value_off : NULL;
}

static int grow(struct keyhash *h)
{
	struct keyhash old = *h;
	unsigned char tag;
	size_t i, j;

	if (alloc_table(h, old.cap * 2)) {
		*h = old;
		return -ENOMEM;
	}
	for (i = 0; i < old.cap; i++) {
		if (!old.used[i])
			continue;
		j = find_slot(h, old.entries + i * old.entry_size, &tag);
		memcpy(h->entries + j * h->entry_size, old.entries + i * old.entry_size,
		       h->entry_size);
		h->used[j] = tag;
		h->n++;
	}
	keyhash_free(&old);
	return 0;
}

void *keyhash_put(struct keyhash *h, const void *key, bool *created)
{
	unsigned char tag;
	size_t i;

	if (created)
		*created = false;
	if (!h->cap)
		return NULL;
	i = find_slot(h, key, &tag);
	if (h->used[i])
		return h->entries + i * h->entry_size + h->value_off;
	if ((h->n + 1) * 4 > h->cap * 3) {
		if (grow(h))
			return NULL;
		i = find_slot(h, key, &tag);
	}
	memcpy(h->entries + i * h->entry_size, key, h->key_size);
	h->used[i] = tag;
	h->n++;
	if (created)
		*created = true;
	return h->entries + i * h->entry_size + h->value_off;
}

void *keyhash_next(const struct keyhash *h, size_t *pos, const void **key)
{
	size_t i;

	for (i = *pos; i < h->cap; i++) {
		if (!h->used[i])
			continue;
		*pos = i + 1;
		if (key)
			*key = h->entries + i * h->entry_size;
		return h->entries + i * h->entry_size + h->value_off;
	}
	*pos = h->cap;
	return NULL;
}
