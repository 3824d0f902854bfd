// SPDX-License-Identifier: GPL-2.0
/* pin/: the N largest rows of a stream, in a bounded min-heap (or every row, for a full sort). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "xdpflow.h"

int topn_init(struct topn *t, size_t limit, size_t elem_size, topn_cmp cmp)
{
	memset(t, 0, sizeof(*t));
	t->limit = limit;
	t->elem_size = elem_size;
	t->cmp = cmp;
	t->tmp = malloc(elem_size);
	return t->tmp ? 0 : -ENOMEM;
}

void topn_free(struct topn *t)
{
	free(t->v);
	free(t->tmp);
	t->v = t->tmp = NULL;
	t->n = t->alloc = 0;
}

static void swap(struct topn *t, size_t i, size_t j)
{
	memcpy(t->tmp, topn_at(t, i), t->elem_size);
	memcpy(topn_at(t, i), topn_at(t, j), t->elem_size);
	memcpy(topn_at(t, j), t->tmp, t->elem_size);
}

static void sift_up(struct topn *t, size_t i)
{
	while (i && t->cmp(topn_at(t, i), topn_at(t, (i - 1) / 2)) < 0) {
		swap(t, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void sift_down(struct topn *t, size_t i)
{
	size_t l, low;

	for (;;) {
		l = 2 * i + 1;
		low = i;
		if (l < t->n && t->cmp(topn_at(t, l), topn_at(t, low)) < 0)
			low = l;
		if (l + 1 < t->n && t->cmp(topn_at(t, l + 1), topn_at(t, low)) < 0)
			low = l + 1;
		if (low == i)
			return;
		swap(t, i, low);
		i = low;
	}
}

static int reserve(struct topn *t)
{
	size_t alloc;
	unsigned char *v;

	if (t->n < t->alloc)
		return 0;
	/* Grow geometrically, never past the limit. */
	alloc = t->alloc ? t->alloc * 2 : 64;
	if (t->limit && alloc > t->limit)
		alloc = t->limit;
	v = realloc(t->v, alloc * t->elem_size);
	if (!v)
		return -ENOMEM;
	t->v = v;
	t->alloc = alloc;
	return 0;
}

int topn_push(struct topn *t, const void *elem)
{
	if (t->limit && t->n == t->limit) {
		/* Full: replace the lowest ranked row if this one ranks higher. */
		if (t->cmp(elem, topn_at(t, 0)) <= 0)
			return 0;
		memcpy(topn_at(t, 0), elem, t->elem_size);
		sift_down(t, 0);
		return 0;
	}
	if (reserve(t))
		return -ENOMEM;
	memcpy(topn_at(t, t->n), elem, t->elem_size);
	t->n++;
	if (t->limit)
		sift_up(t, t->n - 1);
	return 0;
}

static int cmp_desc(const void *a, const void *b, void *cmp)
{
	return (*(const topn_cmp *)cmp)(b, a);
}

void topn_finish(struct topn *t)
{
	if (t->n > 1)
		qsort_r(t->v, t->n, t->elem_size, cmp_desc, &t->cmp);
}
