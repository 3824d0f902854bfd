/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parser of bench_parse.h with the same counting rules, but it builds the 48-byte flow key
 * (with VLAN IDs) as six 64-bit words from registers, each stored once with a 64-bit store.
 * bench_parse.h writes the key field by field (4-, 2- and 1-byte stores over a zeroed key),
 * and the hash and the key compare then read it back in 64-bit words: a load that spans
 * several recent narrower stores cannot be forwarded from the store buffer and waits until
 * they retire.  proto.bpf.c with PC_WORDS uses this one.
 */
#ifndef BENCH_WORD_PARSE_H
#define BENCH_WORD_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum frame_class { CLASS_NON_IP, CLASS_MALFORMED, CLASS_IP };

/*
 * The key's words (little-endian layout of struct pc_flow_key): 0-1 source, 2-3 destination,
 * 4 ifindex | sport << 32 | dport << 48, 5 family | proto << 8 | vlan_outer << 16 |
 * vlan_inner << 32.
 */
struct frame_words {
	__u64 w[6];
	__u32 ip_bytes;
	__u32 tcp_flags;
};

static __always_inline int is_ipv6_ext(__u8 nexthdr)
{
	return nexthdr == 0 || nexthdr == 43 || nexthdr == 44 ||
	       nexthdr == 60 || nexthdr == 51 || nexthdr == 135;
}

/* Ports as the u32 at the L4 header (sport low, dport high, network order each). */
static __always_inline __u32 l4_ports(__u8 proto, void *l4, void *end, __u32 *flags)
{
	switch (proto) {
	case IPPROTO_TCP:
		if (l4 + 14 <= end)
			*flags = *(__u8 *)(l4 + 13);
		/* fall through */
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
		if (l4 + 4 <= end)
			return *(__u32 *)l4;
		break;
	case IPPROTO_ICMP:
	case 58: /* IPPROTO_ICMPV6 */
		if (l4 + 2 <= end)
			return (__u32)*(__u16 *)l4 << 16;
		break;
	}
	return 0;
}

/* Classify; for CLASS_IP fill fw (ifindex left 0 in w[4]). */
static __always_inline int classify_words(struct frame_words *fw, void *data, void *end)
{
	void *hdr = data + 14;
	__u64 s0 = 0, s1 = 0, d0 = 0, d1 = 0;
	__u32 vlans = 0, ports = 0, flags = 0, ip_bytes;
	__u16 proto;
	__u8 *b, l4proto;
	int i;

	if (hdr > end)
		return CLASS_NON_IP;
	proto = *(__u16 *)(data + 12);
#pragma unroll
	for (i = 0; i < 2; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if (hdr + 4 > end)
			return CLASS_NON_IP;
		/* VLAN ID: the low 12 bits of the TCI, in network byte order. */
		vlans |= (__u32)(*(__u16 *)hdr & bpf_htons(0x0fff)) << (16 * i);
		proto = *(__u16 *)(hdr + 2);
		hdr += 4;
	}
	b = hdr;
	if (proto == bpf_htons(ETH_P_IP)) {
		__u32 hlen;

		if (hdr + 20 > end || (b[0] >> 4) != 4 || (b[0] & 0xf) < 5)
			return CLASS_MALFORMED;
		hlen = (b[0] & 0xf) * 4;
		if (hdr + hlen > end)
			return CLASS_MALFORMED;
		l4proto = b[9];
		ip_bytes = bpf_ntohs(*(__u16 *)(b + 2));
		s0 = *(__u32 *)(b + 12);
		d0 = *(__u32 *)(b + 16);
		/* A non-first fragment carries no L4 header. */
		if (!(*(__u16 *)(b + 6) & bpf_htons(0x1fff)))
			ports = l4_ports(l4proto, hdr + hlen, end, &flags);
		fw->w[5] = 4 | (__u64)l4proto << 8 | (__u64)vlans << 16;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		void *ext = hdr + 40;
		__u8 nexthdr;

		if (hdr + 40 > end || (b[0] >> 4) != 6)
			return CLASS_MALFORMED;
		ip_bytes = bpf_ntohs(*(__u16 *)(b + 4)) + 40;
		s0 = *(__u64 *)(b + 8);
		s1 = *(__u64 *)(b + 16);
		d0 = *(__u64 *)(b + 24);
		d1 = *(__u64 *)(b + 32);
		nexthdr = b[6];
		for (i = 0; i < 8; i++) {
			__u8 *e = ext;
			__u32 len;

			if (!is_ipv6_ext(nexthdr))
				break;
			if (ext + 8 > end)
				goto no_l4;
			if (nexthdr == 44) {
				if (*(__u16 *)(e + 2) & bpf_htons(0xfff8)) {
					nexthdr = e[0];
					goto no_l4;
				}
				len = 8;
			} else if (nexthdr == 51) {
				len = (e[1] + 2) * 4;
			} else {
				len = (e[1] + 1) * 8;
			}
			nexthdr = e[0];
			ext += len;
		}
		if (!is_ipv6_ext(nexthdr))
			ports = l4_ports(nexthdr, ext, end, &flags);
no_l4:
		fw->w[5] = 6 | (__u64)nexthdr << 8 | (__u64)vlans << 16;
	} else {
		return CLASS_NON_IP;
	}
	fw->w[0] = s0;
	fw->w[1] = s1;
	fw->w[2] = d0;
	fw->w[3] = d1;
	fw->w[4] = (__u64)ports << 32;
	fw->ip_bytes = ip_bytes;
	fw->tcp_flags = flags;
	return CLASS_IP;
}

#endif /* BENCH_WORD_PARSE_H */
