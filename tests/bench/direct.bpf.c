// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark reference: the direct shared-hash design of issue 17.  One shared hash keyed like
 * xdpflow's flow key; per IP frame a lookup and three atomic adds, an insert when the flow is
 * new.  No per-CPU cache, no protocol counters, no times, no outer map.
 */
#include "xdpflow_abi.h"
#define BENCH_KEY struct xdpflow_flow_key
#include "bench_parse.h"

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
	struct frame_info fi = {};
	__u64 bytes = frame_bytes(ctx);

	classify(&fi, (void *)(long)ctx->data, (void *)(long)ctx->data_end);
	if (fi.class != CLASS_IP)
		return XDP_PASS;
	fi.key.ifindex = ctx->ingress_ifindex;
	v = bpf_map_lookup_elem(&direct_flows, &fi.key);
	if (v) {
		__sync_fetch_and_add(&v->packets, 1);
		__sync_fetch_and_add(&v->bytes, bytes);
		__sync_fetch_and_add(&v->ip_bytes, fi.ip_bytes);
		return XDP_PASS;
	}
	init.packets = 1;
	init.bytes = bytes;
	init.ip_bytes = fi.ip_bytes;
	bpf_map_update_elem(&direct_flows, &fi.key, &init, BPF_NOEXIST);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
