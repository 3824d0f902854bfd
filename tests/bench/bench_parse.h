/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The first-round parser of the prototypes (proto.bpf.c without PC_WORDS): the counting rules of
 * docs/DESIGN.md with the flow key written field by field, kept so the curve can show what
 * building the key in 64-bit words (xdp/xdpflow_parse.h, the product's parser) saves.  The
 * includer defines BENCH_KEY (the flow key type) and, for a key with VLAN IDs, BENCH_KEY_VLAN.
 */
#ifndef BENCH_PARSE_H
#define BENCH_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>

#define VLAN_MAX_DEPTH 2
#define IPV6_EXT_MAX_DEPTH 8

enum frame_class { CLASS_NON_IP, CLASS_MALFORMED, CLASS_IP };

struct frame_info {
	BENCH_KEY key; /* ifindex filled in by the caller */
	enum frame_class class;
	__u32 ip_bytes;
	__u32 tcp_flags;
};

static __always_inline __u64 frame_bytes(struct xdp_md *ctx)
{
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_xdp_get_buff_len))
		return bpf_xdp_get_buff_len(ctx);
	return ctx->data_end - ctx->data;
}

static __always_inline int is_ipv6_ext(__u8 nexthdr)
{
	return nexthdr == 0 || nexthdr == 43 || nexthdr == 44 ||
	       nexthdr == 60 || nexthdr == 51 || nexthdr == 135;
}

static __always_inline void parse_l4(struct frame_info *fi, void *l4, void *end)
{
	switch (fi->key.proto) {
	case IPPROTO_TCP:
		if (l4 + 14 <= end)
			fi->tcp_flags = *(__u8 *)(l4 + 13);
		/* fall through */
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
		if (l4 + 4 <= end) {
			fi->key.sport = *(__u16 *)l4;
			fi->key.dport = *(__u16 *)(l4 + 2);
		}
		break;
	case IPPROTO_ICMP:
	case 58: /* IPPROTO_ICMPV6 */
		if (l4 + 2 <= end)
			fi->key.dport = *(__u16 *)l4;
		break;
	}
}

static __always_inline void parse_ipv4(struct frame_info *fi, void *ip, void *end)
{
	__u8 *b = ip;
	__u32 hlen;

	if (ip + 20 > end || (b[0] >> 4) != 4 || (b[0] & 0xf) < 5)
		return;
	hlen = (b[0] & 0xf) * 4;
	if (ip + hlen > end)
		return;
	fi->class = CLASS_IP;
	fi->key.family = 4;
	fi->key.proto = b[9];
	fi->ip_bytes = bpf_ntohs(*(__u16 *)(b + 2));
	__builtin_memcpy(fi->key.src, b + 12, 4);
	__builtin_memcpy(fi->key.dst, b + 16, 4);
	if (bpf_ntohs(*(__u16 *)(b + 6)) & 0x1fff)
		return;
	parse_l4(fi, ip + hlen, end);
}

static __always_inline void parse_ipv6(struct frame_info *fi, void *ip, void *end)
{
	__u8 *b = ip;
	void *hdr = ip + 40;
	__u8 nexthdr;
	int i;

	if (ip + 40 > end || (b[0] >> 4) != 6)
		return;
	fi->class = CLASS_IP;
	fi->key.family = 6;
	fi->ip_bytes = bpf_ntohs(*(__u16 *)(b + 4)) + 40;
	__builtin_memcpy(fi->key.src, b + 8, 16);
	__builtin_memcpy(fi->key.dst, b + 24, 16);
	nexthdr = b[6];
	for (i = 0; i < IPV6_EXT_MAX_DEPTH; i++) {
		__u8 *ext = hdr;
		__u32 len;

		if (!is_ipv6_ext(nexthdr))
			break;
		if (hdr + 8 > end) {
			fi->key.proto = nexthdr;
			return;
		}
		if (nexthdr == 44) {
			if (bpf_ntohs(*(__u16 *)(ext + 2)) & 0xfff8) {
				fi->key.proto = ext[0];
				return;
			}
			len = 8;
		} else if (nexthdr == 51) {
			len = (ext[1] + 2) * 4;
		} else {
			len = (ext[1] + 1) * 8;
		}
		nexthdr = ext[0];
		hdr += len;
	}
	fi->key.proto = nexthdr;
	if (!is_ipv6_ext(nexthdr))
		parse_l4(fi, hdr, end);
}

static __always_inline void classify(struct frame_info *fi, void *data, void *end)
{
	struct ethhdr *eth = data;
	void *hdr = data + sizeof(*eth);
	__u16 proto;
	int i;

	fi->class = CLASS_NON_IP;
	if (hdr > end)
		return;
	proto = eth->h_proto;
#pragma unroll
	for (i = 0; i < VLAN_MAX_DEPTH; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if (hdr + 4 > end)
			return;
#ifdef BENCH_KEY_VLAN
		/* VLAN ID: the low 12 bits of the TCI, kept in network byte order. */
		if (i == 0)
			fi->key.vlan_outer = *(__u16 *)hdr & bpf_htons(0x0fff);
		else
			fi->key.vlan_inner = *(__u16 *)hdr & bpf_htons(0x0fff);
#endif
		proto = *(__u16 *)(hdr + 2);
		hdr += 4;
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		fi->class = CLASS_MALFORMED;
		parse_ipv4(fi, hdr, end);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		fi->class = CLASS_MALFORMED;
		parse_ipv6(fi, hdr, end);
	}
}

#endif /* BENCH_PARSE_H */
