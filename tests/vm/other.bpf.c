// SPDX-License-Identifier: GPL-2.0
/* A second, independent XDP program for the VM tier: it shares a veth with xdpflow and xdp-filter. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <xdp/xdp_helpers.h>

/*
 * Priority 30: after xdp-filter (10), between xdpflow's default (5) and the late
 * priority the test also gives xdpflow (60), so the chain order is checked both ways.
 */
struct {
	__uint(priority, 30);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(vm_other);

/* Frames this program saw: the test checks it ran behind the filter. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} vm_other_frames SEC(".maps");

SEC("xdp")
int vm_other(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *frames = bpf_map_lookup_elem(&vm_other_frames, &key);

	(void)ctx;
	if (frames)
		__sync_fetch_and_add(frames, 1);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
