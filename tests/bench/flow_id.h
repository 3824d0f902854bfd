/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The IPv4 source address of flow id in the curve benchmark (wrap.bpf.c and curve.c): a
 * bijection of the id, so that flows look like unrelated peers rather than consecutive
 * addresses, which a multiplicative hash would spread perfectly.
 */
#ifndef BENCH_FLOW_ID_H
#define BENCH_FLOW_ID_H

#include <linux/types.h>

static inline __u32 flow_source(__u32 id)
{
	id *= 0x2c1b3c6du;
	id ^= id >> 15;
	id *= 0x297a2d39u;
	id ^= id >> 12;
	return id;
}

#endif /* BENCH_FLOW_ID_H */
