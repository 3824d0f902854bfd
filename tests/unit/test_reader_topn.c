// SPDX-License-Identifier: GPL-2.0
/* Unit tests of pin/'s bounded top-N heap and its aggregation hash, against qsort and a plain array. */
#include "testlib.h"
#include "xdpflow.h"

struct row {
	unsigned long long value;
	unsigned int id; /* tie-break: lower id ranks higher */
};

static int rank(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;

	if (a->value != b->value)
		return a->value < b->value ? -1 : 1;
	return a->id > b->id ? -1 : a->id < b->id;
}

/* qsort order: highest first. */
static int desc(const void *a, const void *b)
{
	return rank(b, a);
}

static unsigned long long next_rand(unsigned long long *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void check_topn(const char *name, size_t n, size_t limit, unsigned long long modulo)
{
	struct row *all = calloc(n ? n : 1, sizeof(*all));
	unsigned long long seed = 0x9e3779b97f4a7c15ull ^ n ^ limit;
	size_t want = limit && limit < n ? limit : n, i;
	struct tl_check c;
	struct topn t;

	tl_begin(&c, name);
	tl_expect(&c, !topn_init(&t, limit, sizeof(struct row), rank), "init");
	for (i = 0; i < n; i++) {
		all[i].value = next_rand(&seed) % modulo; /* small modulo: many ties */
		all[i].id = i;
		tl_expect(&c, !topn_push(&t, &all[i]), "push %zu", i);
	}
	topn_finish(&t);
	qsort(all, n, sizeof(*all), desc);
	tl_expect_u64(&c, "rows kept", t.n, want);
	tl_expect(&c, !limit || t.alloc <= limit, "heap grew to %zu rows past the limit %zu", t.alloc,
		  limit);
	for (i = 0; i < t.n && i < want; i++) {
		const struct row *got = topn_at(&t, i);

		tl_expect(&c, got->value == all[i].value && got->id == all[i].id,
			  "row %zu: %llu/#%u, expected %llu/#%u", i, got->value, got->id,
			  all[i].value, all[i].id);
	}
	topn_free(&t);
	free(all);
	tl_end(&c, "%zu rows, limit %zu", n, limit);
}

static void test_keyhash(void)
{
	struct { unsigned int a; unsigned char b[20]; } key;
	unsigned long long *v, sum = 0, want = 0;
	const void *k;
	struct keyhash h;
	struct tl_check c;
	size_t pos = 0, count = 0, i;
	bool created;

	tl_begin(&c, "keyhash_grows_and_finds");
	tl_expect(&c, !keyhash_init(&h, sizeof(key), sizeof(*v), 4), "init");
	/* 100,000 keys, each added twice: growth keeps every value. */
	for (i = 0; i < 200000; i++) {
		memset(&key, 0, sizeof(key));
		key.a = i % 100000;
		key.b[19] = (i % 100000) & 0xff;
		v = keyhash_put(&h, &key, &created);
		tl_expect(&c, v != NULL, "put %zu", i);
		if (!v)
			break;
		tl_expect(&c, created == (i < 100000), "created flag at %zu", i);
		*v += i;
		want += i;
	}
	tl_expect_u64(&c, "entries", h.n, 100000);
	while ((v = keyhash_next(&h, &pos, &k))) {
		count++;
		sum += *v;
		tl_expect(&c, *v == 2ull * (*(const unsigned int *)k) + 100000, "value of key %u",
			  *(const unsigned int *)k);
	}
	tl_expect_u64(&c, "iterated", count, 100000);
	tl_expect_u64(&c, "sum", sum, want);
	memset(&key, 0, sizeof(key));
	key.a = 123456;
	tl_expect(&c, keyhash_get(&h, &key) == NULL, "absent key found");
	keyhash_clear(&h);
	tl_expect_u64(&c, "entries after clear", h.n, 0);
	key.a = 5;
	key.b[19] = 5;
	tl_expect(&c, keyhash_get(&h, &key) == NULL, "cleared key found");
	keyhash_free(&h);
	tl_end(&c, NULL);
}

int main(int argc, char **argv)
{
	(void)argc;
	tl_init(argv[0]);
	check_topn("topn_bounded", 100000, 100, 1000000000);
	check_topn("topn_bounded_with_ties", 50000, 37, 5);
	check_topn("topn_limit_one", 1000, 1, 100);
	check_topn("topn_limit_above_rows", 10, 100, 100);
	check_topn("topn_empty", 0, 5, 100);
	check_topn("topn_unbounded_full_sort", 20000, 0, 1000);
	test_keyhash();
	return tl_summary();
}
