// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the reader's keyhash (put, get, clear, iterate) against a plain list. */
// links: pin/keyhash.c
#include <stdint.h>
#include "fuzz.h"
#include "xdpflow.h"

/*
 * Operations come from the input, on keys of 1 to 48 bytes (often ones
 * inserted before, so collisions and growth happen) and values of 0 to
 * 63 bytes.  After every step the table must agree with a list kept
 * here: what get finds, whether put creates, values zeroed when created,
 * 8-byte aligned and keeping what was written, the entry count, and an
 * iteration that visits every entry exactly once.
 */

#define MAX_ENTRIES 3000
#define MAX_KEY 48
#define MAX_VALUE 63

struct entry {
	uint8_t key[MAX_KEY];
	uint8_t value[MAX_VALUE + 1];
	bool visited;
};

static struct entry list[MAX_ENTRIES];
static size_t nlist;

static struct entry *list_find(const uint8_t *key, size_t ks)
{
	size_t i;

	for (i = 0; i < nlist; i++)
		if (!memcmp(list[i].key, key, ks))
			return &list[i];
	return NULL;
}

static void check_iteration(const struct keyhash *h, size_t ks, size_t vs)
{
	const void *key;
	size_t pos = 0, seen = 0, i;
	uint8_t *v;

	for (i = 0; i < nlist; i++)
		list[i].visited = false;
	while ((v = keyhash_next(h, &pos, &key))) {
		struct entry *e = list_find(key, ks);

		fz_assert(e, "%s", "iteration found a key never put");
		fz_assert(!e->visited, "%s", "iteration visited a key twice");
		e->visited = true;
		fz_assert(!memcmp(v, e->value, vs), "%s", "iteration found another value");
		seen++;
	}
	fz_assert(seen == nlist, "iteration saw %zu of %zu", seen, nlist);
	fz_assert(!keyhash_next(h, &pos, NULL), "%s", "iteration went on after its end");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	size_t ks = 1 + fz_u8(&in) % MAX_KEY, vs = fz_u8(&in) % (MAX_VALUE + 1);
	size_t expected = fz_u16(&in) % 2048;
	uint8_t key[MAX_KEY], zero[MAX_VALUE + 1] = { 0 };
	struct keyhash h;
	int steps = 0;

	nlist = 0;
	fz_assert(!keyhash_init(&h, ks, vs, expected), "%s", "init failed");
	while (fz_left(&in) && nlist < MAX_ENTRIES) {
		uint8_t op = fz_u8(&in);
		struct entry *e;
		bool created;
		uint8_t *v;

		/* Half the time a key already in, else one from the input. */
		if ((op & 0x10) && nlist)
			memcpy(key, list[fz_u16(&in) % nlist].key, ks);
		else
			fz_bytes(&in, key, ks);
		e = list_find(key, ks);
		switch (op & 0x0f) {
		case 0: /* clear */
			keyhash_clear(&h);
			nlist = 0;
			break;
		case 1:
		case 2:
		case 3: /* get */
			v = keyhash_get(&h, key);
			fz_assert(!v == !e, "get: %s, list: %s", v ? "found" : "missing",
				  e ? "present" : "absent");
			if (v)
				fz_assert(!memcmp(v, e->value, vs), "%s", "get: another value");
			break;
		case 15: /* iterate */
			check_iteration(&h, ks, vs);
			break;
		default: /* put, then write a value */
			v = keyhash_put(&h, key, &created);
			fz_assert(v, "%s", "put: out of memory");
			fz_assert(created == !e, "put: created %d for a key %s", created,
				  e ? "present" : "absent");
			fz_assert(((uintptr_t)v & 7) == 0, "%s", "value not 8-byte aligned");
			if (!e) {
				fz_assert(!memcmp(v, zero, vs), "%s", "new value not zeroed");
				e = &list[nlist++];
				memcpy(e->key, key, ks);
			} else {
				fz_assert(!memcmp(v, e->value, vs), "%s", "put: another value");
			}
			fz_bytes(&in, e->value, vs);
			memcpy(v, e->value, vs);
			break;
		}
		fz_assert(h.n == nlist, "%zu entries, list has %zu", h.n, nlist);
		fz_assert(h.n * 4 <= h.cap * 3, "load %zu of %zu over 3/4", h.n, h.cap);
		fz_assert(keyhash_hash(key, ks) == keyhash_hash(key, ks), "%s", "hash not stable");
		steps++;
	}
	check_iteration(&h, ks, vs);
	keyhash_free(&h);
	fz_assert(!keyhash_get(&h, key) && !keyhash_put(&h, key, NULL), "%s",
		  "a freed table still answers");
	return 0;
}
