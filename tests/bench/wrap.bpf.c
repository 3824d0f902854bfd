// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark driver for the flow-count curve (curve.c): run with BPF_PROG_TEST_RUN and a large
 * `repeat`, it rewrites the IPv4 source address of the (reused) test frame with the next flow
 * of the profile and tail-calls the design under test in slot 0 of `target`.  The flow is
 * either a per-CPU cursor over [0, flows) (round robin) or the cursor's entry of `sequence`
 * (Zipf and trace profiles), so one test run walks the profile without a syscall per frame.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "flow_id.h"

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} target SEC(".maps");

/* [0]: flows of a round robin, or 0; [1]: length of the sequence, or 0. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} profile SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* sized by curve.c */
	__type(key, __u32);
	__type(value, __u32);
} sequence SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cursor SEC(".maps");

#define SRC_OFFSET 26 /* Ethernet 14 + IPv4 source at 12 */

SEC("xdp.frags")
int wrap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 zero = 0, one = 1, *pos, *flows, *seq_len, *id, flow, next;

	if (data + SRC_OFFSET + 4 > end)
		return XDP_ABORTED;
	pos = bpf_map_lookup_elem(&cursor, &zero);
	flows = bpf_map_lookup_elem(&profile, &zero);
	seq_len = bpf_map_lookup_elem(&profile, &one);
	if (!pos || !flows || !seq_len)
		return XDP_ABORTED;
	flow = *pos;
	next = flow + 1;
	if (*seq_len) {
		if (next >= *seq_len)
			next = 0;
		id = bpf_map_lookup_elem(&sequence, &flow);
		if (!id)
			return XDP_ABORTED;
		flow = *id;
	} else if (next >= *flows) {
		next = 0;
	}
	*pos = next;
	*(__u32 *)(data + SRC_OFFSET) = flow_source(flow);
	bpf_tail_call(ctx, &target, 0);
	return XDP_ABORTED;
}

char _license[] SEC("license") = "GPL";
