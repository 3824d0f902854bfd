// SPDX-License-Identifier: GPL-2.0
/* Unit test: the tcpdump capture corpus through the XDP program, against our own classifier. */
#include "testlib.h"

/*
 * The classifier below is written from the counting rules in
 * docs/DESIGN.md's counting rules, separately from xdp/xdpflow.bpf.c (offsets into a
 * byte array rather than pointer walks), so the program and the test only
 * agree if both follow the rules.
 */

enum klass { K_NON_IP, K_MALFORMED, K_IP };

struct cls {
	enum klass klass;
	__u8 family, proto, tcp_flags;
	__u16 sport, dport; /* host order */
	__u16 vlan[2]; /* VLAN IDs of the first two tags, host order; 0: none */
	__u32 ip_bytes;
	__u8 src[16], dst[16];
};

static __u16 be16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static bool ipv6_ext(__u8 nh)
{
	switch (nh) {
	case 0: /* hop-by-hop */
	case 43: /* routing */
	case 44: /* fragment */
	case 51: /* AH */
	case 60: /* destination options */
	case 135: /* mobility */
		return true;
	}
	return false;
}

/* Ports, ICMP type/code and TCP flags from the n bytes of L4 header at q. */
static void cls_l4(const __u8 *q, size_t n, struct cls *r)
{
	bool ports = r->proto == 6 || r->proto == 17 || r->proto == 132 || r->proto == 136;

	if (ports && n >= 4) {
		r->sport = be16(q);
		r->dport = be16(q + 2);
	}
	if (r->proto == 6 && n >= 14)
		r->tcp_flags = q[13];
	if ((r->proto == 1 || r->proto == 58) && n >= 2)
		r->dport = be16(q); /* type << 8 | code */
}

/*
 * IP-layer bytes: the claimed length, or the n bytes the frame holds from
 * the IP header on where the claim exceeds them or is below the header.
 */
static __u32 ip_bytes_held(size_t claimed, size_t header, size_t n)
{
	return (__u32)(claimed >= header && claimed <= n ? claimed : n);
}

static void cls_ipv4(const __u8 *q, size_t n, struct cls *r)
{
	size_t hlen;

	if (n < 20 || q[0] >> 4 != 4 || (q[0] & 15) < 5)
		return;
	hlen = (q[0] & 15) * 4u;
	if (n < hlen)
		return;
	r->klass = K_IP;
	r->family = 4;
	r->proto = q[9];
	r->ip_bytes = ip_bytes_held(be16(q + 2), hlen, n);
	memcpy(r->src, q + 12, 4);
	memcpy(r->dst, q + 16, 4);
	if (be16(q + 6) & 0x1fff)
		return; /* not the first fragment: no L4 header */
	cls_l4(q + hlen, n - hlen, r);
}

static void cls_ipv6(const __u8 *q, size_t n, struct cls *r)
{
	size_t off = 40, depth;
	__u8 nh;

	if (n < 40 || q[0] >> 4 != 6)
		return;
	r->klass = K_IP;
	r->family = 6;
	r->ip_bytes = ip_bytes_held(be16(q + 4) + 40u, 41, n); /* payload length 0: n */
	memcpy(r->src, q + 8, 16);
	memcpy(r->dst, q + 24, 16);
	nh = q[6];
	for (depth = 0;; depth++) {
		r->proto = nh;
		if (!ipv6_ext(nh)) {
			if (off <= n)
				cls_l4(q + off, n - off, r);
			return;
		}
		/* Deeper than 8, or cut off: the protocol is where we stopped. */
		if (depth == 8 || off > n || n - off < 8)
			return;
		if (nh == 44 && be16(q + off + 2) >> 3) {
			r->proto = q[off];
			return;
		}
		nh = q[off];
		if (r->proto == 44)
			off += 8;
		else if (r->proto == 51)
			off += (q[off + 1] + 2u) * 4;
		else
			off += (q[off + 1] + 1u) * 8;
	}
}

static void classify(const __u8 *p, size_t n, struct cls *r)
{
	size_t off = 14;
	int tags = 0;
	__u16 type;

	memset(r, 0, sizeof(*r));
	r->klass = K_NON_IP;
	if (n < 14)
		return;
	type = be16(p + 12);
	while (type == 0x8100 || type == 0x88a8) {
		if (tags == 2 || n - off < 4)
			return; /* a third tag, or a tag cut off */
		r->vlan[tags] = be16(p + off) & 0x0fff;
		type = be16(p + off + 2);
		off += 4;
		tags++;
	}
	if (type == 0x0800) {
		r->klass = K_MALFORMED;
		cls_ipv4(p + off, n - off, r);
	} else if (type == 0x86dd) {
		r->klass = K_MALFORMED;
		cls_ipv6(p + off, n - off, r);
	}
}

/* ------------------------------------------------------------------ */
/* Running the corpus                                                  */
/* ------------------------------------------------------------------ */

#define LO_IFINDEX 1
#define TEST_RUN_LINEAR                                                                            \
	3520 /* PAGE_SIZE - XDP headroom - skb_shared_info: longer is multi-buffer */

struct corpus {
	unsigned int files, swapped_files, fcs_files, non_eth_files, bad_files;
	unsigned long frames, run, too_short, too_long, multi_buffer;
	unsigned long run_errors, not_pass;
	char first_error[256];
	struct tl_counts want; /* by the classifier, over the frames run */
	struct tl_flow *flows; /* by the classifier, one per IP frame until merged */
	size_t nflows, maxflows;
};

static struct tl_xdp xdp;

static void add_expected_flow(struct corpus *c, const struct cls *r, size_t len)
{
	struct tl_flow *f;

	if (c->nflows == c->maxflows) {
		size_t max = c->maxflows * 2 + 1024;
		struct tl_flow *v = realloc(c->flows, max * sizeof(*v));

		if (!v) {
			fprintf(stderr, "out of memory\n");
			exit(1);
		}
		c->flows = v, c->maxflows = max;
	}
	f = &c->flows[c->nflows++];
	memset(f, 0, sizeof(*f));
	memcpy(f->key.src, r->src, 16);
	memcpy(f->key.dst, r->dst, 16);
	f->key.ifindex = LO_IFINDEX;
	f->key.family = r->family;
	f->key.proto = r->proto;
	f->key.sport = htons(r->sport);
	f->key.dport = htons(r->dport);
	f->key.vlan_outer = htons(r->vlan[0]);
	f->key.vlan_inner = htons(r->vlan[1]);
	f->c.packets = 1;
	f->c.bytes = len;
	f->c.ip_bytes = r->ip_bytes;
	f->c.tcp_flags = r->tcp_flags;
}

static void expect_frame(struct corpus *c, const __u8 *p, size_t len)
{
	struct xdpflow_counter one = { 1, len };
	struct cls r;

	classify(p, len, &r);
	tl_counter_add(&c->want.total, &one);
	if (r.klass == K_NON_IP) {
		tl_counter_add(&c->want.non_ip, &one);
	} else if (r.klass == K_MALFORMED) {
		tl_counter_add(&c->want.malformed, &one);
	} else {
		tl_counter_add(&c->want.ip, &one);
		tl_counter_add(&c->want.proto[r.family == 6][r.proto], &one);
		add_expected_flow(c, &r, len);
	}
}

/*
 * BPF_PROG_TEST_RUN cannot take every captured frame: it refuses frames
 * shorter than an Ethernet header (EINVAL) and multi-buffer frames needing
 * more than MAX_SKB_FRAGS pages (ENOMEM).  Those are counted and reported.
 */
static void run_frame(struct corpus *c, const char *file, const struct tl_pcap_rec *rec)
{
	__u32 verdict;
	int err;

	c->frames++;
	err = tl_xdp_run(&xdp, rec->data, rec->caplen, 0, &verdict);
	if (err == -EINVAL && rec->caplen < 14) {
		c->too_short++;
		return;
	}
	if ((err == -ENOMEM || err == -E2BIG) && rec->caplen > TEST_RUN_LINEAR) {
		c->too_long++;
		return;
	}
	if (err) {
		if (!c->run_errors++)
			snprintf(c->first_error, sizeof(c->first_error),
				 "%.120s frame %lu (%u bytes): %s", file, c->frames, rec->caplen,
				 strerror(-err));
		return;
	}
	c->run++;
	c->multi_buffer += rec->caplen > TEST_RUN_LINEAR;
	if (verdict != XDP_PASS && !c->not_pass++)
		snprintf(c->first_error, sizeof(c->first_error), "%.120s frame %lu: verdict %u",
			 file, c->frames, verdict);
	expect_frame(c, rec->data, rec->caplen);
}

static void run_file(struct corpus *c, const char *dir, const char *name)
{
	char path[PATH_MAX + 256];
	struct tl_pcap_rec rec;
	struct tl_pcap pc;
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	c->files++;
	if (tl_pcap_open(&pc, path)) {
		c->bad_files++;
		fprintf(stderr, "%s\n", tl_errmsg());
		return;
	}
	c->swapped_files += pc.swapped;
	c->fcs_files += (pc.linktype >> 16) != 0;
	if (!tl_pcap_is_ethernet(&pc)) {
		c->non_eth_files++;
		tl_pcap_close(&pc);
		return;
	}
	while ((err = tl_pcap_next(&pc, &rec)) > 0)
		run_frame(c, name, &rec);
	if (err < 0) {
		c->bad_files++;
		fprintf(stderr, "%s: %s\n", path, tl_errmsg());
	}
	tl_pcap_close(&pc);
}

static int is_pcap(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 5 && !strcmp(d->d_name + n - 5, ".pcap");
}

static int run_corpus(struct corpus *c, const char *dir)
{
	struct dirent **names;
	int n, i;

	n = scandir(dir, &names, is_pcap, alphasort);
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		run_file(c, dir, names[i]->d_name);
		free(names[i]);
	}
	free(names);
	return n;
}

/* ------------------------------------------------------------------ */
/* Checks                                                              */
/* ------------------------------------------------------------------ */

static void check_files(const struct corpus *c)
{
	struct tl_check k;

	tl_begin(&k, "corpus_files_read");
	tl_expect(&k, c->bad_files == 0, "%u files unreadable or cut off (see stderr)",
		  c->bad_files);
	tl_expect(&k, c->non_eth_files == 0, "%u files with a link type other than Ethernet",
		  c->non_eth_files);
	tl_end(&k, "%u pcap files, %u in the other byte order, %u with FCS bits in the link type",
	       c->files, c->swapped_files, c->fcs_files);
}

static void check_runs(const struct corpus *c)
{
	struct tl_check k;

	tl_begin(&k, "corpus_test_run_no_error");
	tl_expect(&k, c->run_errors == 0, "%lu test_run errors, first: %s", c->run_errors,
		  c->first_error);
	tl_expect(&k, c->run > 0, "no frame ran");
	tl_end(&k,
	       "%lu frames: %lu run (%lu multi-buffer); skipped as test_run cannot take them: "
	       "%lu shorter than 14 bytes, %lu BIG TCP frames over its multi-buffer limit (ENOMEM)",
	       c->frames, c->run, c->multi_buffer, c->too_short, c->too_long);

	tl_begin(&k, "corpus_verdict_always_xdp_pass");
	tl_expect(&k, c->not_pass == 0, "%lu frames not XDP_PASS, first: %s", c->not_pass,
		  c->first_error);
	tl_end(&k, "%lu frames", c->run);
}

static void expect_counter(struct tl_check *k, const char *what, const struct xdpflow_counter *got,
			   const struct xdpflow_counter *want)
{
	tl_expect(k, got->packets == want->packets && got->bytes == want->bytes,
		  "%s: maps %llu packets/%llu bytes, expected %llu/%llu", what,
		  (unsigned long long)got->packets, (unsigned long long)got->bytes,
		  (unsigned long long)want->packets, (unsigned long long)want->bytes);
}

/* Totals from the maps (non_ip + malformed + every protocol) against what was run. */
static void check_totals(const struct corpus *c, const struct tl_counts *got)
{
	struct xdpflow_counter sum = got->non_ip, ran = { c->run, c->want.total.bytes };
	struct tl_check k;
	int f, p;

	tl_begin(&k, "corpus_totals_equal_frames_run");
	tl_counter_add(&sum, &got->malformed);
	for (f = 0; f < 2; f++)
		for (p = 0; p < 256; p++)
			tl_counter_add(&sum, &got->proto[f][p]);
	expect_counter(&k, "non_ip + malformed + protocols", &sum, &ran);
	tl_end(&k, "%llu packets, %llu bytes", (unsigned long long)sum.packets,
	       (unsigned long long)sum.bytes);
}

static void check_flows_cover_ip(const struct tl_counts *got, const struct tl_flows *fl)
{
	struct xdpflow_counter in_flows;
	struct tl_check k;

	tl_begin(&k, "corpus_flows_plus_unrecorded_equal_ip");
	tl_flows_sum(fl, &in_flows);
	tl_counter_add(&in_flows, &got->unrecorded);
	expect_counter(&k, "flows + unrecorded", &in_flows, &got->ip);
	tl_end(&k, "%zu flows (%zu table entries, %zu cache entries), %llu packets unrecorded",
	       fl->n, fl->table_entries, fl->cache_entries,
	       (unsigned long long)got->unrecorded.packets);
}

/* Per class: the maps against the classifier; the PASS line lists every class seen. */
static void check_classes(const struct corpus *c, const struct tl_counts *got)
{
	char list[2048], what[32];
	struct tl_check k;
	size_t used;
	int f, p;

	tl_begin(&k, "corpus_classes_match_classifier");
	expect_counter(&k, "non_ip", &got->non_ip, &c->want.non_ip);
	expect_counter(&k, "malformed", &got->malformed, &c->want.malformed);
	used = (size_t)snprintf(list, sizeof(list), "non_ip %llu, malformed %llu",
				(unsigned long long)c->want.non_ip.packets,
				(unsigned long long)c->want.malformed.packets);
	for (f = 0; f < 2; f++) {
		for (p = 0; p < 256; p++) {
			snprintf(what, sizeof(what), "IPv%d proto %d", f ? 6 : 4, p);
			expect_counter(&k, what, &got->proto[f][p], &c->want.proto[f][p]);
			if (c->want.proto[f][p].packets && used < sizeof(list))
				used += (size_t)snprintf(
					list + used, sizeof(list) - used, ", v%d/%d %llu",
					f ? 6 : 4, p,
					(unsigned long long)c->want.proto[f][p].packets);
		}
	}
	tl_end(&k, "packets per class: %s", list);
}

static void expect_same_flow(struct tl_check *k, const struct tl_flow *g, const struct tl_flow *w)
{
	char s[160];

	tl_key_str(&w->key, s, sizeof(s));
	if (!tl_expect(k, g, "flow %s missing", s))
		return;
	tl_expect(k,
		  g->c.packets == w->c.packets && g->c.bytes == w->c.bytes &&
			  g->c.ip_bytes == w->c.ip_bytes && g->c.tcp_flags == w->c.tcp_flags,
		  "flow %s: %llu/%llu/%llu flags 0x%x, expected %llu/%llu/%llu flags 0x%x", s,
		  (unsigned long long)g->c.packets, (unsigned long long)g->c.bytes,
		  (unsigned long long)g->c.ip_bytes, g->c.tcp_flags,
		  (unsigned long long)w->c.packets, (unsigned long long)w->c.bytes,
		  (unsigned long long)w->c.ip_bytes, w->c.tcp_flags);
}

/* Every flow (key, packets, bytes, ip_bytes, TCP flags) against the classifier's. */
static void check_flows(struct corpus *c, const struct tl_flows *fl)
{
	struct tl_check k;
	size_t i, n = 0;
	char s[160];

	qsort(c->flows, c->nflows, sizeof(*c->flows), tl_flow_cmp);
	for (i = 0; i < c->nflows; i++) {
		if (n && !tl_flow_cmp(&c->flows[n - 1], &c->flows[i]))
			tl_flow_merge(&c->flows[n - 1], &c->flows[i]);
		else
			c->flows[n++] = c->flows[i];
	}
	tl_begin(&k, "corpus_flows_match_classifier");
	tl_expect_u64(&k, "flows", fl->n, n);
	for (i = 0; i < n; i++)
		expect_same_flow(&k, tl_flows_find(fl, &c->flows[i].key), &c->flows[i]);
	for (i = 0; i < fl->n; i++) {
		struct tl_flow key = { .key = fl->v[i].key };

		tl_expect(&k, bsearch(&key, c->flows, n, sizeof(*c->flows), tl_flow_cmp),
			  "unexpected flow %s", tl_key_str(&fl->v[i].key, s, sizeof(s)));
	}
	tl_end(&k, "%zu flows from %llu IP frames", n, (unsigned long long)c->want.ip.packets);
}

static void check_maps(struct corpus *c)
{
	struct tl_flows fl = { 0 };
	struct tl_counts got;

	if (tl_read_counts(&xdp, LO_IFINDEX, &got) || tl_read_flows(&xdp, &fl)) {
		tl_fail("corpus_read_maps", "%s", tl_errmsg());
		return;
	}
	check_totals(c, &got);
	check_flows_cover_ip(&got, &fl);
	check_classes(c, &got);
	check_flows(c, &fl);
	tl_flows_free(&fl);
}

int main(int argc, char **argv)
{
	struct corpus c = { 0 };
	char dir[PATH_MAX];
	int n;

	(void)argc;
	tl_init(argv[0]);
	/* The corpus is part of the repository: without it this suite proves nothing. */
	if (tl_corpus_dir(dir, sizeof(dir))) {
		tl_fail("corpus", "%s", tl_errmsg());
		return tl_summary();
	}
	if (tl_xdp_open(&xdp, 0)) {
		tl_fail("load_xdpflow", "%s", tl_errmsg());
		return tl_summary();
	}
	n = run_corpus(&c, dir);
	if (n <= 0) {
		tl_fail("corpus", "no pcap files in %s", dir);
	} else {
		check_files(&c);
		check_runs(&c);
		check_maps(&c);
	}
	free(c.flows);
	tl_xdp_close(&xdp);
	return tl_summary();
}
