// SPDX-License-Identifier: GPL-2.0
/* Unit test: random and mutated frames and the tcpdump corpus through the XDP program, against our own classifier. */
#include <time.h>
#include "testlib.h"

/*
 * What this proves, over every frame run (the corpus, then
 * XDPFLOW_FUZZ_FRAMES generated ones):
 *   - BPF_PROG_TEST_RUN never fails and the verdict is always XDP_PASS;
 *   - the frame comes back byte for byte as it went in (data_out);
 *   - per batch, non_ip + malformed + every protocol count == the frames
 *     and bytes run (each frame in exactly one class);
 *   - per batch, every class count and every flow (key, packets, bytes,
 *     ip_bytes, TCP flags) equals what classify() below expects.
 *
 * classify() is written from the counting rules (the comments in
 * xdp/xdpflow.bpf.c and xdpflow_abi.h, docs/DESIGN.md) as offsets
 * into a byte array, without the program's pointer walks.  The program only
 * ever runs; it never supplies an expected value.
 *
 * Frames come from a seeded generator (XDPFLOW_FUZZ_SEED; the seed is
 * printed, so any failure can be replayed): random bytes, random bytes
 * under an IP or VLAN ethertype, valid frames (IPv4/IPv6, TCP/UDP/ICMP/
 * SCTP/UDP-Lite/other, 0-2 VLAN tags, IPv4 options and fragments, IPv6
 * extension chains) with fields, lengths and bytes mutated, every
 * truncation of a valid frame, VLAN stacks and IPv6 extension chains
 * deeper than the program walks, multi-buffer frames, and mutated corpus
 * frames.  When a batch disagrees, its frames are replayed one at a time
 * to name the first frame that differs (with a hex dump).
 */

#define LO_IFINDEX 1 /* BPF_PROG_TEST_RUN's default ingress interface */
/*
 * BPF_PROG_TEST_RUN puts at most a page less XDP headroom and
 * skb_shared_info in the linear part; the rest of a longer frame goes in
 * fragments the program does not parse (but counts the bytes of).
 */
#define LINEAR_MAX 3520
#define FRAME_MAX 65535 /* the largest frame run (corpus); generated ones stay under 16 KiB */
#define BATCH_FRAMES 4096
#define DEFAULT_FRAMES 1000000ULL /* about 3 s here: test_run takes 2-3 us a frame */

/*
 * Seeds every run repeats before its random one, so each CI run covers at
 * least these frames and a failure they find is the same on every machine.
 * Each caught, within its first FIXED_SEED_FRAMES frames, a program whose
 * IPv4 fragment test masks 0x0fff instead of 0x1fff (offsets from 4096 up).
 */
static const __u64 fixed_seeds[] = { 0x738cd008bca91fcdULL, 0xc4f7dfbf79202290ULL,
				     0x56b9f7c473dc79f4ULL };
#define FIXED_SEED_FRAMES 250000UL

/* ------------------------------------------------------------------ */
/* Random numbers: splitmix64, seeded, reproducible                    */
/* ------------------------------------------------------------------ */

static __u64 rng_state;

static __u64 rnd(void)
{
	__u64 z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static __u32 below(__u32 n)
{
	return n ? (__u32)(rnd() % n) : 0;
}

/* Uniform in [lo, hi]. */
static __u32 between(__u32 lo, __u32 hi)
{
	return lo + below(hi - lo + 1);
}

static bool chance(__u32 percent)
{
	return below(100) < percent;
}

static void random_bytes(__u8 *p, size_t n)
{
	__u64 v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!(i & 7))
			v = rnd();
		p[i] = (__u8)v;
		v >>= 8;
	}
}

/* ------------------------------------------------------------------ */
/* The independent classifier                                          */
/* ------------------------------------------------------------------ */

enum klass { K_NON_IP, K_MALFORMED, K_IP };

static const char *const klass_names[] = { "non-IP", "malformed", "IP" };

struct expect {
	enum klass klass;
	__u8 family, proto;
	__u8 tcp_flags;
	__u16 sport, dport; /* host order; ICMP/ICMPv6: dport = type << 8 | code */
	__u16 vlan[2]; /* VLAN IDs of the first two tags, host order; 0: none */
	__u32 ip_bytes;
	__u8 src[16], dst[16];
};

static __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static bool is_ext_header(__u8 nh)
{
	static const __u8 ext[] = { 0, 43, 44, 51, 60, 135 };
	size_t i;

	for (i = 0; i < sizeof(ext); i++)
		if (nh == ext[i])
			return true;
	return false;
}

/* The L4 fields in the avail bytes at p, for the protocol already in e. */
static void classify_l4(const __u8 *p, size_t avail, struct expect *e)
{
	switch (e->proto) {
	case 6: /* TCP: flags need the 14th byte */
		if (avail >= 14)
			e->tcp_flags = p[13];
		/* fall through */
	case 17: /* UDP */
	case 132: /* SCTP */
	case 136: /* UDP-Lite */
		if (avail >= 4) {
			e->sport = get16(p);
			e->dport = get16(p + 2);
		}
		break;
	case 1: /* ICMP, in either family */
	case 58: /* ICMPv6, in either family */
		if (avail >= 2)
			e->dport = get16(p);
		break;
	}
}

/*
 * IP-layer bytes: the length claimed, unless it is below the header's own
 * length or above the held bytes (the whole frame from the IP header on,
 * not only the parsed part): then the held bytes.
 */
static __u32 held_ip_bytes(size_t claimed, size_t header, size_t held)
{
	return (__u32)(claimed < header || claimed > held ? held : claimed);
}

/* avail bytes parsed at p; held bytes in the frame from p on. */
static void classify_ipv4(const __u8 *p, size_t avail, size_t held, struct expect *e)
{
	size_t ihl;

	e->klass = K_MALFORMED;
	if (avail < 20 || p[0] >> 4 != 4)
		return;
	ihl = (p[0] & 0x0f) * 4u;
	if (ihl < 20 || ihl > avail)
		return;
	e->klass = K_IP;
	e->family = 4;
	e->proto = p[9];
	e->ip_bytes = held_ip_bytes(get16(p + 2), ihl, held);
	memcpy(e->src, p + 12, 4);
	memcpy(e->dst, p + 16, 4);
	if ((get16(p + 6) & 0x1fff) == 0) /* only the first fragment has the L4 header */
		classify_l4(p + ihl, avail - ihl, e);
}

/* The walk covers at most this many extension headers. */
#define EXT_WALK 8

static void classify_ipv6(const __u8 *p, size_t avail, size_t held, struct expect *e)
{
	size_t off = 40;
	__u8 nh;
	int walked;

	e->klass = K_MALFORMED;
	if (avail < 40 || p[0] >> 4 != 6)
		return;
	e->klass = K_IP;
	e->family = 6;
	e->ip_bytes = held_ip_bytes(get16(p + 4) + 40u, 41, held); /* payload 0: held */
	memcpy(e->src, p + 8, 16);
	memcpy(e->dst, p + 24, 16);
	nh = p[6];
	for (walked = 0; walked < EXT_WALK && is_ext_header(nh); walked++) {
		__u8 next;

		/* A header whose first 8 bytes are cut off: the protocol is where we stopped. */
		if (off + 8 > avail) {
			e->proto = nh;
			return;
		}
		next = p[off];
		if (nh == 44 && (get16(p + off + 2) & 0xfff8)) {
			/* A later fragment: its next header is the protocol, no L4 header. */
			e->proto = next;
			return;
		}
		if (nh == 44)
			off += 8;
		else if (nh == 51) /* AH counts 4-byte units, less 2 */
			off += (p[off + 1] + 2u) * 4;
		else /* 8-byte units, not counting the first 8 */
			off += (p[off + 1] + 1u) * 8;
		nh = next;
	}
	e->proto = nh;
	if (!is_ext_header(nh) && off <= avail)
		classify_l4(p + off, avail - off, e);
}

/* What the program must count for a frame of len bytes (the first LINEAR_MAX of them parsed). */
static void classify(const __u8 *p, size_t len, struct expect *e)
{
	size_t avail = len < LINEAR_MAX ? len : LINEAR_MAX;
	size_t off = 14;
	__u16 type;
	int tags;

	memset(e, 0, sizeof(*e));
	e->klass = K_NON_IP;
	if (avail < 14)
		return;
	type = get16(p + 12);
	for (tags = 0; type == 0x8100 || type == 0x88a8; tags++) {
		/* A third tag, or a tag cut off: not looked into. */
		if (tags == 2 || off + 4 > avail)
			return;
		e->vlan[tags] = get16(p + off) & 0x0fff;
		type = get16(p + off + 2);
		off += 4;
	}
	if (type == 0x0800)
		classify_ipv4(p + off, avail - off, len - off, e);
	else if (type == 0x86dd)
		classify_ipv6(p + off, avail - off, len - off, e);
}

/* ------------------------------------------------------------------ */
/* Frame generators                                                    */
/* ------------------------------------------------------------------ */

enum gen {
	G_CORPUS, /* a corpus frame as captured */
	G_RANDOM, /* random bytes */
	G_TYPED, /* random bytes under IP/VLAN ethertypes and IP versions */
	G_VALID, /* a valid frame, unchanged */
	G_MUTATED, /* a valid frame with fields, lengths and bytes mutated */
	G_SAME_FLOW, /* the last valid frame again, other TCP flags or payload */
	G_TRUNCATED, /* a valid frame cut at every offset in turn */
	G_VLAN_DEEP, /* 2 to 10 VLAN tags */
	G_IPV6_DEEP, /* 7 to 16 IPv6 extension headers, some long */
	G_CORPUS_MUTATED, /* a corpus frame mutated */
	G_COUNT,
};

static const char *const gen_names[G_COUNT] = {
	[G_CORPUS] = "corpus",
	[G_RANDOM] = "random",
	[G_TYPED] = "random-typed",
	[G_VALID] = "valid",
	[G_MUTATED] = "mutated",
	[G_SAME_FLOW] = "same-flow",
	[G_TRUNCATED] = "truncated",
	[G_VLAN_DEEP] = "vlan-deep",
	[G_IPV6_DEEP] = "ipv6-ext-deep",
	[G_CORPUS_MUTATED] = "corpus-mutated",
};

#define MAX_FIELDS 64

/* A frame being generated, with the offsets of header fields worth mutating. */
struct gframe {
	struct tl_frame f;
	__u16 field_off[MAX_FIELDS];
	__u8 field_len[MAX_FIELDS]; /* 1 or 2 */
	int nfields;
};

static void add_field(struct gframe *g, size_t off, __u8 len)
{
	if (g->nfields < MAX_FIELDS) {
		g->field_off[g->nfields] = (__u16)off;
		g->field_len[g->nfields++] = len;
	}
}

static __u16 pick_tpid(void)
{
	return chance(50) ? TL_ETH_8021Q : TL_ETH_8021AD;
}

/* Ethernet and that many VLAN tags; type follows the last. */
static void put_l2(struct gframe *g, int tags, __u16 type)
{
	int i;

	tl_put_eth(&g->f, tags ? pick_tpid() : type);
	add_field(g, 12, 2);
	for (i = 0; i < tags; i++) {
		tl_put_vlan(&g->f, (__u16)below(4096), i + 1 < tags ? pick_tpid() : type);
		add_field(g, g->f.len - 2, 2);
	}
}

static __u8 pick_l4_proto(void)
{
	static const __u8 common[] = { 6, 6, 6, 17, 17, 17, 1, 58, 132, 136, 47, 50, 0, 255 };

	return chance(85) ? common[below(sizeof(common))] : (__u8)below(256);
}

/* The L4 header of proto and a payload of random length. */
static void put_l4(struct gframe *g, __u8 proto, size_t payload)
{
	size_t l4 = g->f.len;

	switch (proto) {
	case 6:
		tl_put_tcp(&g->f, (__u16)rnd(), (__u16)rnd(), (__u8)rnd());
		add_field(g, l4 + 13, 1);
		break;
	case 17:
		tl_put_udp(&g->f, (__u16)rnd(), (__u16)rnd());
		break;
	case 132:
		tl_put_ports(&g->f, (__u16)rnd(), (__u16)rnd(), 12);
		break;
	case 136:
		tl_put_ports(&g->f, (__u16)rnd(), (__u16)rnd(), 8);
		break;
	case 1:
	case 58:
		tl_put_icmp(&g->f, (__u8)rnd(), (__u8)below(4));
		add_field(g, l4, 1);
		break;
	default:
		random_bytes(tl_frame_room(&g->f, 8), 8);
		break;
	}
	if (g->f.len > l4) {
		add_field(g, l4, 2);
		add_field(g, l4 + 2, 2);
	}
	random_bytes(tl_frame_room(&g->f, payload), payload);
}

/* Payload length: mostly small, sometimes full-size, rarely a multi-buffer jumbo. */
static size_t pick_payload(void)
{
	__u32 r = below(1000);

	if (r < 700)
		return below(65);
	if (r < 900)
		return between(64, 512);
	if (r < 990)
		return between(512, 1460);
	return between(LINEAR_MAX, 8900);
}

/* An IPv6 extension header of type leading to next; fields recorded. */
static void put_ext(struct gframe *g, __u8 type, __u8 next, bool long_ok)
{
	size_t at = g->f.len;

	if (type == 44) {
		/* Mostly the first fragment (the walk goes on), sometimes a later one. */
		tl_put_ip6_frag(&g->f, next, chance(75) ? 0 : (__u16)between(1, 8191), chance(50));
	} else {
		/* Long ones (up to 2 KiB) only while the frame stays well inside the builder's room. */
		__u8 hdrlen = long_ok && g->f.len < 4096 && chance(5) ? (__u8)below(256) :
									 (__u8)below(3);

		tl_put_ip6_ext(&g->f, type, next, hdrlen);
	}
	add_field(g, at, 1);
	add_field(g, at + 1, 1);
	add_field(g, at + 2, 2);
}

static __u8 pick_ext(void)
{
	static const __u8 ext[] = { 0, 43, 44, 51, 60, 135 };

	return ext[below(sizeof(ext))];
}

static void put_ipv4(struct gframe *g, __u8 proto)
{
	struct tl_ipv4 h = { .proto = proto, .src = (__u32)rnd(), .dst = (__u32)rnd() };
	size_t at = g->f.len;
	__u32 r = below(100);

	h.ihl = chance(80) ? 5 : (__u8)between(6, 15);
	/* Not a fragment, DF, the first fragment, a later fragment. */
	h.frag = r < 50 ? 0 : r < 75 ? 0x4000 : r < 85 ? 0x2000 : (__u16)(rnd() & 0x3fff);
	tl_put_ipv4(&g->f, &h);
	add_field(g, at, 1); /* version and IHL */
	add_field(g, at + 2, 2); /* total length */
	add_field(g, at + 6, 2); /* flags and fragment offset */
	add_field(g, at + 9, 1); /* protocol */
}

/* IPv6 with an extension chain of depth headers, then proto. */
static void put_ipv6(struct gframe *g, int depth, __u8 proto, bool long_ok)
{
	struct tl_ipv6 h = { 0 };
	__u8 types[20];
	size_t at = g->f.len;
	int i;

	for (i = 0; i < depth; i++)
		types[i] = pick_ext();
	h.nexthdr = depth ? types[0] : proto;
	random_bytes(h.src, 16);
	random_bytes(h.dst, 16);
	tl_put_ipv6(&g->f, &h);
	add_field(g, at, 1); /* version */
	add_field(g, at + 4, 2); /* payload length */
	add_field(g, at + 6, 1); /* next header */
	for (i = 0; i < depth; i++)
		put_ext(g, types[i], i + 1 < depth ? types[i + 1] : proto, long_ok);
}

static int pick_tags(void)
{
	__u32 r = below(100);

	return r < 60 ? 0 : r < 85 ? 1 : 2;
}

static int pick_ext_depth(void)
{
	__u32 r = below(100);

	return r < 50 ? 0 : r < 85 ? (int)between(1, 3) : r < 95 ? (int)between(4, 8) : (int)between(9, 12);
}

/* A well-formed frame: tags VLAN tags, IPv4 or IPv6, an L4 header, payload bytes. */
static void build_valid(struct gframe *g, int tags, int ext_depth, size_t payload)
{
	__u8 proto = pick_l4_proto();

	tl_frame_init(&g->f);
	g->nfields = 0;
	if (chance(50)) {
		put_l2(g, tags, TL_ETH_IPV4);
		put_ipv4(g, proto);
	} else {
		put_l2(g, tags, TL_ETH_IPV6);
		put_ipv6(g, ext_depth, proto, payload > 512);
	}
	put_l4(g, proto, payload);
	tl_frame_finish(&g->f);
}

/* ------------------------------------------------------------------ */
/* Mutations                                                           */
/* ------------------------------------------------------------------ */

static const __u8 interesting8[] = { 0,  1,  4,	 5,  6,	  0x0f, 0x40, 0x45, 0x46, 0x4f, 0x50,
				     0x60, 0x6f, 0x7f, 0x80, 0xff, 17,   43,   44,   51,   58,   59,
				     60, 132, 135, 136 };
static const __u16 interesting16[] = { 0,	   1,	   7,	   8,	   0x0800, 0x86dd, 0x8100,
				       0x88a8, 0x0806, 0x1fff, 0x2000, 0x3fff, 0x4000, 0xfff8,
				       0xfff9, 0x7fff, 0x8000, 0xffff, 20,     40,     60 };

/* One mutation of the len bytes at p (room for cap); returns the new length (>= 14). */
static size_t mutate(__u8 *p, size_t len, size_t cap, const struct gframe *g)
{
	size_t pos = below((__u32)len), n, i;

	switch (below(g && g->nfields ? 10 : 8)) {
	case 0: /* flip a bit */
		p[pos] ^= (__u8)(1u << below(8));
		break;
	case 1: /* a random byte */
		p[pos] = (__u8)rnd();
		break;
	case 2: /* an interesting byte anywhere in the headers */
		pos = below((__u32)(len < 128 ? len : 128));
		p[pos] = interesting8[below(sizeof(interesting8))];
		break;
	case 3: /* cut short */
		return between(14, (__u32)len);
	case 4: /* grow with random bytes */
		n = between(1, 64);
		if (len + n > cap)
			n = cap - len;
		random_bytes(p + len, n);
		return len + n;
	case 5: /* insert bytes: every header after shifts */
		n = between(1, 8);
		if (len + n > cap)
			return len;
		memmove(p + pos + n, p + pos, len - pos);
		random_bytes(p + pos, n);
		return len + n;
	case 6: /* delete bytes */
		n = between(1, 8);
		if (pos + n > len || len - n < 14)
			return len;
		memmove(p + pos, p + pos + n, len - pos - n);
		return len - n;
	case 7: /* an interesting ethertype where one may be read */
		pos = 12 + 4 * below(4);
		if (pos + 2 <= len) {
			__u16 v = interesting16[below(sizeof(interesting16) / 2)];

			p[pos] = (__u8)(v >> 8), p[pos + 1] = (__u8)v;
		}
		break;
	default: /* a header field of the built frame: interesting, random or off by one */
		i = below((__u32)g->nfields);
		pos = g->field_off[i];
		if (pos + g->field_len[i] > len)
			break;
		if (g->field_len[i] == 1) {
			p[pos] = chance(60) ? interesting8[below(sizeof(interesting8))] :
				 chance(50) ? (__u8)rnd() :
					      (__u8)(p[pos] + (chance(50) ? 1 : -1));
		} else {
			__u16 v = chance(60) ? interesting16[below(sizeof(interesting16) / 2)] :
				  chance(50) ? (__u16)rnd() :
					       (__u16)(get16(p + pos) + (chance(50) ? 1 : -1));

			p[pos] = (__u8)(v >> 8), p[pos + 1] = (__u8)v;
		}
		break;
	}
	return len;
}

/* 1 to 8 mutations, fewer more often. */
static size_t mutate_some(__u8 *p, size_t len, size_t cap, const struct gframe *g)
{
	int n = 1;

	while (n < 8 && chance(40))
		n++;
	while (n--)
		len = mutate(p, len, cap, g);
	return len;
}

/* ------------------------------------------------------------------ */
/* The corpus, kept in memory to run and to mutate                     */
/* ------------------------------------------------------------------ */

struct corpus {
	__u8 *data;
	size_t used, cap;
	size_t *off;
	__u32 *len;
	size_t n, max;
	unsigned int files, other_link, too_short, too_long, bad_files;
};

static int corpus_add(struct corpus *c, const __u8 *p, __u32 len)
{
	if (c->n == c->max) {
		size_t max = c->max * 2 + 1024;
		size_t *off = realloc(c->off, max * sizeof(*off));
		__u32 *lens = off ? realloc(c->len, max * sizeof(*lens)) : NULL;

		if (off)
			c->off = off;
		if (!lens)
			return -ENOMEM;
		c->len = lens, c->max = max;
	}
	if (c->used + len > c->cap) {
		size_t cap = (c->cap + len) * 2;
		__u8 *d = realloc(c->data, cap);

		if (!d)
			return -ENOMEM;
		c->data = d, c->cap = cap;
	}
	memcpy(c->data + c->used, p, len);
	c->off[c->n] = c->used;
	c->len[c->n++] = len;
	c->used += len;
	return 0;
}

static int is_pcap(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 5 && !strcmp(d->d_name + n - 5, ".pcap");
}

/* Every Ethernet frame of the corpus that BPF_PROG_TEST_RUN can take. */
static int corpus_load(struct corpus *c, const char *dir)
{
	char path[PATH_MAX + 256];
	struct dirent **names;
	struct tl_pcap_rec rec;
	struct tl_pcap pc;
	int n, i, err = 0;

	n = scandir(dir, &names, is_pcap, alphasort);
	if (n < 0)
		return tl_seterr(-errno, "%s: %s", dir, strerror(errno));
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		free(names[i]);
		c->files++;
		if (tl_pcap_open(&pc, path)) {
			c->bad_files++;
			continue;
		}
		if (!tl_pcap_is_ethernet(&pc)) {
			c->other_link++;
			tl_pcap_close(&pc);
			continue;
		}
		while (!err && tl_pcap_next(&pc, &rec) > 0) {
			if (rec.caplen < 14)
				c->too_short++; /* test_run refuses them (EINVAL) */
			else if (rec.caplen > FRAME_MAX)
				c->too_long++; /* BIG TCP: over test_run's fragment limit */
			else
				err = corpus_add(c, rec.data, rec.caplen);
		}
		tl_pcap_close(&pc);
	}
	free(names);
	return err ? tl_seterr(err, "corpus: out of memory") : 0;
}

static void corpus_free(struct corpus *c)
{
	free(c->data);
	free(c->off);
	free(c->len);
}

/* ------------------------------------------------------------------ */
/* The generator: one frame at a time, strategy by strategy            */
/* ------------------------------------------------------------------ */

struct generator {
	const struct corpus *corpus;
	struct gframe work; /* the frame being built */
	struct gframe last_valid; /* for G_SAME_FLOW */
	bool have_last;
	struct gframe sweep; /* G_TRUNCATED: the frame being cut */
	size_t sweep_next; /* next length to emit; 0: no sweep running */
};

/* Weights out of 1000; a truncation sweep gives one frame per length, so it is picked rarely. */
static enum gen pick_gen(bool have_corpus)
{
	static const struct {
		enum gen g;
		__u32 upto;
	} table[] = {
		{ G_RANDOM, 100 },   { G_TYPED, 200 },	  { G_VALID, 250 },
		{ G_MUTATED, 560 },  { G_SAME_FLOW, 610 }, { G_TRUNCATED, 615 },
		{ G_VLAN_DEEP, 680 }, { G_IPV6_DEEP, 790 }, { G_CORPUS_MUTATED, 1000 },
	};
	__u32 r = below(1000);
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (r < table[i].upto)
			return table[i].g == G_CORPUS_MUTATED && !have_corpus ? G_MUTATED : table[i].g;
	return G_RANDOM;
}

static size_t pick_random_len(void)
{
	__u32 r = below(100);

	return r < 60 ? between(14, 80) : r < 90 ? between(80, 600) : r < 99 ? between(600, 1518) :
							       between(LINEAR_MAX - 64, 9000);
}

static size_t gen_random(__u8 *out)
{
	size_t len = pick_random_len();

	random_bytes(out, len);
	return len;
}

/* Random bytes, but the ethertypes and IP version nibbles a parser looks at are plausible. */
static size_t gen_typed(__u8 *out)
{
	static const __u16 types[] = { 0x0800, 0x86dd, 0x8100, 0x88a8 };
	size_t len = pick_random_len(), off = 12;
	__u16 type;
	int tags = 0;

	random_bytes(out, len);
	do {
		type = types[below(4)];
		out[off] = (__u8)(type >> 8), out[off + 1] = (__u8)type;
		off += 4;
	} while ((type == 0x8100 || type == 0x88a8) && ++tags < 4 && off + 2 <= len && chance(80));
	off -= 2; /* where L3 starts if type is the last */
	if (off < len && chance(70)) {
		if (type == 0x0800)
			out[off] = chance(50) ? 0x45 : (__u8)(0x40 | below(16));
		else if (type == 0x86dd)
			out[off] = (__u8)(0x60 | (out[off] & 0x0f));
	}
	return len;
}

static size_t gen_vlan_deep(struct gframe *g, __u8 *out)
{
	int tags = chance(20) ? 2 : (int)between(3, 10);

	build_valid(g, tags, pick_ext_depth(), below(65));
	memcpy(out, g->f.data, g->f.len);
	return g->f.len;
}

/* 7 to 16 extension headers: around and beyond the 8 the program walks. */
static size_t gen_ipv6_deep(struct gframe *g, __u8 *out)
{
	int tags = pick_tags(), depth = (int)between(7, 16);
	__u8 proto = pick_l4_proto();

	tl_frame_init(&g->f);
	g->nfields = 0;
	put_l2(g, tags, TL_ETH_IPV6);
	/* Long headers now and then, so some chains run past the linear part. */
	put_ipv6(g, depth, proto, chance(10));
	put_l4(g, proto, below(65));
	tl_frame_finish(&g->f);
	memcpy(out, g->f.data, g->f.len);
	return g->f.len;
}

/* The last valid frame with another TCP flags byte and payload length. */
static size_t gen_same_flow(struct generator *gn, __u8 *out)
{
	struct gframe *g = &gn->last_valid;
	size_t len = g->f.len;

	memcpy(out, g->f.data, len);
	if (g->f.l4 && g->f.l4 + 20 <= len) {
		out[g->f.l4 + 13] = (__u8)rnd(); /* if TCP: other flags, same flow */
		len = g->f.l4 + 20 + below(200);
		if (len > g->f.len)
			random_bytes(out + g->f.len, len - g->f.len);
	}
	return len;
}

/* Next frame into out (room for FRAME_MAX); its strategy in *kind. */
static size_t generate(struct generator *gn, __u8 *out, enum gen *kind)
{
	struct gframe *g = &gn->work;
	size_t len;

	if (gn->sweep_next) {
		len = gn->sweep_next++;
		if (gn->sweep_next > gn->sweep.f.len)
			gn->sweep_next = 0;
		memcpy(out, gn->sweep.f.data, len);
		*kind = G_TRUNCATED;
		return len;
	}
	*kind = pick_gen(gn->corpus && gn->corpus->n);
	if (*kind == G_SAME_FLOW && !gn->have_last)
		*kind = G_VALID;
	switch (*kind) {
	case G_RANDOM:
		return gen_random(out);
	case G_TYPED:
		return gen_typed(out);
	case G_VALID:
	case G_MUTATED:
		build_valid(g, pick_tags(), pick_ext_depth(), pick_payload());
		len = g->f.len;
		memcpy(out, g->f.data, len);
		if (*kind == G_VALID) {
			gn->last_valid = *g;
			gn->have_last = true;
			return len;
		}
		return mutate_some(out, len, FRAME_MAX, g);
	case G_SAME_FLOW:
		return gen_same_flow(gn, out);
	case G_TRUNCATED:
		build_valid(&gn->sweep, pick_tags(), pick_ext_depth(), below(17));
		gn->sweep_next = 14;
		return generate(gn, out, kind);
	case G_VLAN_DEEP:
		len = gen_vlan_deep(g, out);
		return chance(30) ? mutate_some(out, len, FRAME_MAX, g) : len;
	case G_IPV6_DEEP:
		len = gen_ipv6_deep(g, out);
		return chance(30) ? mutate_some(out, len, FRAME_MAX, g) : len;
	default: {
		const struct corpus *c = gn->corpus;
		size_t i = below((__u32)c->n);

		len = c->len[i];
		memcpy(out, c->data + c->off[i], len);
		*kind = G_CORPUS_MUTATED;
		return mutate_some(out, len, FRAME_MAX, NULL);
	}
	}
}

/* ------------------------------------------------------------------ */
/* Batches: run, then compare the maps with the classifier             */
/* ------------------------------------------------------------------ */

#define ARENA_BYTES (8u << 20)

struct batch {
	__u8 *arena;
	size_t used;
	size_t n;
	size_t off[BATCH_FRAMES];
	__u32 len[BATCH_FRAMES];
	__u8 repeat[BATCH_FRAMES];
	__u8 kind[BATCH_FRAMES];
	unsigned long index[BATCH_FRAMES]; /* frame number within the phase */
	struct tl_counts want;
	struct tl_flow *flows; /* one per IP frame run, merged when checked */
	size_t nflows, maxflows;
};

/* What one phase (the corpus, the fuzzed frames) found. */
struct phase {
	const char *name;
	unsigned long frames, runs, multi_buffer, batches, flows;
	unsigned long long bytes;
	unsigned long by_class[3];
	unsigned long by_gen[G_COUNT];
	unsigned long run_errors, not_pass, changed;
	unsigned long read_errors, sum_bad, class_bad, flow_bad;
	char first_run_error[256], first_not_pass[256], first_changed[512];
	char first_read_error[256], first_sum[512], first_class[1024], first_flow[1024];
	char first_frame[1536]; /* the first frame the replay found to differ */
	bool located;
};

static struct tl_xdp xdp;
static __u8 data_out[FRAME_MAX + 64];
static __u8 frame_buf[FRAME_MAX + 64];

static int batch_init(struct batch *b)
{
	memset(b, 0, sizeof(*b));
	b->arena = malloc(ARENA_BYTES);
	return b->arena ? 0 : -ENOMEM;
}

static void batch_free(struct batch *b)
{
	free(b->arena);
	free(b->flows);
}

/* "first ..." messages keep the first occurrence only. */
static void note_first(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void note_first(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (buf[0])
		return;
	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

static void hex_dump(const __u8 *p, size_t len, char *buf, size_t size)
{
	size_t i, used = 0, show = len < 96 ? len : 96;

	buf[0] = '\0';
	for (i = 0; i < show && used + 4 < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%02x", p[i]);
	if (show < len && used + 4 < size)
		snprintf(buf + used, size - used, "...");
}

/*
 * Run one frame repeat times; -errno or 0 with *retval and data_out
 * filled.  One test_run per time: test_run's own repeat > 1 costs about
 * 15 ms a call on this kernel (measured), a thousand times a single run.
 */
static int run_frame(const __u8 *p, __u32 len, __u32 repeat, __u32 *retval, __u32 *out_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p, .data_size_in = len,
		    .data_out = data_out, .repeat = 1);
	__u32 i;

	for (i = 0; i < repeat; i++) {
		opts.data_size_out = sizeof(data_out);
		if (bpf_prog_test_run_opts(xdp.prog_fd, &opts))
			return -errno;
		if (opts.retval != XDP_PASS || opts.data_size_out != len)
			break;
	}
	*retval = opts.retval;
	*out_len = opts.data_size_out;
	return 0;
}

static void add_flow(struct batch *b, const struct expect *e, __u32 len, __u32 repeat)
{
	struct tl_flow *f;

	if (b->nflows == b->maxflows) {
		size_t max = b->maxflows * 2 + 1024;
		struct tl_flow *v = realloc(b->flows, max * sizeof(*v));

		if (!v) {
			fprintf(stderr, "out of memory\n");
			exit(1);
		}
		b->flows = v, b->maxflows = max;
	}
	f = &b->flows[b->nflows++];
	memset(f, 0, sizeof(*f));
	memcpy(f->key.src, e->src, 16);
	memcpy(f->key.dst, e->dst, 16);
	f->key.ifindex = LO_IFINDEX;
	f->key.family = e->family;
	f->key.proto = e->proto;
	f->key.sport = htons(e->sport);
	f->key.dport = htons(e->dport);
	f->key.vlan_outer = htons(e->vlan[0]);
	f->key.vlan_inner = htons(e->vlan[1]);
	f->c.packets = repeat;
	f->c.bytes = (__u64)len * repeat;
	f->c.ip_bytes = (__u64)e->ip_bytes * repeat;
	f->c.tcp_flags = e->tcp_flags;
}

/* Add what the classifier expects of frame p (run repeat times) to the batch. */
static void expect_frame(struct batch *b, struct phase *ph, const __u8 *p, __u32 len,
			 __u32 repeat)
{
	struct xdpflow_counter one = { repeat, (__u64)len * repeat };
	struct expect e;

	classify(p, len, &e);
	ph->by_class[e.klass]++;
	tl_counter_add(&b->want.total, &one);
	if (e.klass == K_NON_IP) {
		tl_counter_add(&b->want.non_ip, &one);
	} else if (e.klass == K_MALFORMED) {
		tl_counter_add(&b->want.malformed, &one);
	} else {
		tl_counter_add(&b->want.ip, &one);
		tl_counter_add(&b->want.proto[e.family == 6][e.proto], &one);
		add_flow(b, &e, len, repeat);
	}
}

/* Run frame i of the batch and check what test_run says about it. */
static void run_batch_frame(struct batch *b, size_t i, struct phase *ph)
{
	const __u8 *p = b->arena + b->off[i];
	__u32 len = b->len[i], retval = 0, out_len = 0;
	int err;

	ph->frames++;
	ph->by_gen[b->kind[i]]++;
	err = run_frame(p, len, b->repeat[i], &retval, &out_len);
	if (err) {
		ph->run_errors++;
		note_first(ph->first_run_error, sizeof(ph->first_run_error),
			   "frame %lu (%s, %u bytes): %s", b->index[i], gen_names[b->kind[i]], len,
			   strerror(-err));
		return;
	}
	ph->runs += b->repeat[i];
	ph->bytes += (unsigned long long)len * b->repeat[i];
	ph->multi_buffer += len > LINEAR_MAX;
	if (retval != XDP_PASS) {
		ph->not_pass++;
		note_first(ph->first_not_pass, sizeof(ph->first_not_pass),
			   "frame %lu (%s, %u bytes): verdict %u", b->index[i],
			   gen_names[b->kind[i]], len, retval);
	}
	if (out_len != len || memcmp(data_out, p, len)) {
		char hex[256];

		ph->changed++;
		hex_dump(p, len, hex, sizeof(hex));
		note_first(ph->first_changed, sizeof(ph->first_changed),
			   "frame %lu (%s): %u bytes in, %u out; in: %s", b->index[i],
			   gen_names[b->kind[i]], len, out_len, hex);
	}
	expect_frame(b, ph, p, len, b->repeat[i]);
}

static bool same_counter(const struct xdpflow_counter *a, const struct xdpflow_counter *b)
{
	return a->packets == b->packets && a->bytes == b->bytes;
}

/* The first class whose counts differ, as text; false if none does. */
static bool diff_classes(const struct tl_counts *got, const struct tl_counts *want, char *buf,
			 size_t size)
{
	const struct xdpflow_counter *g = NULL, *w = NULL;
	char what[32] = "";
	int f, p;

	if (!same_counter(&got->non_ip, &want->non_ip))
		g = &got->non_ip, w = &want->non_ip, snprintf(what, sizeof(what), "non-IP");
	else if (!same_counter(&got->malformed, &want->malformed))
		g = &got->malformed, w = &want->malformed, snprintf(what, sizeof(what), "malformed");
	for (f = 0; f < 2 && !g; f++) {
		for (p = 0; p < 256 && !g; p++) {
			if (same_counter(&got->proto[f][p], &want->proto[f][p]))
				continue;
			g = &got->proto[f][p], w = &want->proto[f][p];
			snprintf(what, sizeof(what), "IPv%d protocol %d", f ? 6 : 4, p);
		}
	}
	if (!g)
		return false;
	snprintf(buf, size, "%s: maps %llu packets/%llu bytes, classifier %llu/%llu", what,
		 (unsigned long long)g->packets, (unsigned long long)g->bytes,
		 (unsigned long long)w->packets, (unsigned long long)w->bytes);
	return true;
}

static void merge_expected_flows(struct batch *b)
{
	size_t i, n = 0;

	if (b->nflows)
		qsort(b->flows, b->nflows, sizeof(*b->flows), tl_flow_cmp);
	for (i = 0; i < b->nflows; i++) {
		if (n && !tl_flow_cmp(&b->flows[n - 1], &b->flows[i]))
			tl_flow_merge(&b->flows[n - 1], &b->flows[i]);
		else
			b->flows[n++] = b->flows[i];
	}
	b->nflows = n;
}

/* The first flow that differs (missing, counted differently, unexpected); false if none. */
static bool diff_flows(const struct tl_counts *got, const struct tl_flows *fl,
		       const struct tl_flow *want, size_t nwant, char *buf, size_t size)
{
	struct xdpflow_counter in_flows;
	char k[160];
	size_t i;

	tl_flows_sum(fl, &in_flows);
	tl_counter_add(&in_flows, &got->unrecorded);
	if (!same_counter(&in_flows, &got->ip)) {
		snprintf(buf, size, "flows + unrecorded %llu packets, IP classes %llu",
			 (unsigned long long)in_flows.packets, (unsigned long long)got->ip.packets);
		return true;
	}
	if (got->unrecorded.packets) {
		snprintf(buf, size, "%llu packets unrecorded with a flow table far from full",
			 (unsigned long long)got->unrecorded.packets);
		return true;
	}
	for (i = 0; i < nwant; i++) {
		const struct tl_flow *w = &want[i], *g = tl_flows_find(fl, &w->key);

		if (g && g->c.packets == w->c.packets && g->c.bytes == w->c.bytes &&
		    g->c.ip_bytes == w->c.ip_bytes && g->c.tcp_flags == w->c.tcp_flags)
			continue;
		tl_key_str(&w->key, k, sizeof(k));
		if (!g)
			snprintf(buf, size, "flow %s missing", k);
		else
			snprintf(buf, size,
				 "flow %s: %llu/%llu/%llu flags 0x%x, classifier %llu/%llu/%llu "
				 "flags 0x%x (packets/bytes/ip_bytes)",
				 k, (unsigned long long)g->c.packets,
				 (unsigned long long)g->c.bytes, (unsigned long long)g->c.ip_bytes,
				 g->c.tcp_flags, (unsigned long long)w->c.packets,
				 (unsigned long long)w->c.bytes, (unsigned long long)w->c.ip_bytes,
				 w->c.tcp_flags);
		return true;
	}
	if (fl->n != nwant) {
		for (i = 0; i < fl->n; i++) {
			struct tl_flow key = { .key = fl->v[i].key };

			if (!nwant || !bsearch(&key, want, nwant, sizeof(*want), tl_flow_cmp))
				break;
		}
		snprintf(buf, size, "%zu flows in the maps, %zu expected; unexpected: %s", fl->n,
			 nwant, i < fl->n ? tl_key_str(&fl->v[i].key, k, sizeof(k)) : "?");
		return true;
	}
	return false;
}

/* What the program counted for a single frame, from the maps, as text. */
static void describe_counted(const struct tl_counts *c, const struct tl_flows *fl, char *buf,
			     size_t size)
{
	size_t used = 0, i;
	char k[160];
	int f, p;

	buf[0] = '\0';
	if (c->non_ip.packets)
		used += (size_t)snprintf(buf + used, size - used, " non-IP");
	if (c->malformed.packets && used < size)
		used += (size_t)snprintf(buf + used, size - used, " malformed");
	for (f = 0; f < 2; f++)
		for (p = 0; p < 256; p++)
			if (c->proto[f][p].packets && used < size)
				used += (size_t)snprintf(buf + used, size - used, " IPv%d/%d",
							 f ? 6 : 4, p);
	for (i = 0; i < fl->n && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, " flow %s ip_bytes %llu flags 0x%x",
					 tl_key_str(&fl->v[i].key, k, sizeof(k)),
					 (unsigned long long)fl->v[i].c.ip_bytes,
					 fl->v[i].c.tcp_flags);
	if (!buf[0])
		snprintf(buf, size, " nothing");
}

/*
 * A batch disagreed: run its frames again one at a time (maps emptied
 * before each) and describe the first one the maps and the classifier
 * disagree about.
 */
static void locate(struct batch *b, struct phase *ph)
{
	static struct batch one;
	struct tl_counts got;
	struct tl_flows fl;
	char why[512], counted[512], hex[256];
	__u32 retval, out_len;
	size_t i;

	ph->located = true;
	for (i = 0; i < b->n; i++) {
		const __u8 *p = b->arena + b->off[i];
		struct phase scratch = { 0 };
		bool bad;

		memset(&one.want, 0, sizeof(one.want));
		one.nflows = 0;
		if (tl_xdp_reset(&xdp) || run_frame(p, b->len[i], 1, &retval, &out_len))
			break;
		expect_frame(&one, &scratch, p, b->len[i], 1);
		if (tl_read_counts(&xdp, LO_IFINDEX, &got) || tl_read_flows(&xdp, &fl))
			break;
		bad = diff_classes(&got, &one.want, why, sizeof(why)) ||
		      diff_flows(&got, &fl, one.flows, one.nflows, why, sizeof(why));
		if (bad) {
			struct expect e;

			classify(p, b->len[i], &e);
			describe_counted(&got, &fl, counted, sizeof(counted));
			hex_dump(p, b->len[i], hex, sizeof(hex));
			snprintf(ph->first_frame, sizeof(ph->first_frame),
				 "first differing frame: %lu (%s, %u bytes): classifier says %s "
				 "(IPv%u/%u ports %u>%u ip_bytes %u flags 0x%x), program counted%s "
				 "(%s); frame: %s",
				 b->index[i], gen_names[b->kind[i]], b->len[i], klass_names[e.klass],
				 e.family, e.proto, e.sport, e.dport, e.ip_bytes, e.tcp_flags,
				 counted, why, hex);
		}
		tl_flows_free(&fl);
		if (bad)
			break;
	}
	free(one.flows);
	one.flows = NULL;
	one.maxflows = 0;
}

/* Zero the per-CPU tables and the clock, empty the refused frames (the flow table apart). */
static int zero_percpu_tables(void)
{
	int stats = tl_current_table(xdp.stats_fd), cache = tl_current_table(xdp.fcache_fd);
	int refused = tl_current_table(xdp.refused_fd);
	int err = -EBADF;

	if (stats >= 0 && cache >= 0 && refused >= 0) {
		err = tl_zero_percpu(stats, xdp.ncpus, XDPFLOW_STATS_ENTRIES,
				     sizeof(struct xdpflow_iface_stats));
		if (!err)
			err = tl_zero_percpu(cache, xdp.ncpus, XDPFLOW_FLOWCACHE_SETS,
					     sizeof(struct xdpflow_flowcache_set));
		if (!err)
			err = tl_clear_hash(refused);
		if (!err)
			err = tl_zero_percpu(xdp.clock_fd, xdp.ncpus, 1,
					     sizeof(struct xdpflow_clock_anchor));
	}
	if (stats >= 0)
		close(stats);
	if (cache >= 0)
		close(cache);
	if (refused >= 0)
		close(refused);
	return err ? tl_seterr(err, "emptying the maps: %s", strerror(-err)) : 0;
}

/*
 * Empty the maps after a batch.  tl_xdp_reset() finds each flow to delete
 * with get_next_key(NULL), a scan from the table's first bucket every
 * time (quadratic in the flows); deleting the keys just read is linear.
 */
static int reset_maps(const struct tl_flows *fl)
{
	int flows = tl_current_table(xdp.flows_fd), err = 0;
	struct xdpflow_flow_key k;
	size_t i;

	if (flows < 0)
		return flows;
	for (i = 0; i < fl->n && !err; i++)
		if (fl->v[i].in_table && bpf_map_delete_elem(flows, &fl->v[i].key) &&
		    errno != ENOENT) /* locate() emptied the maps already */
			err = tl_seterr(-errno, "deleting a flow: %s", strerror(errno));
	/* Anything left (nothing, unless reading failed) goes the slow way. */
	if (!err && !bpf_map_get_next_key(flows, NULL, &k)) {
		close(flows);
		return tl_xdp_reset(&xdp);
	}
	close(flows);
	return err ? err : zero_percpu_tables();
}

/* Compare the maps with what the batch's frames should have added, then empty both. */
static void check_batch(struct batch *b, struct phase *ph)
{
	struct xdpflow_counter sum;
	struct tl_counts got;
	struct tl_flows fl = { 0 };
	char why[1024];
	bool bad = false;
	int f, p;

	ph->batches++;
	if (tl_read_counts(&xdp, LO_IFINDEX, &got) || tl_read_flows(&xdp, &fl)) {
		ph->read_errors++;
		note_first(ph->first_read_error, sizeof(ph->first_read_error), "%s", tl_errmsg());
		goto out;
	}
	sum = got.non_ip;
	tl_counter_add(&sum, &got.malformed);
	for (f = 0; f < 2; f++)
		for (p = 0; p < 256; p++)
			tl_counter_add(&sum, &got.proto[f][p]);
	if (!same_counter(&sum, &b->want.total)) {
		ph->sum_bad++;
		bad = true;
		note_first(ph->first_sum, sizeof(ph->first_sum),
			   "batch %lu: classes add up to %llu packets/%llu bytes, %llu/%llu run",
			   ph->batches, (unsigned long long)sum.packets,
			   (unsigned long long)sum.bytes,
			   (unsigned long long)b->want.total.packets,
			   (unsigned long long)b->want.total.bytes);
	}
	if (diff_classes(&got, &b->want, why, sizeof(why))) {
		ph->class_bad++;
		bad = true;
		note_first(ph->first_class, sizeof(ph->first_class), "batch %lu: %s", ph->batches,
			   why);
	}
	merge_expected_flows(b);
	ph->flows += b->nflows;
	if (diff_flows(&got, &fl, b->flows, b->nflows, why, sizeof(why))) {
		ph->flow_bad++;
		bad = true;
		note_first(ph->first_flow, sizeof(ph->first_flow), "batch %lu: %s", ph->batches,
			   why);
	}
	if (bad && !ph->located)
		locate(b, ph);
out:
	if (reset_maps(&fl)) {
		ph->read_errors++;
		note_first(ph->first_read_error, sizeof(ph->first_read_error), "%s", tl_errmsg());
	}
	tl_flows_free(&fl);
	memset(&b->want, 0, sizeof(b->want));
	b->n = 0;
	b->used = 0;
	b->nflows = 0;
}

static void flush_batch(struct batch *b, struct phase *ph)
{
	size_t i;

	if (!b->n)
		return;
	for (i = 0; i < b->n; i++)
		run_batch_frame(b, i, ph);
	check_batch(b, ph);
}

/* Queue one frame; runs and checks the batch once it is full. */
static void add_frame(struct batch *b, struct phase *ph, const __u8 *p, size_t len,
		      enum gen kind, __u32 repeat, unsigned long index)
{
	if (b->n == BATCH_FRAMES || b->used + len > ARENA_BYTES)
		flush_batch(b, ph);
	memcpy(b->arena + b->used, p, len);
	b->off[b->n] = b->used;
	b->len[b->n] = (__u32)len;
	b->repeat[b->n] = (__u8)repeat;
	b->kind[b->n] = (__u8)kind;
	b->index[b->n++] = index;
	b->used += len;
}

/* ------------------------------------------------------------------ */
/* Reporting                                                           */
/* ------------------------------------------------------------------ */

static void report_phase(const struct phase *ph, double seconds)
{
	char name[64];
	struct tl_check c;

	snprintf(name, sizeof(name), "%s_test_run_no_error", ph->name);
	tl_begin(&c, name);
	tl_expect(&c, !ph->run_errors, "%lu test_run errors, first: %s", ph->run_errors,
		  ph->first_run_error);
	tl_expect(&c, ph->frames > 0, "no frame ran");
	tl_end(&c, "%lu frames, %lu runs with repeats, %lu multi-buffer, %llu bytes, %.1f s",
	       ph->frames, ph->runs, ph->multi_buffer, ph->bytes, seconds);

	snprintf(name, sizeof(name), "%s_verdict_always_xdp_pass", ph->name);
	tl_begin(&c, name);
	tl_expect(&c, !ph->not_pass, "%lu frames not XDP_PASS, first: %s", ph->not_pass,
		  ph->first_not_pass);
	tl_end(&c, "%lu frames", ph->frames - ph->run_errors);

	snprintf(name, sizeof(name), "%s_packet_data_unchanged", ph->name);
	tl_begin(&c, name);
	tl_expect(&c, !ph->changed, "%lu frames came back changed, first: %s", ph->changed,
		  ph->first_changed);
	tl_end(&c, "data_out equals data_in for %lu frames", ph->frames - ph->run_errors);

	snprintf(name, sizeof(name), "%s_one_class_per_frame", ph->name);
	tl_begin(&c, name);
	tl_expect(&c, !ph->read_errors, "reading the maps: %s", ph->first_read_error);
	tl_expect(&c, !ph->sum_bad, "%lu of %lu batches: %s", ph->sum_bad, ph->batches,
		  ph->first_sum);
	tl_end(&c, "non-IP + malformed + protocols = packets and bytes run, in all %lu batches",
	       ph->batches);

	snprintf(name, sizeof(name), "%s_classes_match_classifier", ph->name);
	tl_begin(&c, name);
	tl_expect(&c, !ph->class_bad, "%lu of %lu batches differ, first: %s; %s", ph->class_bad,
		  ph->batches, ph->first_class, ph->first_frame);
	tl_end(&c, "non-IP %lu, malformed %lu, IP %lu frames", ph->by_class[K_NON_IP],
	       ph->by_class[K_MALFORMED], ph->by_class[K_IP]);

	snprintf(name, sizeof(name), "%s_flows_match_classifier", ph->name);
	tl_begin(&c, name);
	tl_expect(&c, !ph->flow_bad, "%lu of %lu batches differ, first: %s; %s", ph->flow_bad,
		  ph->batches, ph->first_flow, ph->first_frame);
	tl_end(&c, "%lu flows: key, packets, bytes, ip_bytes, TCP flags", ph->flows);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A whole number from the environment; false (and a FAIL line) if it is not one. */
static bool env_number(const char *name, unsigned long long *v, int base)
{
	const char *s = getenv(name);
	char *end;

	if (!s || !*s)
		return true;
	errno = 0;
	*v = strtoull(s, &end, base);
	if (errno || *end || s[0] == '-' || s[0] == '+') {
		tl_fail("fuzz_options", "%s=%s is not a whole number", name, s);
		return false;
	}
	return true;
}

static __u64 default_seed(void)
{
	__u64 seed = 0;
	FILE *f = fopen("/dev/urandom", "rb");

	if (!f || fread(&seed, sizeof(seed), 1, f) != 1)
		seed = (__u64)time(NULL) ^ ((__u64)getpid() << 32);
	if (f)
		fclose(f);
	return seed;
}

static void run_corpus(struct batch *b, const struct corpus *co)
{
	struct phase ph = { .name = "corpus" };
	double start = now_s();
	size_t i;

	for (i = 0; i < co->n; i++)
		add_frame(b, &ph, co->data + co->off[i], co->len[i], G_CORPUS, 1, i);
	flush_batch(b, &ph);
	report_phase(&ph, now_s() - start);
	printf("corpus: %u pcap files, %zu frames run; not run: %u files of another link type, "
	       "%u unreadable, %u frames under 14 bytes, %u over %u bytes\n",
	       co->files, co->n, co->other_link, co->bad_files, co->too_short, co->too_long,
	       FRAME_MAX);
}

/* frames generated from seed, checked as phase name (its checks are name_...). */
static void run_fuzz(struct batch *b, const struct corpus *co, const char *name,
		     unsigned long frames, __u64 seed)
{
	static struct generator gn;
	struct phase ph = { .name = name };
	char check[64];
	double start = now_s();
	char per_gen[512];
	struct tl_check c;
	size_t used = 0;
	unsigned long i;
	enum gen kind;
	int g;

	printf("%s: XDPFLOW_FUZZ_SEED=0x%016llx XDPFLOW_FUZZ_FRAMES=%lu (set both to repeat "
	       "this run)\n",
	       name, (unsigned long long)seed, frames);
	rng_state = seed;
	memset(&gn, 0, sizeof(gn)); /* a run depends on its seed only */
	gn.corpus = co;
	for (i = 0; i < frames; i++) {
		size_t len = generate(&gn, frame_buf, &kind);
		/* Some frames run 2-4 times in a row: the flow-cache hit path. */
		__u32 repeat = chance(5) ? between(2, 4) : 1;

		add_frame(b, &ph, frame_buf, len, kind, repeat, i);
	}
	flush_batch(b, &ph);
	report_phase(&ph, now_s() - start);

	per_gen[0] = '\0';
	snprintf(check, sizeof(check), "%s_frames_fuzzed", name);
	tl_begin(&c, check);
	tl_expect_u64(&c, "frames run", ph.frames, frames);
	for (g = G_RANDOM; g < G_COUNT; g++) {
		if (used < sizeof(per_gen))
			used += (size_t)snprintf(per_gen + used, sizeof(per_gen) - used, "%s%s %lu",
						 used ? ", " : "", gen_names[g], ph.by_gen[g]);
		/* Large runs must have used every strategy (the corpus ones if there is one). */
		if (frames >= 100000 && (g != G_CORPUS_MUTATED || co->n))
			tl_expect(&c, ph.by_gen[g] > 0, "no %s frame generated", gen_names[g]);
	}
	tl_end(&c, "%lu frames fuzzed with seed 0x%016llx in %.1f s: %s", ph.frames,
	       (unsigned long long)seed, now_s() - start, per_gen);
}

int main(int argc, char **argv)
{
	unsigned long long frames = DEFAULT_FRAMES, seed = 0;
	static struct corpus co;
	static struct batch b;
	char dir[PATH_MAX], name[32];
	bool replay;
	size_t i;

	(void)argc;
	tl_init(argv[0]);
	if (!env_number("XDPFLOW_FUZZ_FRAMES", &frames, 10) ||
	    !env_number("XDPFLOW_FUZZ_SEED", &seed, 0))
		return tl_summary();
	/* A seed given replays that run alone; else the fixed seeds, then a random one. */
	replay = getenv("XDPFLOW_FUZZ_SEED") && *getenv("XDPFLOW_FUZZ_SEED");
	if (!replay)
		seed = default_seed();
	if (tl_xdp_open(&xdp, 0)) {
		tl_fail("load_xdpflow", "%s", tl_errmsg());
		return tl_summary();
	}
	if (batch_init(&b)) {
		tl_fail("fuzz_setup", "out of memory");
		return tl_summary();
	}
	/* The corpus is part of the repository: missing, it is a failure, not a skip. */
	if (tl_corpus_dir(dir, sizeof(dir)) || corpus_load(&co, dir))
		tl_fail("corpus", "%s", tl_errmsg());
	else if (!co.n)
		tl_fail("corpus", "no Ethernet frames in %s", dir);
	else
		run_corpus(&b, &co);
	for (i = 0; !replay && i < sizeof(fixed_seeds) / sizeof(fixed_seeds[0]); i++) {
		snprintf(name, sizeof(name), "fuzz_fixed%zu", i + 1);
		run_fuzz(&b, &co, name, FIXED_SEED_FRAMES, fixed_seeds[i]);
	}
	run_fuzz(&b, &co, "fuzz", (unsigned long)frames, seed);
	batch_free(&b);
	corpus_free(&co);
	tl_xdp_close(&xdp);
	return tl_summary();
}
