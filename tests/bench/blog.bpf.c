// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark reference: the blog example's design rebuilt in libbpf C: two
 * shared hash maps, a lookup then an update on every packet, one keyed by
 * IP protocol and one by IPv4 source address.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} proto_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u64);
} src_count SEC(".maps");

static __always_inline void bump(void *map, __u32 *key)
{
	__u64 one = 1, *v = bpf_map_lookup_elem(map, key);

	if (v)
		one = *v + 1;
	bpf_map_update_elem(map, key, &one, BPF_ANY);
}

SEC("xdp")
int blog(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	__u32 proto = 0, src;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	proto = ip->protocol;
	src = ip->saddr;
	bump(&proto_count, &proto);
	bump(&src_count, &src);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
