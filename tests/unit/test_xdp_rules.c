// SPDX-License-Identifier: GPL-2.0
/* Unit test: hand-built frames through the XDP program, one check per counting rule. */
#include "testlib.h"

/*
 * Every expectation below is written by hand from the counting rules
 * (docs/DESIGN.md, "Counting rules"): the class of each frame, its protocol, ports,
 * ip_bytes and TCP flags are literals worked out next to the frame.  The
 * program only ever runs; it never supplies an expected value.
 */

enum klass { NON_IP, MALFORMED, IP };

struct expect {
	enum klass klass;
	__u8 proto;
	__u16 sport, dport; /* host order; ICMP/ICMPv6: dport = type << 8 | code */
	__u32 ip_bytes;
	__u8 tcp_flags;
};

#define E_NON_IP ((struct expect){ .klass = NON_IP })
#define E_MALFORMED ((struct expect){ .klass = MALFORMED })
#define E_IP(p, sp, dp, ipb, fl) ((struct expect){ IP, (p), (sp), (dp), (ipb), (fl) })

#define LO_IFINDEX 1 /* BPF_PROG_TEST_RUN's default ingress interface */
#define MAX_FRAMES 32

static struct tl_xdp xdp;
static struct tl_frame frames[MAX_FRAMES];

static struct tl_frame *new_frame(size_t i)
{
	tl_frame_init(&frames[i]);
	return &frames[i];
}

/* Ethernet + IPv4 + UDP + payload bytes: 42 + payload bytes, ip_bytes 28 + payload. */
static struct tl_frame *udp4(size_t i, __u16 sport, __u16 dport, size_t payload)
{
	struct tl_frame *f = new_frame(i);

	tl_put_eth(f, TL_ETH_IPV4);
	tl_put_ipv4(f, &(struct tl_ipv4){ .proto = IPPROTO_UDP });
	tl_put_udp(f, sport, dport);
	tl_put_bytes(f, payload, 0x55);
	tl_frame_finish(f);
	return f;
}

/* Ethernet + IPv4 + TCP: 54 bytes, ip_bytes 40. */
static struct tl_frame *tcp4(size_t i, __u16 sport, __u16 dport, __u8 flags)
{
	struct tl_frame *f = new_frame(i);

	tl_put_eth(f, TL_ETH_IPV4);
	tl_put_ipv4(f, &(struct tl_ipv4){ .proto = IPPROTO_TCP });
	tl_put_tcp(f, sport, dport, flags);
	tl_frame_finish(f);
	return f;
}

/* Ethernet + IPv6 (next header nh) with nothing after it yet. */
static struct tl_frame *ip6(size_t i, __u8 nh)
{
	struct tl_frame *f = new_frame(i);

	tl_put_eth(f, TL_ETH_IPV6);
	tl_put_ipv6(f, &(struct tl_ipv6){ .nexthdr = nh });
	return f;
}

/* ------------------------------------------------------------------ */
/* Comparing the maps with the expectations                            */
/* ------------------------------------------------------------------ */

struct want {
	struct tl_counts counts;
	struct tl_flow flows[MAX_FRAMES];
	size_t nflows;
};

/* Expected counts and flows of frames[0..n) by the rules; ifindex is the key's. */
static void want_of(struct want *w, size_t n, const struct expect *e, __u32 ifindex)
{
	size_t i, j;

	memset(w, 0, sizeof(*w));
	for (i = 0; i < n; i++) {
		struct xdpflow_counter one = { 1, frames[i].len };
		struct tl_flow f = { .c = { 1, frames[i].len, e[i].ip_bytes, 0, 0,
					    e[i].tcp_flags } };

		tl_counter_add(&w->counts.total, &one);
		if (e[i].klass == NON_IP) {
			tl_counter_add(&w->counts.non_ip, &one);
			continue;
		}
		if (e[i].klass == MALFORMED) {
			tl_counter_add(&w->counts.malformed, &one);
			continue;
		}
		tl_counter_add(&w->counts.ip, &one);
		tl_counter_add(&w->counts.proto[frames[i].family == 6][e[i].proto], &one);
		tl_frame_key(&frames[i], &f.key, ifindex, e[i].proto, e[i].sport, e[i].dport);
		for (j = 0; j < w->nflows && tl_flow_cmp(&w->flows[j].key, &f.key); j++)
			;
		if (j == w->nflows)
			w->flows[w->nflows++] = f;
		else
			tl_flow_merge(&w->flows[j], &f);
	}
}

static void expect_counter(struct tl_check *c, const char *what, const struct xdpflow_counter *got,
			   const struct xdpflow_counter *want)
{
	tl_expect(c, got->packets == want->packets && got->bytes == want->bytes,
		  "%s: got %llu packets/%llu bytes, expected %llu/%llu", what,
		  (unsigned long long)got->packets, (unsigned long long)got->bytes,
		  (unsigned long long)want->packets, (unsigned long long)want->bytes);
}

static void expect_counts(struct tl_check *c, const struct tl_counts *got,
			  const struct tl_counts *want)
{
	char what[32];
	int f, p;

	expect_counter(c, "total", &got->total, &want->total);
	expect_counter(c, "non_ip", &got->non_ip, &want->non_ip);
	expect_counter(c, "malformed", &got->malformed, &want->malformed);
	expect_counter(c, "unrecorded", &got->unrecorded, &want->unrecorded);
	for (f = 0; f < 2; f++) {
		for (p = 0; p < 256; p++) {
			snprintf(what, sizeof(what), "IPv%d proto %d", f ? 6 : 4, p);
			expect_counter(c, what, &got->proto[f][p], &want->proto[f][p]);
		}
	}
}

static void expect_flow(struct tl_check *c, const struct tl_flows *fl, const struct tl_flow *w)
{
	const struct tl_flow *g = tl_flows_find(fl, &w->key);
	char k[160];

	tl_key_str(&w->key, k, sizeof(k));
	if (!tl_expect(c, g, "flow %s missing", k))
		return;
	tl_expect(c, g->c.packets == w->c.packets && g->c.bytes == w->c.bytes,
		  "flow %s: %llu packets/%llu bytes, expected %llu/%llu", k,
		  (unsigned long long)g->c.packets, (unsigned long long)g->c.bytes,
		  (unsigned long long)w->c.packets, (unsigned long long)w->c.bytes);
	tl_expect(c, g->c.ip_bytes == w->c.ip_bytes, "flow %s: ip_bytes %llu, expected %llu", k,
		  (unsigned long long)g->c.ip_bytes, (unsigned long long)w->c.ip_bytes);
	tl_expect(c, g->c.tcp_flags == w->c.tcp_flags, "flow %s: tcp_flags 0x%x, expected 0x%x", k,
		  g->c.tcp_flags, w->c.tcp_flags);
	tl_expect(c, g->c.first_seen && g->c.first_seen <= g->c.last_seen,
		  "flow %s: first_seen %llu, last_seen %llu", k,
		  (unsigned long long)g->c.first_seen, (unsigned long long)g->c.last_seen);
}

static void expect_no_other_flows(struct tl_check *c, const struct tl_flows *fl,
				  const struct want *w)
{
	char k[160];
	size_t i, j;

	for (i = 0; i < fl->n; i++) {
		for (j = 0; j < w->nflows && tl_flow_cmp(&w->flows[j].key, &fl->v[i].key); j++)
			;
		tl_expect(c, j < w->nflows, "unexpected flow %s",
			  tl_key_str(&fl->v[i].key, k, sizeof(k)));
	}
}

static bool run_frames(struct tl_check *c, size_t n, __u32 ifindex)
{
	__u32 verdict = 0;
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		err = tl_xdp_run(&xdp, frames[i].data, frames[i].len, ifindex, &verdict);
		if (!tl_expect(c, !err, "frame %zu (%zu bytes): test_run: %s", i, frames[i].len,
			       strerror(-err)))
			return false;
		tl_expect(c, verdict == XDP_PASS, "frame %zu: verdict %u, expected XDP_PASS (%u)",
			  i, verdict, XDP_PASS);
	}
	return true;
}

/*
 * Reset the maps, run frames[0..n) on ifindex (0: the default, lo) and
 * compare every counter and every flow with the expectations.  The merged
 * flows are left in *fl for callers that check more (free them).
 */
static void verify_frames(struct tl_check *c, size_t n, const struct expect *e, __u32 ifindex,
			  struct tl_flows *fl)
{
	__u32 key_ifindex = ifindex ? ifindex : LO_IFINDEX;
	struct tl_counts got, all;
	struct want w;
	size_t i;

	memset(fl, 0, sizeof(*fl));
	if (!tl_expect(c, !tl_xdp_reset(&xdp), "%s", tl_errmsg()) || !run_frames(c, n, ifindex))
		return;
	want_of(&w, n, e, key_ifindex);
	if (!tl_expect(c,
		       !tl_read_counts(&xdp, key_ifindex, &got) &&
			       !tl_read_counts(&xdp, TL_ANY_IFINDEX, &all) &&
			       !tl_read_flows(&xdp, fl),
		       "reading the maps: %s", tl_errmsg()))
		return;
	expect_counts(c, &got, &w.counts);
	expect_counter(c, "all interfaces", &all.total, &w.counts.total);
	tl_expect_u64(c, "flows", fl->n, w.nflows);
	for (i = 0; i < w.nflows; i++)
		expect_flow(c, fl, &w.flows[i]);
	expect_no_other_flows(c, fl, &w);
}

static bool check_frames(const char *name, size_t n, const struct expect *e, __u32 ifindex)
{
	struct tl_flows fl;
	struct tl_check c;

	tl_begin(&c, name);
	verify_frames(&c, n, e, ifindex, &fl);
	tl_flows_free(&fl);
	return tl_end(&c, NULL);
}

/* frames[0] alone on lo. */
static bool check_one(const char *name, struct expect e)
{
	return check_frames(name, 1, &e, 0);
}

/* ------------------------------------------------------------------ */
/* VLAN tags                                                           */
/* ------------------------------------------------------------------ */

static void test_vlan_none(void)
{
	udp4(0, 1000, 53, 18); /* 60 bytes, IPv4 total length 46 */
	check_one("vlan_none", E_IP(17, 1000, 53, 46, 0));
}

/* eth(tpid) + tag(0x0800) + IPv4 + UDP 1000>53 + 14 bytes: 60 bytes, ip_bytes 42. */
static void vlan_udp4(__u16 tpid)
{
	struct tl_frame *f = new_frame(0);

	tl_put_eth(f, tpid);
	tl_put_vlan(f, 100, TL_ETH_IPV4);
	tl_put_ipv4(f, &(struct tl_ipv4){ .proto = IPPROTO_UDP });
	tl_put_udp(f, 1000, 53);
	tl_put_bytes(f, 14, 0);
	tl_frame_finish(f);
}

static void test_vlan_8021q(void)
{
	vlan_udp4(TL_ETH_8021Q);
	check_one("vlan_8021q", E_IP(17, 1000, 53, 42, 0));
}

static void test_vlan_8021ad(void)
{
	vlan_udp4(TL_ETH_8021AD);
	check_one("vlan_8021ad", E_IP(17, 1000, 53, 42, 0));
}

/* Two tags in the given order, then TCP over IPv4 or IPv6. */
static struct tl_frame *two_tags(__u16 outer, __u16 inner, __u16 type)
{
	struct tl_frame *f = new_frame(0);

	tl_put_eth(f, outer);
	tl_put_vlan(f, 200, inner);
	tl_put_vlan(f, 100, type);
	return f;
}

static void test_vlan_8021ad_then_8021q(void)
{
	struct tl_frame *f = two_tags(TL_ETH_8021AD, TL_ETH_8021Q, TL_ETH_IPV6);

	tl_put_ipv6(f, &(struct tl_ipv6){ .nexthdr = IPPROTO_TCP });
	tl_put_tcp(f, 40000, 443, 0x02);
	tl_frame_finish(f); /* 14 + 8 + 40 + 20 = 82 bytes; payload 20 -> ip_bytes 60 */
	check_one("vlan_8021ad_then_8021q", E_IP(6, 40000, 443, 60, 0x02));
}

static void test_vlan_8021q_then_8021ad(void)
{
	struct tl_frame *f = two_tags(TL_ETH_8021Q, TL_ETH_8021AD, TL_ETH_IPV4);

	tl_put_ipv4(f, &(struct tl_ipv4){ .proto = IPPROTO_TCP });
	tl_put_tcp(f, 40001, 80, 0x10);
	tl_frame_finish(f); /* 62 bytes, ip_bytes 40 */
	check_one("vlan_8021q_then_8021ad", E_IP(6, 40001, 80, 40, 0x10));
}

static void test_vlan_8021q_twice(void)
{
	struct tl_frame *f = two_tags(TL_ETH_8021Q, TL_ETH_8021Q, TL_ETH_IPV4);

	tl_put_ipv4(f, &(struct tl_ipv4){ .proto = IPPROTO_ICMP });
	tl_put_icmp(f, 8, 0);
	tl_frame_finish(f); /* 50 bytes, ip_bytes 28; echo request: dport 0x0800 */
	check_one("vlan_8021q_twice", E_IP(1, 0, 0x0800, 28, 0));
}

static void test_vlan_third_tag_non_ip(void)
{
	struct tl_frame *f = two_tags(TL_ETH_8021Q, TL_ETH_8021AD, TL_ETH_8021Q);

	tl_put_vlan(f, 300, TL_ETH_IPV4); /* the third tag */
	tl_put_ipv4(f, &(struct tl_ipv4){ .proto = IPPROTO_UDP });
	tl_put_udp(f, 1000, 53);
	tl_frame_finish(f);
	check_one("vlan_third_tag_non_ip", E_NON_IP);
}

static void test_vlan_cut_off_tag_non_ip(void)
{
	struct tl_frame *f = new_frame(0);

	tl_put_eth(f, TL_ETH_8021Q);
	tl_put_bytes(f, 2, 0); /* 16 bytes: half a tag */
	check_one("vlan_cut_off_first_tag_non_ip", E_NON_IP);

	f = two_tags(TL_ETH_8021AD, TL_ETH_8021Q, TL_ETH_IPV4);
	tl_frame_cut(f, 21); /* second tag has 3 of its 4 bytes */
	check_one("vlan_cut_off_second_tag_non_ip", E_NON_IP);
}

static void test_vlan_then_arp_non_ip(void)
{
	struct tl_frame *f = new_frame(0);

	tl_put_eth(f, TL_ETH_8021Q);
	tl_put_vlan(f, 100, TL_ETH_ARP);
	tl_put_arp(f);
	check_one("vlan_then_arp_non_ip", E_NON_IP);
}

static void test_vlan_then_no_ip_header_malformed(void)
{
	struct tl_frame *f = new_frame(0);

	tl_put_eth(f, TL_ETH_8021Q);
	tl_put_vlan(f, 100, TL_ETH_IPV4); /* 18 bytes: 0x0800 with 0 bytes of IP */
	check_one("vlan_then_no_ip_header_malformed", E_MALFORMED);
}

/* ------------------------------------------------------------------ */
/* IPv4                                                                */
/* ------------------------------------------------------------------ */

static void test_ipv4_options(void)
{
	char name[64];
	__u8 ihl;

	for (ihl = 6; ihl <= 15; ihl++) {
		struct tl_frame *f = new_frame(0);

		tl_put_eth(f, TL_ETH_IPV4);
		tl_put_ipv4(f, &(struct tl_ipv4){ .proto = IPPROTO_TCP, .ihl = ihl });
		tl_put_tcp(f, 40000, 443, 0x18);
		tl_frame_finish(f); /* ip_bytes = header 4 * ihl + TCP 20 */
		snprintf(name, sizeof(name), "ipv4_options_ihl_%u", ihl);
		check_one(name, E_IP(6, 40000, 443, 4u * ihl + 20, 0x18));
	}
}

/* IPv4 + UDP 5000>6000 + 100 bytes with the given flags/offset: 142 bytes, ip_bytes 128. */
static void udp4_frag(__u16 frag)
{
	struct tl_frame *f = new_frame(0);

	tl_put_eth(f, TL_ETH_IPV4);
	tl_put_ipv4(f, &(struct tl_ipv4){ .proto = IPPROTO_UDP, .frag = frag });
	tl_put_udp(f, 5000, 6000);
	tl_put_bytes(f, 100, 0x66);
	tl_frame_finish(f);
}

static void test_ipv4_first_fragment_has_ports(void)
{
	udp4_frag(0x2000); /* MF, offset 0 */
	check_one("ipv4_first_fragment_has_ports", E_IP(17, 5000, 6000, 128, 0));
	udp4_frag(0x4000); /* DF, offset 0: not a fragment at all */
	check_one("ipv4_dont_fragment_has_ports", E_IP(17, 5000, 6000, 128, 0));
}

static void test_ipv4_non_first_fragment_no_ports(void)
{
	udp4_frag(0x2000 | 185); /* MF, offset 185 * 8 = 1480 */
	check_one("ipv4_middle_fragment_no_ports", E_IP(17, 0, 0, 128, 0));
	udp4_frag(0x0001); /* last fragment, offset 8 */
	check_one("ipv4_last_fragment_no_ports", E_IP(17, 0, 0, 128, 0));
	/* The offset is 13 bits: offsets of 4096 and above (bit 12) are fragments too. */
	udp4_frag(0x1000); /* offset 4096 * 8: only the offset's top bit */
	check_one("ipv4_fragment_offset_4096_no_ports", E_IP(17, 0, 0, 128, 0));
	udp4_frag(0x2000 | 0x1000); /* MF and offset 4096 */
	check_one("ipv4_fragment_mf_offset_4096_no_ports", E_IP(17, 0, 0, 128, 0));
	udp4_frag(0x1fff); /* the largest offset */
	check_one("ipv4_fragment_offset_8191_no_ports", E_IP(17, 0, 0, 128, 0));
	udp4_frag(0x4000 | 0x1800); /* DF with offset 6144: an offset all the same */
	check_one("ipv4_fragment_df_offset_6144_no_ports", E_IP(17, 0, 0, 128, 0));
	/* The flags are not the offset: the reserved bit alone leaves a first fragment. */
	udp4_frag(0x8000);
	check_one("ipv4_reserved_flag_offset_0_has_ports", E_IP(17, 5000, 6000, 128, 0));
	udp4_frag(0x8000 | 0x4000 | 0x2000);
	check_one("ipv4_all_flags_offset_0_has_ports", E_IP(17, 5000, 6000, 128, 0));

	/* The TCP flags byte is not read either. */
	tcp4(0, 40000, 443, 0x02);
	tl_put_be16(frames[0].data + 14 + 6, 0x0010);
	check_one("ipv4_non_first_fragment_no_tcp_flags", E_IP(6, 0, 0, 40, 0));
}

/*
 * ip_bytes is the IP length field unless the frame contradicts it: a claim
 * beyond the bytes the frame holds from the IP header on, or one below the
 * header's own length, counts the bytes held (docs/DESIGN.md).
 */
static void test_ipv4_ip_bytes_held(void)
{
	struct tl_frame *f = udp4(0, 1000, 53, 18); /* 60 bytes: 46 of IPv4, as claimed */

	check_one("ipv4_ip_bytes_total_length_field", E_IP(17, 1000, 53, 46, 0));
	tl_frame_set_ip_len(f, 1500); /* a 60-byte frame claiming 1500: it holds 46 */
	check_one("ipv4_ip_bytes_claim_over_frame_46", E_IP(17, 1000, 53, 46, 0));
	tl_frame_set_ip_len(f, 65535);
	check_one("ipv4_ip_bytes_claim_65535_46", E_IP(17, 1000, 53, 46, 0));
	tl_frame_set_ip_len(f, 47); /* one byte more than held */
	check_one("ipv4_ip_bytes_claim_held_plus_1_46", E_IP(17, 1000, 53, 46, 0));
	tl_frame_set_ip_len(f, 0); /* what segmentation offload writes */
	check_one("ipv4_ip_bytes_total_length_0_46", E_IP(17, 1000, 53, 46, 0));
	tl_frame_set_ip_len(f, 19); /* below the 20-byte header */
	check_one("ipv4_ip_bytes_below_header_46", E_IP(17, 1000, 53, 46, 0));
	tl_frame_set_ip_len(f, 20); /* exactly the header: a claim the frame allows */
	check_one("ipv4_ip_bytes_header_only_20", E_IP(17, 1000, 53, 20, 0));

	/* The tcpdump corpus case: 12,336 (0x3030) claimed in a 48-byte frame holding 34. */
	f = udp4(0, 1000, 53, 6);
	tl_frame_set_ip_len(f, 12336);
	check_one("ipv4_ip_bytes_12336_in_48_byte_frame_34", E_IP(17, 1000, 53, 34, 0));

	f = udp4(0, 1000, 53, 0); /* total length 28 ... */
	tl_put_bytes(f, 18, 0); /* ... in a frame padded to 60: padding is not IP */
	check_one("ipv4_padded_frame_ip_bytes_28", E_IP(17, 1000, 53, 28, 0));

	/* Options: IHL 6 (24 bytes) with a total length of 22, below it. */
	f = new_frame(0);
	tl_put_eth(f, TL_ETH_IPV4);
	tl_put_ipv4(f, &(struct tl_ipv4){ .proto = IPPROTO_UDP, .ihl = 6 });
	tl_put_udp(f, 1000, 53);
	tl_frame_finish(f); /* 14 + 24 + 8 = 46 bytes, 32 of IPv4 */
	tl_frame_set_ip_len(f, 22);
	check_one("ipv4_ip_bytes_below_ihl_header_32", E_IP(17, 1000, 53, 32, 0));

	/* VLAN tags are not IP bytes: 60-byte tagged frame, 42 held, claiming 1500. */
	vlan_udp4(TL_ETH_8021Q);
	tl_frame_set_ip_len(&frames[0], 1500);
	check_one("ipv4_ip_bytes_vlan_claim_over_frame_42", E_IP(17, 1000, 53, 42, 0));
	f = two_tags(TL_ETH_8021AD, TL_ETH_8021Q, TL_ETH_IPV4);
	tl_put_ipv4(f, &(struct tl_ipv4){ .proto = IPPROTO_UDP });
	tl_put_udp(f, 1000, 53);
	tl_frame_finish(f); /* 14 + 8 + 28 = 50 bytes */
	tl_frame_set_ip_len(f, 0);
	check_one("ipv4_ip_bytes_qinq_total_length_0_28", E_IP(17, 1000, 53, 28, 0));
}

/* ------------------------------------------------------------------ */
/* IPv6 and its extension headers                                      */
/* ------------------------------------------------------------------ */

static void test_ipv6_no_ext(void)
{
	struct tl_frame *f = ip6(0, IPPROTO_UDP);

	tl_put_udp(f, 1000, 53);
	tl_put_bytes(f, 12, 0);
	tl_frame_finish(f); /* 74 bytes, payload 20 -> ip_bytes 60 */
	check_one("ipv6_no_ext", E_IP(17, 1000, 53, 60, 0));
}

static void test_ipv6_ext_0_hop_by_hop(void)
{
	struct tl_frame *f = ip6(0, 0);

	tl_put_ip6_ext(f, 0, IPPROTO_UDP, 0); /* 8 bytes */
	tl_put_udp(f, 1000, 53);
	tl_frame_finish(f); /* payload 16 -> 56 */
	check_one("ipv6_ext_0_hop_by_hop", E_IP(17, 1000, 53, 56, 0));

	f = ip6(0, 0);
	tl_put_ip6_ext(f, 0, IPPROTO_UDP, 1); /* 16 bytes */
	tl_put_udp(f, 1000, 53);
	tl_frame_finish(f); /* payload 24 -> 64 */
	check_one("ipv6_ext_0_hop_by_hop_16_bytes", E_IP(17, 1000, 53, 64, 0));
}

static void test_ipv6_ext_43_routing(void)
{
	struct tl_frame *f = ip6(0, 43);

	tl_put_ip6_ext(f, 43, IPPROTO_TCP, 2); /* 24 bytes */
	tl_put_tcp(f, 40000, 443, 0x02);
	tl_frame_finish(f); /* payload 44 -> 84 */
	check_one("ipv6_ext_43_routing", E_IP(6, 40000, 443, 84, 0x02));
}

static void test_ipv6_ext_44_first_fragment(void)
{
	struct tl_frame *f = ip6(0, 44);

	tl_put_ip6_frag(f, IPPROTO_UDP, 0, true);
	tl_put_udp(f, 1000, 53);
	tl_put_bytes(f, 8, 0);
	tl_frame_finish(f); /* payload 24 -> 64 */
	check_one("ipv6_ext_44_first_fragment", E_IP(17, 1000, 53, 64, 0));
}

static void test_ipv6_ext_44_non_first_fragment(void)
{
	struct tl_frame *f = ip6(0, 44);

	tl_put_ip6_frag(f, IPPROTO_UDP, 100, false);
	tl_put_udp(f, 1000, 53); /* looks like ports, but is the middle of the datagram */
	tl_frame_finish(f); /* payload 16 -> 56 */
	check_one("ipv6_ext_44_non_first_fragment", E_IP(17, 0, 0, 56, 0));

	f = ip6(0, 44);
	tl_put_ip6_frag(f, 60, 10, true); /* next header an ext header: it is the protocol */
	tl_put_bytes(f, 16, 0);
	tl_frame_finish(f); /* payload 24 -> 64 */
	check_one("ipv6_ext_44_non_first_fragment_of_ext", E_IP(60, 0, 0, 64, 0));
}

static void test_ipv6_ext_60_destination(void)
{
	struct tl_frame *f = ip6(0, 60);

	tl_put_ip6_ext(f, 60, IPPROTO_TCP, 1); /* 16 bytes */
	tl_put_tcp(f, 40000, 22, 0x12);
	tl_frame_finish(f); /* payload 36 -> 76 */
	check_one("ipv6_ext_60_destination", E_IP(6, 40000, 22, 76, 0x12));
}

static void test_ipv6_ext_51_ah(void)
{
	struct tl_frame *f = ip6(0, 51);

	/*
	 * AH length 4 means (4 + 2) * 4 = 24 bytes; the (4 + 1) * 8 = 40 of
	 * other headers would land in the payload, whose 0x77 bytes would
	 * give ports 0x7777.
	 */
	tl_put_ip6_ext(f, 51, IPPROTO_UDP, 4);
	tl_put_udp(f, 4500, 4500);
	tl_put_bytes(f, 16, 0x77);
	tl_frame_finish(f); /* payload 48 -> 88 */
	check_one("ipv6_ext_51_ah", E_IP(17, 4500, 4500, 88, 0));
}

static void test_ipv6_ext_135_mobility(void)
{
	struct tl_frame *f = ip6(0, 135);

	tl_put_ip6_ext(f, 135, IPPROTO_UDP, 1); /* 16 bytes */
	tl_put_udp(f, 7000, 7001);
	tl_frame_finish(f); /* payload 24 -> 64 */
	check_one("ipv6_ext_135_mobility", E_IP(17, 7000, 7001, 64, 0));
}

/* IPv6 whose chain is types[0..n) (8 bytes each), then UDP 1000>53. */
static void ext_chain(const __u8 *types, size_t n)
{
	struct tl_frame *f = ip6(0, types[0]);
	size_t i;

	for (i = 0; i < n; i++) {
		__u8 next = i + 1 < n ? types[i + 1] : IPPROTO_UDP;

		if (types[i] == 44)
			tl_put_ip6_frag(f, next, 0, true);
		else
			tl_put_ip6_ext(f, types[i], next, 0); /* AH: (0 + 2) * 4 = 8 too */
	}
	tl_put_udp(f, 1000, 53);
	tl_frame_finish(f);
}

static void test_ipv6_ext_chain_depth(void)
{
	static const __u8 eight[] = { 0, 44, 43, 60, 135, 51, 60, 43 };
	static const __u8 nine[] = { 0, 43, 60, 60, 60, 60, 60, 60, 60 };

	ext_chain(eight, 8); /* payload 64 + 8 -> 112 */
	check_one("ipv6_ext_chain_8_deep", E_IP(17, 1000, 53, 112, 0));
	ext_chain(nine, 9); /* the walk stops at the 9th header: 60; payload 80 -> 120 */
	check_one("ipv6_ext_chain_9_deep", E_IP(60, 0, 0, 120, 0));
}

static void test_ipv6_ext_cut_off(void)
{
	struct tl_frame *f = ip6(0, 0);

	tl_put_ip6_ext(f, 0, IPPROTO_UDP, 0);
	tl_put_udp(f, 1000, 53);
	tl_frame_finish(f); /* payload 16 -> 56 */
	tl_frame_cut(f, 14 + 40 + 7); /* 7 bytes of the hop-by-hop header: it holds 47 of 56 */
	check_one("ipv6_ext_cut_off_first", E_IP(0, 0, 0, 47, 0));

	f = ip6(0, 0);
	tl_put_ip6_ext(f, 0, 43, 0);
	tl_put_ip6_ext(f, 43, IPPROTO_TCP, 0);
	tl_put_tcp(f, 40000, 443, 0x02);
	tl_frame_finish(f); /* payload 36 -> 76 */
	tl_frame_cut(f, 14 + 40 + 8 + 5); /* routing header cut after 5 bytes: 53 of 76 */
	check_one("ipv6_ext_cut_off_second", E_IP(43, 0, 0, 53, 0));
}

static void test_ipv6_ext_longer_than_frame(void)
{
	struct tl_frame *f = ip6(0, 60);

	tl_put_ip6_ext(f, 60, IPPROTO_UDP, 3); /* 32 bytes */
	tl_put_udp(f, 1000, 53);
	tl_frame_finish(f); /* payload 40 -> 80 */
	/* 20 of its 32 bytes: walkable (8 there), but UDP lies beyond the end. */
	tl_frame_cut(f, 14 + 40 + 20); /* ip_bytes: the 60 of 80 held */
	check_one("ipv6_ext_longer_than_frame", E_IP(17, 0, 0, 60, 0));
}

static void test_ipv6_no_next_header(void)
{
	ip6(0, 59);
	tl_frame_finish(&frames[0]); /* exactly 40 bytes of IPv6: valid, ip_bytes 40 */
	check_one("ipv6_no_next_header_59", E_IP(59, 0, 0, 40, 0));
}

/* ------------------------------------------------------------------ */
/* ICMP, TCP flags, truncated L4                                       */
/* ------------------------------------------------------------------ */

static void icmp4(size_t i, __u8 type, __u8 code)
{
	struct tl_frame *f = new_frame(i);

	tl_put_eth(f, TL_ETH_IPV4);
	tl_put_ipv4(f, &(struct tl_ipv4){ .proto = IPPROTO_ICMP });
	tl_put_icmp(f, type, code);
	tl_frame_finish(f); /* 42 bytes, ip_bytes 28 */
}

static void test_icmp_type_code_in_dport(void)
{
	icmp4(0, 8, 0);
	check_one("icmp_echo_request_dport_0x0800", E_IP(1, 0, 0x0800, 28, 0));
	icmp4(0, 3, 1);
	check_one("icmp_host_unreachable_dport_0x0301", E_IP(1, 0, 0x0301, 28, 0));
	icmp4(0, 3, 1);
	tl_frame_cut(&frames[0], 14 + 20 + 1); /* 1 byte: no type/code pair; 21 of 28 held */
	check_one("icmp_1_byte_dport_0", E_IP(1, 0, 0, 21, 0));
	icmp4(0, 11, 0);
	tl_frame_cut(&frames[0], 14 + 20 + 2); /* exactly type and code; 22 of 28 held */
	check_one("icmp_2_bytes_dport_0x0b00", E_IP(1, 0, 0x0b00, 22, 0));
}

static void test_icmpv6_type_code_in_dport(void)
{
	struct tl_frame *f = ip6(0, 58);

	tl_put_icmp(f, 128, 0);
	tl_frame_finish(f); /* payload 8 -> 48 */
	check_one("icmpv6_echo_request_dport_0x8000", E_IP(58, 0, 0x8000, 48, 0));

	f = ip6(0, 58);
	tl_put_icmp(f, 1, 4);
	tl_frame_finish(f);
	check_one("icmpv6_port_unreachable_dport_0x0104", E_IP(58, 0, 0x0104, 48, 0));

	f = ip6(0, 0);
	tl_put_ip6_ext(f, 0, 58, 0);
	tl_put_icmp(f, 143, 0); /* MLDv2 report behind hop-by-hop */
	tl_frame_finish(f); /* payload 16 -> 56 */
	check_one("icmpv6_after_hop_by_hop_dport_0x8f00", E_IP(58, 0, 0x8f00, 56, 0));
}

static void test_tcp_flags_or_across_segments(void)
{
	static const __u8 flags[] = { 0x02, 0x10, 0x18, 0x11, 0xc2 };
	struct expect e[6];
	struct tl_flows fl;
	struct tl_check c;
	size_t i;

	for (i = 0; i < 5; i++) {
		tcp4(i, 40000, 443, flags[i]); /* 54 bytes, ip_bytes 40 */
		e[i] = E_IP(6, 40000, 443, 40, flags[i]);
	}
	/* The reply is another flow with its own flags. */
	tcp4(5, 443, 40000, 0x12);
	memcpy(frames[5].data + 26, frames[0].data + 30, 4);
	memcpy(frames[5].data + 30, frames[0].data + 26, 4);
	memcpy(frames[5].src, frames[0].dst, 16);
	memcpy(frames[5].dst, frames[0].src, 16);
	e[5] = E_IP(6, 443, 40000, 40, 0x12);

	tl_begin(&c, "tcp_flags_or_across_segments");
	verify_frames(&c, 6, e, 0, &fl);
	for (i = 0; i < fl.n; i++) /* 0x02|0x10|0x18|0x11|0xc2 = 0xdb */
		tl_expect(&c,
			  fl.v[i].c.tcp_flags == (ntohs(fl.v[i].key.sport) == 443 ? 0x12u : 0xdbu),
			  "flags 0x%x", fl.v[i].c.tcp_flags);
	tl_flows_free(&fl);
	tl_end(&c, "5 segments: flags 0xdb; reply: 0x12");
}

static void test_tcp_truncated(void)
{
	char name[64];
	size_t n;

	tcp4(0, 40000, 443, 0x02);
	tl_frame_cut(&frames[0], 14 + 20 + 2);
	check_one("tcp_2_bytes_no_ports", E_IP(6, 0, 0, 22, 0)); /* ip_bytes: the 22 of 40 held */
	for (n = 4; n <= 13; n++) {
		tcp4(0, 40000, 443, 0x02);
		tl_frame_cut(&frames[0], 14 + 20 + n);
		snprintf(name, sizeof(name), "tcp_%zu_bytes_ports_no_flags", n);
		check_one(name, E_IP(6, 40000, 443, (__u32)(20 + n), 0));
	}
	tcp4(0, 40000, 443, 0x02);
	tl_frame_cut(&frames[0], 14 + 20 + 14);
	check_one("tcp_14_bytes_ports_and_flags", E_IP(6, 40000, 443, 34, 0x02));
}

static void test_tcp6_truncated(void)
{
	struct tl_frame *f = ip6(0, IPPROTO_TCP);

	tl_put_tcp(f, 40000, 443, 0x02);
	tl_frame_finish(f); /* payload 20 -> 60 */
	tl_frame_cut(f, 14 + 40 + 13); /* 53 of 60 held */
	check_one("tcp6_13_bytes_ports_no_flags", E_IP(6, 40000, 443, 53, 0));
}

/* IPv4 + an L4 header of size bytes starting with ports 5060 > 5061. */
static void ports4(size_t i, __u8 proto, size_t size)
{
	struct tl_frame *f = new_frame(i);

	tl_put_eth(f, TL_ETH_IPV4);
	tl_put_ipv4(f, &(struct tl_ipv4){ .proto = proto });
	tl_put_ports(f, 5060, 5061, size);
	tl_frame_finish(f); /* ip_bytes 20 + size */
}

static void test_ports_per_protocol(void)
{
	ports4(0, IPPROTO_UDP, 8);
	tl_frame_cut(&frames[0], 14 + 20 + 3);
	check_one("udp_3_bytes_no_ports", E_IP(17, 0, 0, 23, 0)); /* 23 of 28 held */
	ports4(0, IPPROTO_UDP, 8);
	tl_frame_cut(&frames[0], 14 + 20 + 4);
	check_one("udp_4_bytes_ports", E_IP(17, 5060, 5061, 24, 0));
	ports4(0, IPPROTO_SCTP, 12);
	check_one("sctp_ports", E_IP(132, 5060, 5061, 32, 0));
	ports4(0, IPPROTO_SCTP, 12);
	tl_frame_cut(&frames[0], 14 + 20 + 3);
	check_one("sctp_3_bytes_no_ports", E_IP(132, 0, 0, 23, 0));
	ports4(0, IPPROTO_UDPLITE, 8);
	check_one("udplite_ports", E_IP(136, 5060, 5061, 28, 0));
	ports4(0, IPPROTO_GRE, 8);
	check_one("gre_no_ports", E_IP(47, 0, 0, 28, 0));
	ports4(0, IPPROTO_ESP, 16);
	check_one("esp_no_ports", E_IP(50, 0, 0, 36, 0));
	ports4(0, IPPROTO_DCCP, 16); /* DCCP has ports, but the rules do not list it */
	check_one("dccp_no_ports", E_IP(33, 0, 0, 36, 0));
}

/* ------------------------------------------------------------------ */
/* Malformed IP headers                                                */
/* ------------------------------------------------------------------ */

static void test_ipv4_bad_version_malformed(void)
{
	struct tl_frame *f = new_frame(0);

	tl_put_eth(f, TL_ETH_IPV4);
	tl_put_ipv4(f, &(struct tl_ipv4){ .proto = IPPROTO_UDP, .version = 5 });
	tl_put_udp(f, 1000, 53);
	tl_frame_finish(f);
	check_one("ipv4_version_5_malformed", E_MALFORMED);

	f = new_frame(0);
	tl_put_eth(f, TL_ETH_IPV4); /* an IPv6 packet behind 0x0800 */
	tl_put_ipv6(f, &(struct tl_ipv6){ .nexthdr = IPPROTO_UDP });
	tl_put_udp(f, 1000, 53);
	tl_frame_finish(f);
	check_one("ipv4_version_6_malformed", E_MALFORMED);
}

static void test_ipv4_bad_ihl_malformed(void)
{
	udp4(0, 1000, 53, 18);
	frames[0].data[14] = 0x44;
	check_one("ipv4_ihl_4_malformed", E_MALFORMED);
	udp4(0, 1000, 53, 18);
	frames[0].data[14] = 0x40;
	check_one("ipv4_ihl_0_malformed", E_MALFORMED);
}

static void test_ipv4_truncated_malformed(void)
{
	struct tl_frame *f = udp4(0, 1000, 53, 18);

	tl_frame_cut(f, 14 + 19);
	check_one("ipv4_19_bytes_malformed", E_MALFORMED);

	f = new_frame(0);
	tl_put_eth(f, TL_ETH_IPV4);
	tl_put_ipv4(f, &(struct tl_ipv4){ .proto = IPPROTO_UDP, .ihl = 15 });
	tl_frame_finish(f);
	tl_frame_cut(f, 14 + 59); /* IHL says 60 bytes */
	check_one("ipv4_shorter_than_ihl_malformed", E_MALFORMED);

	f = new_frame(0);
	tl_put_eth(f, TL_ETH_IPV4);
	tl_put_ipv4(f, &(struct tl_ipv4){ .proto = IPPROTO_TCP, .ihl = 6 });
	tl_frame_finish(f); /* exactly IHL * 4 = 24 bytes: valid, no L4 */
	check_one("ipv4_exactly_ihl_bytes_ok", E_IP(6, 0, 0, 24, 0));
}

static void test_ipv6_truncated_or_bad_version_malformed(void)
{
	struct tl_frame *f = ip6(0, IPPROTO_UDP);

	tl_put_udp(f, 1000, 53);
	tl_frame_finish(f);
	tl_frame_cut(f, 14 + 39);
	check_one("ipv6_39_bytes_malformed", E_MALFORMED);

	f = new_frame(0);
	tl_put_eth(f, TL_ETH_IPV6); /* an IPv4 packet behind 0x86DD */
	tl_put_ipv4(f, &(struct tl_ipv4){ .proto = IPPROTO_UDP });
	tl_put_udp(f, 1000, 53);
	tl_put_bytes(f, 20, 0);
	tl_frame_finish(f);
	check_one("ipv6_version_4_malformed", E_MALFORMED);
}

static void test_14_byte_frames(void)
{
	new_frame(0);
	tl_put_eth(&frames[0], TL_ETH_IPV4);
	check_one("eth_14_bytes_ipv4_malformed", E_MALFORMED);
	new_frame(0);
	tl_put_eth(&frames[0], TL_ETH_IPV6);
	check_one("eth_14_bytes_ipv6_malformed", E_MALFORMED);
	new_frame(0);
	tl_put_eth(&frames[0], TL_ETH_ARP);
	check_one("eth_14_bytes_arp_non_ip", E_NON_IP);
}

static void test_shorter_than_14_non_ip(void)
{
	__u32 verdict;
	int err;

	new_frame(0);
	tl_put_eth(&frames[0], TL_ETH_IPV4);
	tl_frame_cut(&frames[0], 13);
	tl_xdp_reset(&xdp);
	err = tl_xdp_run(&xdp, frames[0].data, frames[0].len, 0, &verdict);
	if (err == -EINVAL) {
		tl_skip("frame_13_bytes_non_ip",
			"BPF_PROG_TEST_RUN refuses frames shorter than 14 bytes (EINVAL)");
		return;
	}
	check_one("frame_13_bytes_non_ip", E_NON_IP);
}

/* ------------------------------------------------------------------ */
/* Non-IP frames and a mix                                             */
/* ------------------------------------------------------------------ */

static void test_arp_non_ip(void)
{
	struct tl_frame *f = new_frame(0);

	tl_put_eth(f, TL_ETH_ARP);
	tl_put_arp(f);
	tl_put_bytes(f, 18, 0);
	check_one("arp_non_ip", E_NON_IP);
}

static void test_unknown_ethertypes_non_ip(void)
{
	/* LLDP, MPLS (with IPv4 inside), 0, 0xffff, an 802.3 length, off-by-one IP types. */
	static const __u16 types[] = { 0x88cc, 0x8847, 0x0000, 0xffff, 0x002e, 0x86dc, 0x0801 };
	struct expect e[7];
	size_t i;

	for (i = 0; i < 7; i++) {
		udp4(i, 1000, 53, 18);
		tl_put_be16(frames[i].data + 12, types[i]);
		e[i] = E_NON_IP;
	}
	check_frames("unknown_ethertypes_non_ip", 7, e, 0);
}

static void test_multi_protocol_mix(void)
{
	struct expect e[16];
	struct tl_frame *f;
	size_t n = 0;

	udp4(n, 1000, 53, 30), e[n++] = E_IP(17, 1000, 53, 58, 0);
	udp4(n, 1000, 53, 100), e[n++] = E_IP(17, 1000, 53, 128, 0); /* same flow */
	tcp4(n, 50000, 80, 0x02), e[n++] = E_IP(6, 50000, 80, 40, 0x02);
	icmp4(n, 0, 0), e[n++] = E_IP(1, 0, 0x0000, 28, 0); /* echo reply */
	ports4(n, IPPROTO_GRE, 8), e[n++] = E_IP(47, 0, 0, 28, 0);
	ports4(n, IPPROTO_SCTP, 12), e[n++] = E_IP(132, 5060, 5061, 32, 0);
	ports4(n, IPPROTO_UDPLITE, 8), e[n++] = E_IP(136, 5060, 5061, 28, 0);
	ports4(n, IPPROTO_IGMP, 8), e[n++] = E_IP(2, 0, 0, 28, 0);
	f = ip6(n, IPPROTO_TCP), tl_put_tcp(f, 40000, 443, 0x10), tl_frame_finish(f);
	e[n++] = E_IP(6, 40000, 443, 60, 0x10);
	f = ip6(n, IPPROTO_UDP), tl_put_udp(f, 546, 547), tl_frame_finish(f);
	e[n++] = E_IP(17, 546, 547, 48, 0);
	f = ip6(n, 58), tl_put_icmp(f, 135, 0), tl_frame_finish(f);
	e[n++] = E_IP(58, 0, 0x8700, 48, 0);
	f = ip6(n, 60), tl_put_ip6_ext(f, 60, IPPROTO_UDP, 0), tl_put_udp(f, 9, 9);
	tl_frame_finish(f), e[n++] = E_IP(17, 9, 9, 56, 0);
	f = new_frame(n), tl_put_eth(f, TL_ETH_ARP), tl_put_arp(f), e[n++] = E_NON_IP;
	f = new_frame(n), tl_put_eth(f, 0x88cc), tl_put_bytes(f, 46, 0), e[n++] = E_NON_IP;
	f = new_frame(n), tl_put_eth(f, TL_ETH_IPV4), tl_put_bytes(f, 10, 0x45);
	e[n++] = E_MALFORMED; /* 10 bytes of IPv4 header */
	f = new_frame(n), tl_put_eth(f, TL_ETH_IPV6), tl_put_bytes(f, 40, 0x40);
	e[n++] = E_MALFORMED; /* version 4 */
	check_frames("multi_protocol_mix", n, e, 0);
}

/* ------------------------------------------------------------------ */
/* ip_bytes, times, interfaces                                         */
/* ------------------------------------------------------------------ */

static void test_ipv6_ip_bytes_held(void)
{
	struct tl_frame *f = ip6(0, IPPROTO_UDP);

	tl_put_udp(f, 1000, 53);
	tl_frame_finish(f); /* 62 bytes: payload 8 -> 48 */
	check_one("ipv6_ip_bytes_payload_plus_40", E_IP(17, 1000, 53, 48, 0));
	tl_frame_set_ip_len(f, 1234); /* a 62-byte frame claiming 1274: it holds 48 */
	check_one("ipv6_ip_bytes_claim_over_frame_48", E_IP(17, 1000, 53, 48, 0));
	tl_frame_set_ip_len(f, 9); /* one byte more than held */
	check_one("ipv6_ip_bytes_claim_held_plus_1_48", E_IP(17, 1000, 53, 48, 0));
	tl_frame_set_ip_len(f, 0); /* jumbogram or segmentation offload: what is held */
	check_one("ipv6_ip_bytes_payload_0_48", E_IP(17, 1000, 53, 48, 0));
	tl_frame_set_ip_len(f, 1); /* a shorter claim than held stands (the rest: padding) */
	check_one("ipv6_ip_bytes_payload_1_41", E_IP(17, 1000, 53, 41, 0));

	f = ip6(0, IPPROTO_UDP);
	tl_put_udp(f, 1000, 53);
	tl_frame_finish(f); /* payload 8 -> 48 ... */
	tl_put_bytes(f, 10, 0); /* ... in a 72-byte frame */
	check_one("ipv6_padded_frame_ip_bytes_48", E_IP(17, 1000, 53, 48, 0));
}

/* Largest last_jiffies over the CPUs' clock anchors: the anchor a read takes (pin/). */
static __u64 clock_last_jiffies(void)
{
	struct flow_clock clk;

	if (snapshot_read_clock(xdp.pm.fd[PIN_CLOCK], xdp.pm.ncpus, &clk) || !clk.valid)
		return 0;
	return clk.p[clk.n - 1].jiffies;
}

static void test_first_last_seen(void)
{
	struct tl_flows fl = { 0 };
	struct tl_check c;
	__u32 verdict;

	tl_begin(&c, "first_last_seen");
	udp4(0, 1000, 53, 18);
	tl_expect(&c, !tl_xdp_reset(&xdp), "%s", tl_errmsg());
	tl_expect(&c, !tl_xdp_run(&xdp, frames[0].data, frames[0].len, 0, &verdict), "run 1");
	usleep(50 * 1000); /* >= 5 jiffies even at HZ=100 */
	tl_expect(&c, !tl_xdp_run(&xdp, frames[0].data, frames[0].len, 0, &verdict), "run 2");
	if (tl_expect(&c, !tl_read_flows(&xdp, &fl) && fl.n == 1, "expected 1 flow, got %zu",
		      fl.n)) {
		const struct xdpflow_flow_counters *v = &fl.v[0].c;

		tl_expect(&c, v->first_seen != 0, "first_seen is 0");
		tl_expect(&c, v->first_seen < v->last_seen,
			  "first_seen %llu not before last_seen %llu",
			  (unsigned long long)v->first_seen, (unsigned long long)v->last_seen);
		tl_expect_u64(&c, "clock anchor last_jiffies", clock_last_jiffies(), v->last_seen);
		tl_end(&c, "50 ms apart: %llu jiffies",
		       (unsigned long long)(v->last_seen - v->first_seen));
	} else {
		tl_end(&c, NULL);
	}
	tl_flows_free(&fl);
}

static void test_ingress_ifindex_default_lo(void)
{
	struct expect e[2] = { E_IP(17, 1000, 53, 46, 0), E_NON_IP };

	udp4(0, 1000, 53, 18);
	new_frame(1), tl_put_eth(&frames[1], TL_ETH_ARP), tl_put_arp(&frames[1]);
	check_frames("ingress_ifindex_default_lo_1", 2, e, 0);
}

/*
 * Frames on a veth: counted under its ifindex, keys carry it; the same
 * 5-tuple on lo is a different flow.
 */
static void test_ingress_ifindex_veth(void)
{
	struct expect e[3] = { E_IP(17, 1000, 53, 46, 0), E_NON_IP, E_IP(6, 1, 2, 40, 0x02) };
	struct tl_counts lo = { 0 };
	struct tl_flows fl;
	struct tl_check c;
	char name[IFNAMSIZ], peer[IFNAMSIZ];
	__u32 ifindex = 0;

	snprintf(name, sizeof(name), "xft%d", (int)getpid() % 100000);
	snprintf(peer, sizeof(peer), "xfp%d", (int)getpid() % 100000);
	if (tl_veth_add(name, peer, &ifindex)) {
		tl_skip("ingress_ifindex_veth", "%s", tl_errmsg());
		return;
	}
	udp4(0, 1000, 53, 18);
	new_frame(1), tl_put_eth(&frames[1], TL_ETH_ARP), tl_put_arp(&frames[1]);
	tcp4(2, 1, 2, 0x02);
	tl_begin(&c, "ingress_ifindex_veth");
	verify_frames(&c, 3, e, ifindex, &fl);
	tl_expect(&c, !tl_read_counts(&xdp, LO_IFINDEX, &lo) && lo.total.packets == 0,
		  "%llu packets counted on lo", (unsigned long long)lo.total.packets);
	tl_flows_free(&fl);
	tl_end(&c, "%s ifindex %u", name, ifindex);
	tl_link_del(name);
}

/* ------------------------------------------------------------------ */
/* Flow cache and flow table                                           */
/* ------------------------------------------------------------------ */

/* More flows than a CPU's 2,048 cache entries: frames bypass, flows are admitted and evicted. */
#define MANY_FLOWS 6000
#define ROUNDS 3

struct many_want {
	__u64 packets, bytes, ip_bytes;
	__u8 flags;
};

/* Flow i, round r: TCP (even i, flag bit r) or UDP (odd i) from port 10000 + i, r payload bytes. */
static struct tl_frame *many_frame(unsigned int i, unsigned int r, struct many_want *w)
{
	struct tl_frame *f = new_frame(0);
	bool tcp = !(i % 2);

	tl_put_eth(f, TL_ETH_IPV4);
	tl_put_ipv4(f, &(struct tl_ipv4){ .proto = tcp ? IPPROTO_TCP : IPPROTO_UDP });
	if (tcp)
		tl_put_tcp(f, (__u16)(10000 + i), 80, (__u8)(1u << r));
	else
		tl_put_udp(f, (__u16)(10000 + i), 53);
	tl_put_bytes(f, r, 0);
	tl_frame_finish(f);
	w->packets++;
	w->bytes += f->len;
	w->ip_bytes += (tcp ? 40 : 28) + r;
	w->flags |= tcp ? (__u8)(1u << r) : 0;
	return f;
}

/*
 * Round after round over the flows; in each round half of them (alternating) send two frames
 * back to back, which admits them into the cache on their second miss and evicts another flow
 * into the table, while the others' frames go straight to the table.
 */
static bool send_many(struct tl_check *c, struct tl_xdp *x, unsigned int nflows,
		      unsigned int rounds, struct many_want *w, struct tl_counts *want)
{
	struct xdpflow_counter one;
	unsigned int i, r, k;
	__u32 verdict;

	memset(w, 0, sizeof(*w) * nflows);
	memset(want, 0, sizeof(*want));
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < nflows; i++) {
			for (k = 0; k < 1 + (i + r) % 2; k++) {
				struct tl_frame *f = many_frame(i, r, &w[i]);

				if (!tl_expect(c,
					       !tl_xdp_run(x, f->data, f->len, 0, &verdict) &&
						       verdict == XDP_PASS,
					       "flow %u round %u: run failed or not XDP_PASS", i, r))
					return false;
				one = (struct xdpflow_counter){ 1, f->len };
				tl_counter_add(&want->proto[0][i % 2 ? 17 : 6], &one);
				tl_counter_add(&want->ip, &one);
				tl_counter_add(&want->total, &one);
			}
		}
	}
	return true;
}

static const struct tl_flow *many_find(const struct tl_flows *fl, unsigned int i)
{
	struct xdpflow_flow_key k;

	many_frame(i, 0, &(struct many_want){ 0 });
	tl_frame_key(&frames[0], &k, LO_IFINDEX, i % 2 ? 17 : 6, (__u16)(10000 + i),
		     i % 2 ? 53 : 80);
	return tl_flows_find(fl, &k);
}

static void expect_many_flow(struct tl_check *c, const struct tl_flow *g, unsigned int i,
			     const struct many_want *w)
{
	if (!tl_expect(c, g, "flow %u missing", i))
		return;
	tl_expect(c,
		  g->c.packets == w->packets && g->c.bytes == w->bytes &&
			  g->c.ip_bytes == w->ip_bytes && g->c.tcp_flags == w->flags,
		  "flow %u: %llu/%llu/%llu flags 0x%x, expected %llu/%llu/%llu flags 0x%x", i,
		  (unsigned long long)g->c.packets, (unsigned long long)g->c.bytes,
		  (unsigned long long)g->c.ip_bytes, g->c.tcp_flags, (unsigned long long)w->packets,
		  (unsigned long long)w->bytes, (unsigned long long)w->ip_bytes, w->flags);
}

/* More flows than cache slots: evicted entries move to the table, merged counts stay exact. */
static void test_flow_cache_eviction_exact(void)
{
	static struct many_want w[MANY_FLOWS];
	struct tl_counts want, got;
	struct tl_flows fl = { 0 };
	struct tl_check c;
	unsigned int i;

	tl_begin(&c, "flow_cache_eviction_exact");
	if (!tl_expect(&c, !tl_xdp_reset(&xdp), "%s", tl_errmsg()) ||
	    !send_many(&c, &xdp, MANY_FLOWS, ROUNDS, w, &want) ||
	    !tl_expect(&c, !tl_read_flows(&xdp, &fl) && !tl_read_counts(&xdp, LO_IFINDEX, &got),
		       "reading maps: %s", tl_errmsg())) {
		tl_end(&c, NULL);
		return;
	}
	expect_counts(&c, &got, &want);
	tl_expect_u64(&c, "flows", fl.n, MANY_FLOWS);
	/* At most a cache's entries per CPU can still sit only in a cache. */
	tl_expect(&c, fl.table_entries + (size_t)XDPFLOW_FLOWCACHE_ENTRIES * xdp.ncpus >= MANY_FLOWS,
		  "only %zu flows reached the table", fl.table_entries);
	for (i = 0; i < MANY_FLOWS; i++)
		expect_many_flow(&c, many_find(&fl, i), i, &w[i]);
	tl_end(&c, "%u flows x %u packets: %zu in the table, %zu cache entries", MANY_FLOWS, ROUNDS,
	       fl.table_entries, fl.cache_entries);
	tl_flows_free(&fl);
}

#define SMALL_TABLE 64
#define FULL_FLOWS 6000

static void expect_full_table(struct tl_check *c, const struct tl_flows *fl,
			      const struct tl_counts *got, const struct many_want *w)
{
	struct xdpflow_counter in_flows;
	unsigned int i;

	tl_flows_sum(fl, &in_flows);
	tl_expect_u64(c, "table entries", fl->table_entries, SMALL_TABLE);
	tl_expect(c, got->unrecorded.packets > 0, "nothing unrecorded with a full table");
	tl_expect_u64(c, "flow packets + unrecorded", in_flows.packets + got->unrecorded.packets,
		      got->ip.packets);
	tl_expect_u64(c, "flow bytes + unrecorded", in_flows.bytes + got->unrecorded.bytes,
		      got->ip.bytes);
	for (i = 0; i < fl->n; i++) {
		unsigned int k = ntohs(fl->v[i].key.sport) - 10000;

		if (!tl_expect(c, k < FULL_FLOWS, "unknown flow port %u", k + 10000))
			continue;
		/* A flow that made it into the table never lost an eviction. */
		if (fl->v[i].in_table)
			expect_many_flow(c, &fl->v[i], k, &w[k]);
		else
			tl_expect(c, fl->v[i].c.packets <= w[k].packets, "flow %u over-counted", k);
	}
}

/*
 * A full table: the frames it refuses are counted once per interface (unrecorded) and once
 * by protocol (the refused frames), and the two agree.  Flows alternate TCP and UDP, so both
 * protocols must show refused frames.
 */
#define BURST 3
static void test_unrecorded_by_protocol(void)
{
	static struct many_want w[FULL_FLOWS];
	struct xdpflow_counter refused[2][256], sum = { 0 };
	struct tl_counts got;
	struct tl_xdp small;
	struct tl_check c;
	unsigned int i, r;
	__u32 verdict;
	int p;

	tl_begin(&c, "unrecorded_by_protocol");
	if (!tl_expect(&c, !tl_xdp_open(&small, SMALL_TABLE), "%s", tl_errmsg())) {
		tl_end(&c, NULL);
		return;
	}
	memset(w, 0, sizeof(w));
	memset(refused, 0, sizeof(refused));
	for (i = 0; i < FULL_FLOWS; i++)
		for (r = 0; r < BURST; r++) {
			struct tl_frame *f = many_frame(i, r, &w[i]);

			if (!tl_expect(&c, !tl_xdp_run(&small, f->data, f->len, 0, &verdict) &&
						   verdict == XDP_PASS,
				       "flow %u frame %u: run failed or not XDP_PASS", i, r))
				i = FULL_FLOWS;
		}
	if (tl_expect(&c, !tl_read_counts(&small, LO_IFINDEX, &got) &&
			      !tl_read_refused(&small, LO_IFINDEX, refused),
		      "reading maps: %s", tl_errmsg())) {
		for (p = 0; p < 256; p++)
			tl_counter_add(&sum, &refused[0][p]);
		tl_expect(&c, got.unrecorded.packets > 0, "nothing unrecorded with a full table");
		tl_expect_u64(&c, "refused packets = unrecorded", sum.packets, got.unrecorded.packets);
		tl_expect_u64(&c, "refused bytes = unrecorded", sum.bytes, got.unrecorded.bytes);
		tl_expect(&c, refused[0][6].packets && refused[0][17].packets,
			  "refused TCP %llu, UDP %llu: both expected",
			  (unsigned long long)refused[0][6].packets,
			  (unsigned long long)refused[0][17].packets);
	}
	tl_end(&c, "%d flows x %d frames into %d entries: %llu frames refused", FULL_FLOWS, BURST,
	       SMALL_TABLE, (unsigned long long)got.unrecorded.packets);
	tl_xdp_close(&small);
}

/* A flow table of 64: totals and protocols exact, flows + unrecorded = IP packets. */
static void test_flow_table_full_exact(void)
{
	static struct many_want w[FULL_FLOWS];
	struct tl_counts want, got;
	struct tl_flows fl = { 0 };
	struct tl_xdp small;
	struct tl_check c;

	tl_begin(&c, "flow_table_full_exact");
	if (!tl_expect(&c, !tl_xdp_open(&small, SMALL_TABLE), "%s", tl_errmsg())) {
		tl_end(&c, NULL);
		return;
	}
	if (send_many(&c, &small, FULL_FLOWS, 2, w, &want) &&
	    tl_expect(&c, !tl_read_flows(&small, &fl) && !tl_read_counts(&small, LO_IFINDEX, &got),
		      "reading maps: %s", tl_errmsg())) {
		want.unrecorded = got.unrecorded; /* not predictable: checked below */
		expect_counts(&c, &got, &want);
		expect_full_table(&c, &fl, &got, w);
	}
	tl_end(&c, "%d flows x 2 into %d entries: %zu flows seen, %llu packets unrecorded",
	       FULL_FLOWS, SMALL_TABLE, fl.n, (unsigned long long)got.unrecorded.packets);
	tl_flows_free(&fl);
	tl_xdp_close(&small);
}

/* ------------------------------------------------------------------ */
/* Multi-buffer frames                                                 */
/* ------------------------------------------------------------------ */

static void test_multi_buffer(void)
{
	struct expect e[3] = { E_IP(17, 1000, 53, 8986, 0), E_IP(6, 40000, 443, 8986, 0x18),
			       E_NON_IP };
	struct tl_frame *f;

	udp4(0, 1000, 53, 9000 - 42); /* 9000 bytes; total length 8986 */
	f = ip6(1, IPPROTO_TCP);
	tl_put_tcp(f, 40000, 443, 0x18);
	tl_put_bytes(f, 9000 - 74, 0x33);
	tl_frame_finish(f); /* 9000 bytes; payload 8946 -> 8986 */
	f = new_frame(2), tl_put_eth(f, 0x88b5), tl_put_bytes(f, 5000 - 14, 0);
	check_frames("multi_buffer_9000_bytes", 3, e, 0);
}

/*
 * The bytes a multi-buffer frame holds are all its buffers' (bpf_xdp_get_buff_len),
 * not the linear part the headers are parsed from (3,520 bytes here).
 */
static void test_multi_buffer_ip_bytes_held(void)
{
	struct expect e[2] = { E_IP(17, 1000, 53, 8986, 0), E_IP(6, 40000, 443, 8986, 0x18) };
	struct tl_frame *f;

	udp4(0, 1000, 53, 9000 - 42);
	tl_frame_set_ip_len(&frames[0], 0); /* as offload writes: the 8986 held */
	f = ip6(1, IPPROTO_TCP);
	tl_put_tcp(f, 40000, 443, 0x18);
	tl_put_bytes(f, 9000 - 74, 0x33);
	tl_frame_finish(f);
	tl_frame_set_ip_len(f, 0); /* BIG TCP's or a jumbogram's 0: the 8986 held */
	check_frames("multi_buffer_ip_length_0_counts_all_buffers", 2, e, 0);

	udp4(0, 1000, 53, 9000 - 42);
	tl_frame_set_ip_len(&frames[0], 65535);
	f = ip6(1, IPPROTO_TCP);
	tl_put_tcp(f, 40000, 443, 0x18);
	tl_put_bytes(f, 9000 - 74, 0x33);
	tl_frame_finish(f);
	tl_frame_set_ip_len(f, 65535); /* claims 65575 */
	check_frames("multi_buffer_claim_over_frame_8986", 2, e, 0);
}

int main(int argc, char **argv)
{
	(void)argc;
	tl_init(argv[0]);
	if (tl_netns_private())
		fprintf(stderr, "note: %s; interfaces go in the current namespace\n", tl_errmsg());
	if (tl_xdp_open(&xdp, 0)) {
		tl_fail("load_xdpflow", "%s", tl_errmsg());
		return tl_summary();
	}
	test_vlan_none();
	test_vlan_8021q();
	test_vlan_8021ad();
	test_vlan_8021ad_then_8021q();
	test_vlan_8021q_then_8021ad();
	test_vlan_8021q_twice();
	test_vlan_third_tag_non_ip();
	test_vlan_cut_off_tag_non_ip();
	test_vlan_then_arp_non_ip();
	test_vlan_then_no_ip_header_malformed();
	test_ipv4_options();
	test_ipv4_first_fragment_has_ports();
	test_ipv4_non_first_fragment_no_ports();
	test_ipv4_ip_bytes_held();
	test_ipv6_no_ext();
	test_ipv6_ext_0_hop_by_hop();
	test_ipv6_ext_43_routing();
	test_ipv6_ext_44_first_fragment();
	test_ipv6_ext_44_non_first_fragment();
	test_ipv6_ext_60_destination();
	test_ipv6_ext_51_ah();
	test_ipv6_ext_135_mobility();
	test_ipv6_ext_chain_depth();
	test_ipv6_ext_cut_off();
	test_ipv6_ext_longer_than_frame();
	test_ipv6_no_next_header();
	test_icmp_type_code_in_dport();
	test_icmpv6_type_code_in_dport();
	test_tcp_flags_or_across_segments();
	test_tcp_truncated();
	test_tcp6_truncated();
	test_ports_per_protocol();
	test_ipv4_bad_version_malformed();
	test_ipv4_bad_ihl_malformed();
	test_ipv4_truncated_malformed();
	test_ipv6_truncated_or_bad_version_malformed();
	test_14_byte_frames();
	test_shorter_than_14_non_ip();
	test_arp_non_ip();
	test_unknown_ethertypes_non_ip();
	test_multi_protocol_mix();
	test_ipv6_ip_bytes_held();
	test_first_last_seen();
	test_ingress_ifindex_default_lo();
	test_ingress_ifindex_veth();
	test_flow_cache_eviction_exact();
	test_flow_table_full_exact();
	test_unrecorded_by_protocol();
	test_multi_buffer();
	test_multi_buffer_ip_bytes_held();
	tl_xdp_close(&xdp);
	return tl_summary();
}
