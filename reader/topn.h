/* SPDX-License-Identifier: GPL-2.0 */
/* The N largest rows of a stream, in a bounded min-heap (or every row, for a full sort). */
#ifndef XDPFLOW_TOPN_H
#define XDPFLOW_TOPN_H

#include <stddef.h>

/* <0 when a ranks below b, >0 above; never 0 for distinct rows (tie-break on the key). */
typedef int (*topn_cmp)(const void *a, const void *b);

struct topn {
	size_t limit; /* 0: keep every row */
	size_t n, alloc;
	size_t elem_size;
	topn_cmp cmp;
	unsigned char *v; /* while pushing, a min-heap when limit is set: v[0] ranks lowest */
	unsigned char *tmp;
};

int topn_init(struct topn *t, size_t limit, size_t elem_size, topn_cmp cmp);
void topn_free(struct topn *t);

/* Offer a row; kept if it ranks among the limit highest so far.  -ENOMEM. */
int topn_push(struct topn *t, const void *elem);

/* Sort what was kept, highest first; then rows are topn_at(t, 0..n-1). */
void topn_finish(struct topn *t);

static inline void *topn_at(const struct topn *t, size_t i)
{
	return t->v + i * t->elem_size;
}

#endif /* XDPFLOW_TOPN_H */
