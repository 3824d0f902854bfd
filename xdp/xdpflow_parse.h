/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The xdpflow frame parser (the counting rules of docs/DESIGN.md): class, flow key, IP bytes and
 * TCP flags of a frame.  It builds the 48-byte flow key as six 64-bit words in registers and
 * stores each once: the cache hash and key compare read the key in 64-bit words, and a load
 * that spans several recent narrower stores (a key written field by field) cannot be forwarded
 * from the store buffer and waits for them to retire, which cost 3-10 ns a frame
 * (docs/PERFORMANCE.md).  Shared by xdp/xdpflow.bpf.c and the benchmark's designs.
 */
#ifndef XDPFLOW_PARSE_H
#define XDPFLOW_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define VLAN_MAX_DEPTH 2
#define IPV6_EXT_MAX_DEPTH 8

enum frame_class { CLASS_NON_IP, CLASS_MALFORMED, CLASS_IP };

/*
 * The flow key's words (the layout of struct xdpflow_flow_key on a little-endian machine):
 * 0-1 source, 2-3 destination, 4 ifindex | sport << 32 | dport << 48, 5 family | proto << 8 |
 * vlan_outer << 16 | vlan_inner << 32.  The caller ors the ifindex into w[4].
 */
struct frame_words {
	__u64 w[6];
	__u32 ip_bytes;
	__u32 tcp_flags;
};

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the key words assume little-endian");

/*
 * IP-layer bytes (IPFIX octets): the length the IP header claims, unless the
 * frame contradicts it.  held is what the frame holds from the IP header on
 * (every buffer of a multi-buffer frame).  A claim longer than that, or one
 * below the header's own length (0 is what segmentation offload and IPv6
 * jumbograms write), counts held instead: a sender cannot make a flow's
 * octets exceed its bytes on the wire, and Ethernet padding (held > claim)
 * is still left out.
 */
static __always_inline __u32 ip_bytes_held(__u32 claimed, __u32 header_len, __u64 held)
{
	if (claimed < header_len || claimed > held)
		return held;
	return claimed;
}

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

/*
 * Class of the frame at data (linear part up to end, len bytes in all, every buffer of a
 * multi-buffer frame); for CLASS_IP also fw, with the ifindex left 0 in w[4].
 */
static __always_inline int classify_words(struct frame_words *fw, void *data, void *end, __u64 len)
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
	for (i = 0; i < VLAN_MAX_DEPTH; i++) {
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
		ip_bytes = ip_bytes_held(bpf_ntohs(*(__u16 *)(b + 2)), hlen, len - (hdr - data));
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
		/* Payload length 0 claims less than the 41 bytes of a header with any payload. */
		ip_bytes = ip_bytes_held(bpf_ntohs(*(__u16 *)(b + 4)) + 40, 41, len - (hdr - data));
		s0 = *(__u64 *)(b + 8);
		s1 = *(__u64 *)(b + 16);
		d0 = *(__u64 *)(b + 24);
		d1 = *(__u64 *)(b + 32);
		nexthdr = b[6];
		/*
		 * Walk extension headers; where the chain is deeper than we walk or cut off by
		 * the end of the frame, the protocol is the next-header value we stopped at and
		 * there are no ports.
		 */
		for (i = 0; i < IPV6_EXT_MAX_DEPTH; i++) {
			__u8 *e = ext;
			__u32 ext_len;

			if (!is_ipv6_ext(nexthdr))
				break;
			if (ext + 8 > end)
				goto no_l4;
			if (nexthdr == 44) {
				/* Non-first fragment: upper protocol known, no L4 header. */
				if (*(__u16 *)(e + 2) & bpf_htons(0xfff8)) {
					nexthdr = e[0];
					goto no_l4;
				}
				ext_len = 8;
			} else if (nexthdr == 51) {
				ext_len = (e[1] + 2) * 4;
			} else {
				ext_len = (e[1] + 1) * 8;
			}
			nexthdr = e[0];
			ext += ext_len;
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

#endif /* XDPFLOW_PARSE_H */
