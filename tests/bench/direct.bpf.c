// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark reference: the direct shared-hash design of issue 17.  One shared hash keyed by
 * xdpflow's flow key; per IP frame a lookup and three atomic adds, an insert when the flow is
 * new.  No per-CPU cache, no protocol counters, no times, no outer map.  It parses with the
 * product's parser (xdp/xdpflow_parse.h), so the curve compares only how designs count.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "xdpflow_abi.h"
#include "xdpflow_parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XDPFLOW_DEFAULT_MAX_FLOWS);
	__type(key, struct xdpflow_flow_key);
	__type(value, struct xdpflow_flow_counters);
} direct_flows SEC(".maps");

SEC("xdp.frags")
int direct(struct xdp_md *ctx)
{
	struct xdpflow_flow_counters *v, init = {};
	struct frame_words fw;
	__u64 bytes;

	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_xdp_get_buff_len))
		bytes = bpf_xdp_get_buff_len(ctx);
	else
		bytes = ctx->data_end - ctx->data;
	if (classify_words(&fw, (void *)(long)ctx->data, (void *)(long)ctx->data_end, bytes) !=
	    CLASS_IP)
		return XDP_PASS;
	fw.w[4] |= ctx->ingress_ifindex;
	v = bpf_map_lookup_elem(&direct_flows, fw.w);
	if (v) {
		__sync_fetch_and_add(&v->packets, 1);
		__sync_fetch_and_add(&v->bytes, bytes);
		__sync_fetch_and_add(&v->ip_bytes, fw.ip_bytes);
		return XDP_PASS;
	}
	init.packets = 1;
	init.bytes = bytes;
	init.ip_bytes = fw.ip_bytes;
	bpf_map_update_elem(&direct_flows, fw.w, &init, BPF_NOEXIST);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
