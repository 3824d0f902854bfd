/* SPDX-License-Identifier: GPL-2.0 */
/* A small open-addressing hash of fixed-size keys to fixed-size values, for the reader's aggregations. */
#ifndef XDPFLOW_KEYHASH_H
#define XDPFLOW_KEYHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Keys are compared as bytes, so callers zero any padding.  Values start
 * zeroed and are 8-byte aligned.  Entries are never removed one by one
 * (the reader only adds up), which keeps linear probing simple.
 */
struct keyhash {
	size_t key_size;
	size_t value_off; /* key rounded up to 8 */
	size_t entry_size;
	size_t n; /* entries in use */
	size_t cap; /* a power of two */
	unsigned char *entries;
	unsigned char *used;
};

int keyhash_init(struct keyhash *h, size_t key_size, size_t value_size, size_t expected);
void keyhash_free(struct keyhash *h);
/* Forget every entry, keep the memory. */
void keyhash_clear(struct keyhash *h);

/* The value stored under key, or NULL. */
void *keyhash_get(const struct keyhash *h, const void *key);

/* The value under key, inserted zeroed (*created set) if absent; NULL when out of memory. */
void *keyhash_put(struct keyhash *h, const void *key, bool *created);

/*
 * Iterate: start with *pos = 0; returns the next value and sets *key,
 * NULL at the end.  No insertions while iterating.
 */
void *keyhash_next(const struct keyhash *h, size_t *pos, const void **key);

uint64_t keyhash_hash(const void *key, size_t len);

#endif /* XDPFLOW_KEYHASH_H */
