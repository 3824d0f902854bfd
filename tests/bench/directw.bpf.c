// SPDX-License-Identifier: GPL-2.0
/*
 * The direct shared-hash design of direct.bpf.c with the parser of word_parse.h and its 48-byte
 * key (VLAN IDs): what the direct design costs when it parses as the product does.
 */
#include "xdpflow_abi.h"
#include "word_parse.h"
#include <bpf/bpf_core_read.h>

struct direct_key {
	__u64 w[6];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XDPFLOW_DEFAULT_MAX_FLOWS);
	__type(key, struct direct_key);
	__type(value, struct xdpflow_flow_counters);
} direct_flows SEC(".maps");

SEC("xdp.frags")
int directw(struct xdp_md *ctx)
{
	struct xdpflow_flow_counters *v, init = {};
	struct frame_words fw;
	__u64 bytes;

	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_xdp_get_buff_len))
		bytes = bpf_xdp_get_buff_len(ctx);
	else
		bytes = ctx->data_end - ctx->data;
	if (classify_words(&fw, (void *)(long)ctx->data, (void *)(long)ctx->data_end) != CLASS_IP)
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
