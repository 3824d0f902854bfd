// SPDX-License-Identifier: GPL-2.0
/* Unit test of reader/export/ipfix*.c: encode flows, decode them with an independent IPFIX decoder, compare. */
// links: reader/export/ipfix.c reader/export/ipfix_exporter.c
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "export/ipfix.h"
#include "testlib.h"

/* One PASS/FAIL line: why is NULL when the check passed. */
static void report(const char *name, const char *why)
{
	if (why)
		tl_fail(name, "%s", why);
	else
		tl_pass(name, NULL);
}

/* printf into a static buffer: the "why" of a failed check. */
static const char *fmt(const char *f, ...)
{
	static char buf[512];
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, sizeof(buf), f, ap);
	va_end(ap);
	return buf;
}

/*
 * ---- An independent decoder, written from RFC 7011 and the IANA registry ----
 * It learns templates from the messages like a collector does and decodes
 * data records through them, so it never trusts the encoder's tables.
 */

/*
 * IANA numbers, names and the length each must have here (RFC 7012, RFC
 * 7125 and the IANA registry), written here independently of ipfix.c.
 */
static const struct {
	uint16_t ie, len;
	const char *name;
} iana[] = {
	{ 1, 8, "octetDeltaCount" },
	{ 2, 8, "packetDeltaCount" },
	{ 4, 1, "protocolIdentifier" },
	{ 6, 2, "tcpControlBits" }, /* unsigned16 since RFC 7125 */
	{ 7, 2, "sourceTransportPort" },
	{ 8, 4, "sourceIPv4Address" },
	{ 10, 4, "ingressInterface" },
	{ 11, 2, "destinationTransportPort" },
	{ 12, 4, "destinationIPv4Address" },
	{ 27, 16, "sourceIPv6Address" },
	{ 28, 16, "destinationIPv6Address" },
	{ 32, 2, "icmpTypeCodeIPv4" },
	{ 58, 2, "vlanId" },
	{ 85, 8, "octetTotalCount" },
	{ 86, 8, "packetTotalCount" },
	{ 139, 2, "icmpTypeCodeIPv6" },
	{ 152, 8, "flowStartMilliseconds" },
	{ 153, 8, "flowEndMilliseconds" },
	{ 243, 2, "dot1qVlanId" },
	{ 245, 2, "dot1qCustomerVlanId" },
	{ 352, 8, "layer2OctetDeltaCount" },
	{ 353, 8, "layer2OctetTotalCount" },
};

#define MAX_FIELDS 32

struct dec_template {
	uint16_t id, count, rlen;
	uint16_t ie[MAX_FIELDS], len[MAX_FIELDS];
};

struct got_flow {
	uint16_t template_id;
	uint32_t msg_index;
	uint8_t src4[4], dst4[4], src6[16], dst6[16];
	uint64_t val[400]; /* by IE number */
	bool has[400];
};

struct decoder {
	struct dec_template tmpl[16];
	int ntmpl;
	struct got_flow *flows;
	size_t nflows, cap;
	uint32_t messages;
	uint64_t records_before; /* data records in earlier messages: the expected sequence */
	uint32_t odid;
	bool template_in_msg[4096]; /* per message index: carried a template set */
	char err[256];
};

static uint64_t get_be(const uint8_t *p, int len)
{
	uint64_t v = 0;

	for (int i = 0; i < len; i++)
		v = v << 8 | p[i];
	return v;
}

static int iana_len(uint16_t ie)
{
	for (size_t i = 0; i < sizeof(iana) / sizeof(iana[0]); i++)
		if (iana[i].ie == ie)
			return iana[i].len;
	return -1;
}

static int dec_fail(struct decoder *d, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(d->err, sizeof(d->err), f, ap);
	va_end(ap);
	return -1;
}

static struct dec_template *find_template(struct decoder *d, uint16_t id)
{
	for (int i = 0; i < d->ntmpl; i++)
		if (d->tmpl[i].id == id)
			return &d->tmpl[i];
	return NULL;
}

static int decode_templates(struct decoder *d, const uint8_t *p, size_t len)
{
	size_t off = 0;

	while (off < len) {
		struct dec_template t = { 0 }, *slot;

		if (len - off < 4)
			return dec_fail(d, "template set: %zu stray bytes", len - off);
		t.id = get_be(p + off, 2);
		t.count = get_be(p + off + 2, 2);
		off += 4;
		if (t.id < 256 || t.count == 0 || t.count > MAX_FIELDS || len - off < 4u * t.count)
			return dec_fail(d, "template %u: bad id or field count %u", t.id, t.count);
		for (int i = 0; i < t.count; i++, off += 4) {
			t.ie[i] = get_be(p + off, 2);
			t.len[i] = get_be(p + off + 2, 2);
			if (t.ie[i] & 0x8000)
				return dec_fail(d, "template %u: enterprise bit set", t.id);
			if (iana_len(t.ie[i]) != t.len[i])
				return dec_fail(d, "template %u: IE %u with length %u", t.id,
						t.ie[i], t.len[i]);
			t.rlen += t.len[i];
		}
		slot = find_template(d, t.id);
		if (!slot) {
			if (d->ntmpl == 16)
				return dec_fail(d, "too many templates");
			slot = &d->tmpl[d->ntmpl++];
		}
		*slot = t;
	}
	return 0;
}

static int decode_data(struct decoder *d, const struct dec_template *t, const uint8_t *p,
		       size_t len)
{
	/* No padding: the set holds whole records and nothing else. */
	if (len == 0 || len % t->rlen)
		return dec_fail(d,
				"data set %u: %zu bytes is not a whole number of %u-byte records",
				t->id, len, t->rlen);
	for (size_t off = 0; off < len; off += t->rlen) {
		struct got_flow *g;
		const uint8_t *r = p + off;

		if (d->nflows == d->cap) {
			d->cap = d->cap ? d->cap * 2 : 256;
			d->flows = realloc(d->flows, d->cap * sizeof(*d->flows));
		}
		g = &d->flows[d->nflows++];
		memset(g, 0, sizeof(*g));
		g->template_id = t->id;
		g->msg_index = d->messages;
		for (int i = 0; i < t->count; r += t->len[i], i++) {
			uint16_t ie = t->ie[i];

			if (g->has[ie])
				return dec_fail(d, "template %u: IE %u twice", t->id, ie);
			g->has[ie] = true;
			if (ie == 8 || ie == 12)
				memcpy(ie == 8 ? g->src4 : g->dst4, r, 4);
			else if (ie == 27 || ie == 28)
				memcpy(ie == 27 ? g->src6 : g->dst6, r, 16);
			else
				g->val[ie] = get_be(r, t->len[i]);
		}
	}
	return 0;
}

/* Decodes one message; checks the header against the running record count. */
static int decode_message(struct decoder *d, const uint8_t *m, size_t len)
{
	size_t off = IPFIX_HEADER_LEN, before = d->nflows;
	uint32_t seq;

	if (len < IPFIX_HEADER_LEN)
		return dec_fail(d, "message %u: %zu bytes", d->messages, len);
	if (get_be(m, 2) != 10)
		return dec_fail(d, "message %u: version %llu", d->messages,
				(unsigned long long)get_be(m, 2));
	if (get_be(m + 2, 2) != len)
		return dec_fail(d, "message %u: length field %llu, received %zu", d->messages,
				(unsigned long long)get_be(m + 2, 2), len);
	seq = get_be(m + 8, 4);
	if (seq != (uint32_t)d->records_before)
		return dec_fail(d, "message %u: sequence %u, expected %llu", d->messages, seq,
				(unsigned long long)d->records_before);
	d->odid = get_be(m + 12, 4);
	while (off < len) {
		uint16_t id, slen;

		if (len - off < 4)
			return dec_fail(d, "message %u: %zu bytes after the last set", d->messages,
					len - off);
		id = get_be(m + off, 2);
		slen = get_be(m + off + 2, 2);
		if (slen < 4 || slen > len - off)
			return dec_fail(d, "message %u: set length %u", d->messages, slen);
		if (id == 2) {
			if (d->messages < 4096)
				d->template_in_msg[d->messages] = true;
			if (decode_templates(d, m + off + 4, slen - 4))
				return -1;
		} else if (id >= 256) {
			struct dec_template *t = find_template(d, id);

			if (!t)
				return dec_fail(d, "message %u: data set %u before its template",
						d->messages, id);
			if (decode_data(d, t, m + off + 4, slen - 4))
				return -1;
		} else {
			return dec_fail(d, "message %u: unexpected set id %u", d->messages, id);
		}
		off += slen;
	}
	d->records_before += d->nflows - before;
	d->messages++;
	return 0;
}

static void decoder_free(struct decoder *d)
{
	free(d->flows);
	memset(d, 0, sizeof(*d));
}

/* ---- Expected wire content: the encoder's table, checked against IANA ---- */

/* The element the IANA registry numbers name, or -1. */
static int iana_by_name(const char *name)
{
	for (size_t i = 0; name && i < sizeof(iana) / sizeof(iana[0]); i++)
		if (!strcmp(iana[i].name, name))
			return i;
	return -1;
}

/* Every field of ipfix_fields[] is the IANA element of its name, with its length. */
static void test_fields_iana(void)
{
	bool used[IPFIX_FIELDS] = { false };
	struct tl_check c;
	int k, i, j, a, t;

	tl_begin(&c, "ipfix fields are the IANA elements they name, each in a template once");
	for (i = 0; i < IPFIX_FIELDS; i++) {
		const struct ipfix_field *f = &ipfix_fields[i];

		a = iana_by_name(f->name);
		tl_expect(&c, a >= 0 && iana[a].ie == f->id && iana[a].len == f->len,
			  "field %d (%s): IE %u, %u octets", i, f->name ? f->name : "?", f->id,
			  f->len);
		t = iana_by_name(f->total_name);
		tl_expect(&c, !f->total_name || (t >= 0 && iana[t].ie == f->total_id &&
						 iana[t].len == f->len),
			  "field %d (%s): total IE %u", i, f->total_name, f->total_id);
	}
	for (k = 0; k < IPFIX_TMPL_KINDS; k++)
		for (i = 0; i < ipfix_templates[k].count; i++) {
			used[ipfix_templates[k].fields[i]] = true;
			for (j = 0; j < i; j++)
				tl_expect(&c, ipfix_templates[k].fields[i] !=
						      ipfix_templates[k].fields[j],
					  "template %d: field %u twice", k,
					  ipfix_templates[k].fields[i]);
		}
	for (i = 0; i < IPFIX_FIELDS; i++)
		tl_expect(&c, used[i], "field %d (%s) in no template", i, ipfix_fields[i].name);
	tl_end(&c, NULL);
}

static uint16_t counter_ie(int which, bool delta)
{
	static const uint16_t delta_ie[] = { 2, 1, 352 }, total_ie[] = { 86, 85, 353 };

	return delta ? delta_ie[which] : total_ie[which];
}

/*
 * Template ids (ipfix.h): kinds 0-3 (IPv4, IPv6, ICMP, ICMPv6) are 256-259
 * in delta mode and 260-263 in total mode, as before VLANs; their QinQ
 * variants (kinds 4-7) 8 above, 264-267 and 268-271.
 */
static uint16_t tmpl_id(int kind, bool delta)
{
	return (uint16_t)((delta ? 256 : 260) + (kind & 3) + (kind >= 4 ? 8 : 0));
}

/* The templates on the wire are the encoder's table, in the mode's elements. */
static const char *check_templates(struct decoder *d, bool delta)
{
	for (int k = 0; k < IPFIX_TMPL_KINDS; k++) {
		const struct ipfix_template *want = &ipfix_templates[k];
		struct dec_template *t = find_template(d, tmpl_id(k, delta));

		if (!t)
			return fmt("template %u missing", tmpl_id(k, delta));
		if (t->count != want->count)
			return fmt("template %u has %u fields, want %d", t->id, t->count,
				   want->count);
		for (int i = 0; i < t->count; i++) {
			uint16_t w = ipfix_field_ie(&ipfix_fields[want->fields[i]], delta);

			if (t->ie[i] != w)
				return fmt("template %u field %d is IE %u, want %u", t->id, i,
					   t->ie[i], w);
		}
	}
	return NULL;
}

static bool is_icmp(const struct ipfix_flow *f)
{
	return (f->family == 4 && f->proto == 1) || (f->family == 6 && f->proto == 58);
}

/* Kind: IPv4, IPv6, ICMP, ICMPv6; + 4 with two VLAN tags (QinQ). */
static int want_kind(const struct ipfix_flow *f)
{
	return (f->family == 6) + 2 * is_icmp(f) + (f->inner_vlan ? 4 : 0);
}

static uint16_t want_template_id(const struct ipfix_flow *f, bool delta)
{
	return tmpl_id(want_kind(f), delta);
}

/* Record length: the IANA lengths of the elements of the flow's template. */
static uint32_t want_record_len(const struct ipfix_flow *f)
{
	const struct ipfix_template *t = &ipfix_templates[want_kind(f)];
	uint32_t len = 0;

	for (int i = 0; i < t->count; i++)
		len += iana_len(ipfix_fields[t->fields[i]].id);
	return len;
}

/* Compares a decoded record with the flow that was encoded. */
static const char *check_flow(const struct ipfix_flow *f, const struct got_flow *g, bool delta)
{
	bool icmp = is_icmp(f);
	uint16_t want_id = want_template_id(f, delta);

	if (g->template_id != want_id)
		return fmt("template %u, want %u", g->template_id, want_id);
	if (f->family == 4) {
		if (!g->has[8] || !g->has[12] || memcmp(g->src4, f->src, 4) ||
		    memcmp(g->dst4, f->dst, 4))
			return "IPv4 addresses differ";
	} else {
		if (!g->has[27] || !g->has[28] || memcmp(g->src6, f->src, 16) ||
		    memcmp(g->dst6, f->dst, 16))
			return "IPv6 addresses differ";
	}
	if (icmp) {
		uint16_t ie = f->family == 4 ? 32 : 139;

		if (!g->has[ie] || g->val[ie] != f->dport)
			return fmt("icmpTypeCode %llu, want %u", (unsigned long long)g->val[ie],
				   f->dport);
		if (g->has[7] || g->has[11] || g->has[6])
			return "ICMP record carries ports or TCP flags";
	} else {
		if (!g->has[7] || !g->has[11] || g->val[7] != f->sport || g->val[11] != f->dport)
			return fmt("ports %llu/%llu, want %u/%u", (unsigned long long)g->val[7],
				   (unsigned long long)g->val[11], f->sport, f->dport);
		if (!g->has[6] || g->val[6] != f->tcp_flags)
			return fmt("tcpControlBits %#llx, want %#x", (unsigned long long)g->val[6],
				   f->tcp_flags);
		if (g->has[32] || g->has[139])
			return "non-ICMP record carries an ICMP type/code";
	}
	if (!g->has[4] || g->val[4] != f->proto)
		return fmt("protocol %llu, want %u", (unsigned long long)g->val[4], f->proto);
	if (!g->has[10] || g->val[10] != f->ingress_ifindex)
		return fmt("ingressInterface %llu, want %u", (unsigned long long)g->val[10],
			   f->ingress_ifindex);
	/* vlanId always (0: untagged); QinQ adds the outer and the customer tag. */
	if (!g->has[58] || g->val[58] != f->vlan)
		return fmt("vlanId %llu, want %u", (unsigned long long)g->val[58], f->vlan);
	if (f->inner_vlan ? !g->has[243] || g->val[243] != f->vlan || !g->has[245] ||
				    g->val[245] != f->inner_vlan :
			    g->has[243] || g->has[245])
		return fmt("dot1qVlanId %llu / dot1qCustomerVlanId %llu, want %u/%u",
			   (unsigned long long)g->val[243], (unsigned long long)g->val[245],
			   f->inner_vlan ? f->vlan : 0, f->inner_vlan);
	if (!g->has[counter_ie(0, delta)] || g->val[counter_ie(0, delta)] != f->packets)
		return fmt("packets (IE %u) %llu, want %llu", counter_ie(0, delta),
			   (unsigned long long)g->val[counter_ie(0, delta)],
			   (unsigned long long)f->packets);
	if (!g->has[counter_ie(1, delta)] || g->val[counter_ie(1, delta)] != f->ip_bytes)
		return fmt("octets (IE %u) wrong", counter_ie(1, delta));
	if (!g->has[counter_ie(2, delta)] || g->val[counter_ie(2, delta)] != f->l2_bytes)
		return fmt("layer-2 octets (IE %u) wrong", counter_ie(2, delta));
	if (g->has[counter_ie(0, !delta)] || g->has[counter_ie(1, !delta)] ||
	    g->has[counter_ie(2, !delta)])
		return "record carries the other mode's counters";
	if (!g->has[152] || !g->has[153] || g->val[152] != f->start_ms || g->val[153] != f->end_ms)
		return fmt("start/end %llu/%llu, want %llu/%llu", (unsigned long long)g->val[152],
			   (unsigned long long)g->val[153], (unsigned long long)f->start_ms,
			   (unsigned long long)f->end_ms);
	return NULL;
}

/* ---- Test flows ---- */

static void make_v4(struct ipfix_flow *f, const char *s, const char *d, uint16_t sp, uint16_t dp,
		    uint8_t proto)
{
	memset(f, 0, sizeof(*f));
	f->family = 4;
	inet_pton(AF_INET, s, f->src);
	inet_pton(AF_INET, d, f->dst);
	f->sport = sp;
	f->dport = dp;
	f->proto = proto;
}

static void make_v6(struct ipfix_flow *f, const char *s, const char *d, uint16_t sp, uint16_t dp,
		    uint8_t proto)
{
	memset(f, 0, sizeof(*f));
	f->family = 6;
	inet_pton(AF_INET6, s, f->src);
	inet_pton(AF_INET6, d, f->dst);
	f->sport = sp;
	f->dport = dp;
	f->proto = proto;
}

/* A mix that exercises every template, extreme values and set switches. */
static size_t sample_flows(struct ipfix_flow *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct ipfix_flow *f = &v[i];
		char a[64], b[64];

		switch (i % 6) {
		case 0:
			snprintf(a, sizeof(a), "10.%zu.%zu.1", (i >> 8) & 255, i & 255);
			make_v4(f, a, "192.0.2.7", 40000 + i % 1000, 443, 6);
			f->tcp_flags = 0x1b;
			break;
		case 1:
			make_v4(f, "198.51.100.1", "203.0.113.250", 53, 65535, 17);
			break;
		case 2:
			make_v4(f, "10.0.0.1", "10.0.0.2", 0, 3 << 8 | 1,
				1); /* unreachable, code 1 */
			break;
		case 3:
			snprintf(a, sizeof(a), "2001:db8::%zx", i);
			make_v6(f, a, "2001:db8:ffff::1", 1, 22, 6);
			f->tcp_flags = 0xff;
			break;
		case 4:
			snprintf(a, sizeof(a), "fe80::%zx", i);
			snprintf(b, sizeof(b), "ff02::%zx", i & 0xfff);
			make_v6(f, a, b, 0, 135 << 8, 58); /* neighbour solicitation */
			break;
		default:
			make_v4(f, "255.255.255.255", "0.0.0.0", 0, 0, 47); /* GRE: no ports */
			break;
		}
		f->ingress_ifindex = i % 3 == 0 ? 0xffffffffu : 1 + i;
		/* Untagged, one tag (up to 4095), or QinQ. */
		f->vlan = i % 4 ? (uint16_t)(i % 4096) : 0;
		f->inner_vlan = i % 4 == 3 ? (uint16_t)(4095 - i % 4096) : 0;
		f->packets = i % 7 == 0 ? UINT64_MAX : 1 + i;
		f->ip_bytes = i % 7 == 0 ? UINT64_MAX - 1 : 60 * (1 + i);
		f->l2_bytes = i % 7 == 0 ? 0x0102030405060708ull : 74 * (1 + i);
		f->start_ms = 1700000000000ull + i;
		f->end_ms = f->start_ms + 1000 * (i % 5);
	}
	return n;
}

/* Encodes flows into messages of at most mtu bytes the way a caller would (templates first). */
static const char *encode_all(const struct ipfix_flow *flows, size_t n, uint32_t mtu, bool delta,
			      uint32_t odid, struct decoder *d, uint32_t *nmsgs)
{
	uint8_t *buf = malloc(mtu);
	struct ipfix_msg m;
	uint32_t seq = 0, len;
	size_t i = 0;
	const char *why = NULL;

	*nmsgs = 0;
	while (i < n && !why) {
		ipfix_msg_begin(&m, buf, mtu, odid, delta);
		if (*nmsgs == 0 && ipfix_msg_add_templates(&m))
			why = "templates do not fit an empty message";
		while (!why && i < n) {
			int err = ipfix_msg_add_flow(&m, &flows[i]);

			if (err == -ENOSPC)
				break;
			if (err)
				why = fmt("add flow %zu: %s", i, strerror(-err));
			i++;
		}
		if (why)
			break;
		if (m.records == 0) {
			why = "a message had no room for a single record";
			break;
		}
		len = ipfix_msg_end(&m, 1700000123 + *nmsgs, seq);
		if (len > mtu) {
			why = fmt("message of %u bytes, mtu %u", len, mtu);
			break;
		}
		if (!why && get_be(buf + 4, 4) != 1700000123 + *nmsgs)
			why = "export time not written";
		if (!why && decode_message(d, buf, len))
			why = fmt("decode: %s", d->err);
		/* Full means full: the next record would not have fit. */
		if (!why && i < n) {
			bool same_set = d->flows[d->nflows - 1].template_id ==
					want_template_id(&flows[i], delta);
			uint32_t need = want_record_len(&flows[i]) + (same_set ? 0 : 4);

			if (len + need <= mtu)
				why = fmt("message %u closed at %u bytes with room for %u more",
					  *nmsgs, len, need);
		}
		seq += m.records;
		(*nmsgs)++;
	}
	free(buf);
	return why;
}

static const char *compare_all(const struct ipfix_flow *flows, size_t n, const struct decoder *d,
			       bool delta)
{
	if (d->nflows != n)
		return fmt("decoded %zu records, encoded %zu", d->nflows, n);
	for (size_t i = 0; i < n; i++) {
		const char *why = check_flow(&flows[i], &d->flows[i], delta);

		if (why)
			return fmt("record %zu: %s", i, why);
	}
	return NULL;
}

static void test_roundtrip(const char *name, size_t n, uint32_t mtu, bool delta, uint32_t min_msgs)
{
	struct ipfix_flow *flows = calloc(n, sizeof(*flows));
	struct decoder d = { 0 };
	uint32_t nmsgs;
	const char *why;

	sample_flows(flows, n);
	why = encode_all(flows, n, mtu, delta, 0xdeadbeef, &d, &nmsgs);
	if (!why)
		why = check_templates(&d, delta);
	if (!why)
		why = compare_all(flows, n, &d, delta);
	if (!why && d.odid != 0xdeadbeef)
		why = fmt("ODID %u", d.odid);
	if (!why && nmsgs < min_msgs)
		why = fmt("%u messages, expected at least %u", nmsgs, min_msgs);
	report(name, why);
	decoder_free(&d);
	free(flows);
}

/* Exact bytes of a one-record IPv4 message, written out by hand from RFC 7011. */
static void test_golden_bytes(void)
{
	static const uint8_t want[] = {
		0x00, 0x0a, 0x00, 0x51, /* version 10, length 16 + 4 + 61 = 81 */
		0x65, 0x53, 0xf1, 0x00, /* export time 1700000000 */
		0x00, 0x00, 0x00, 0x07, /* sequence 7 */
		0x00, 0x00, 0x00, 0x2a, /* ODID 42 */
		0x01, 0x00, 0x00, 0x41, /* set 256, length 4 + 61 = 65 */
		192,  0,    2,	  1,	198,  51,   100,  2, /* addresses */
		0x30, 0x39, 0x00, 0x50, /* ports 12345 -> 80 */
		0x06, 0x00, 0x12, /* TCP, flags SYN|ACK in 2 octets */
		0x00, 0x00, 0x00, 0x05, /* ingress 5 */
		0x01, 0x2c, /* vlanId 300 */
		0,    0,    0,	  0,	0,    0,    0,	  3, /* packets */
		0,    0,    0,	  0,	0,    0,    0,	  180, /* octets */
		0,    0,    0,	  0,	0,    0,    0,	  222, /* layer-2 octets */
		0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x01, /* start 1700000000001 */
		0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x6b, 0xe9, /* end 1700000001001 */
	};
	uint8_t buf[IPFIX_DEFAULT_MTU];
	struct ipfix_flow f;
	struct ipfix_msg m;
	uint32_t len;

	make_v4(&f, "192.0.2.1", "198.51.100.2", 12345, 80, 6);
	f.tcp_flags = 0x12;
	f.ingress_ifindex = 5;
	f.vlan = 300;
	f.packets = 3;
	f.ip_bytes = 180;
	f.l2_bytes = 222;
	f.start_ms = 1700000000001ull;
	f.end_ms = 1700000001001ull;
	ipfix_msg_begin(&m, buf, sizeof(buf), 42, true);
	ipfix_msg_add_flow(&m, &f);
	len = ipfix_msg_end(&m, 1700000000, 7);
	if (len != sizeof(want))
		report("ipfix golden bytes", fmt("length %u, want %zu", len, sizeof(want)));
	else if (memcmp(buf, want, len)) {
		uint32_t i = 0;

		while (buf[i] == want[i])
			i++;
		report("ipfix golden bytes", fmt("byte %u is %#x, want %#x", i, buf[i], want[i]));
	} else {
		report("ipfix golden bytes", NULL);
	}
}

static void test_encoder_errors(void)
{
	uint8_t buf[IPFIX_MIN_MTU];
	struct ipfix_flow f;
	struct ipfix_msg m;
	const char *why = NULL;
	int err, n = 0;

	make_v6(&f, "2001:db8::1", "2001:db8::2", 1, 2, 17);
	f.family = 5;
	ipfix_msg_begin(&m, buf, sizeof(buf), 0, false);
	err = ipfix_msg_add_flow(&m, &f);
	if (err != -EINVAL || m.records || m.len != IPFIX_HEADER_LEN)
		why = fmt("family 5: got %d, want -EINVAL and nothing written", err);

	/* The smallest message holds the templates and at least one IPv6 record. */
	f.family = 6;
	ipfix_msg_begin(&m, buf, sizeof(buf), 0, false);
	if (!why && ipfix_msg_add_templates(&m))
		why = "templates do not fit IPFIX_MIN_MTU";
	while (!why && (err = ipfix_msg_add_flow(&m, &f)) == 0)
		n++;
	if (!why && (err != -ENOSPC || n < 1))
		why = fmt("after %d records got %d, want -ENOSPC after at least 1", n, err);
	if (!why && ipfix_msg_end(&m, 0, 0) > sizeof(buf))
		why = "message larger than its buffer";
	/* A full message refuses the templates rather than overflow. */
	if (!why && ipfix_msg_add_templates(&m) != -ENOSPC)
		why = "templates added to a full message";
	report("ipfix encoder refuses bad family and overflow", why);
}

/* ---- Exporter over real loopback sockets ---- */

static int bind_receiver(int family, uint16_t *port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0), big = 16 << 20;

	if (fd < 0)
		return -errno;
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		len = sizeof(*sin6);
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)&ss, len) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
					  ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

/* Reads every datagram waiting (up to a short quiet period) into the decoder. */
static const char *drain_receiver(int fd, struct decoder *d, uint32_t mtu)
{
	static uint8_t buf[65536];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	/* Loopback delivers during send(); a short quiet period means all is in. */
	while (poll(&pfd, 1, 50) > 0) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0)
			return fmt("recv: %s", strerror(errno));
		if ((uint32_t)n > mtu)
			return fmt("message %u is %zd bytes, mtu %u", d->messages, n, mtu);
		if (decode_message(d, buf, n))
			return fmt("decode: %s", d->err);
	}
	return NULL;
}

static void test_exporter(const char *name, int family, bool delta, uint32_t mtu, size_t n)
{
	struct ipfix_options opts = { .odid = 77, .mtu = mtu, .delta = delta };
	struct ipfix_flow *flows = calloc(n, sizeof(*flows));
	struct ipfix_exporter *exp = NULL;
	struct decoder d = { 0 };
	struct ipfix_stats st;
	char collector[64], msg[256];
	const char *why = NULL;
	uint16_t port;
	int fd, err;

	sample_flows(flows, n);
	fd = bind_receiver(family, &port);
	if (fd < 0) {
		tl_skip(name, "no %s loopback socket: %s", family == AF_INET ? "IPv4" : "IPv6",
			strerror(-fd));
		free(flows);
		return;
	}
	snprintf(collector, sizeof(collector), family == AF_INET ? "127.0.0.1:%u" : "[::1]:%u",
		 port);
	err = ipfix_exporter_open(&exp, collector, &opts, msg, sizeof(msg));
	if (err)
		why = fmt("open %s: %s", collector, msg);
	for (size_t i = 0; !why && i < n; i++) {
		err = ipfix_exporter_add(exp, &flows[i]);
		if (err)
			why = fmt("add: %s", strerror(-err));
		/* Interleave receiving so nothing overflows the socket buffer. */
		if (!why && i % 2000 == 1999)
			why = drain_receiver(fd, &d, mtu ? mtu : IPFIX_DEFAULT_MTU);
	}
	if (!why && (err = ipfix_exporter_flush(exp)))
		why = fmt("flush: %s", strerror(-err));
	if (!why)
		why = drain_receiver(fd, &d, mtu ? mtu : IPFIX_DEFAULT_MTU);
	if (!why && !d.template_in_msg[0])
		why = "first message has no templates";
	if (!why)
		why = check_templates(&d, delta);
	if (!why)
		why = compare_all(flows, n, &d, delta);
	if (!why && d.odid != 77)
		why = fmt("ODID %u", d.odid);
	if (!why) {
		ipfix_exporter_get_stats(exp, &st);
		if (st.records != n || st.messages != d.messages)
			why = fmt("stats say %llu records / %llu messages, received %zu / %u",
				  (unsigned long long)st.records, (unsigned long long)st.messages,
				  d.nflows, d.messages);
	}
	report(name, why);
	ipfix_exporter_close(exp);
	close(fd);
	decoder_free(&d);
	free(flows);
}

static void test_template_refresh(void)
{
	struct ipfix_options opts = { .template_every_msgs = 10, .template_interval_s = 1 };
	struct ipfix_flow flows[400];
	struct ipfix_exporter *exp = NULL;
	struct decoder d = { 0 };
	char collector[64], msg[256];
	const char *why = NULL;
	uint32_t first_batch;
	uint16_t port;
	int fd;

	sample_flows(flows, 400);
	fd = bind_receiver(AF_INET, &port);
	snprintf(collector, sizeof(collector), "127.0.0.1:%u", port);
	if (fd < 0 || ipfix_exporter_open(&exp, collector, &opts, msg, sizeof(msg))) {
		report("ipfix templates resent every N messages and every interval",
		       "setup failed");
		if (fd >= 0)
			close(fd);
		return;
	}
	for (int i = 0; i < 400; i++)
		ipfix_exporter_add(exp, &flows[i]);
	ipfix_exporter_flush(exp);
	why = drain_receiver(fd, &d, IPFIX_DEFAULT_MTU);
	for (uint32_t i = 0; !why && i < d.messages; i++)
		if (d.template_in_msg[i] != (i % 10 == 0))
			why = fmt("message %u %s templates", i,
				  d.template_in_msg[i] ? "has" : "lacks");
	if (!why && d.messages < 11)
		why = fmt("only %u messages", d.messages);

	/* After the interval the next message starts with templates again. */
	first_batch = d.messages;
	if (!why && first_batch % 10 == 0)
		why = "test needs a batch that does not end on a refresh";
	if (!why) {
		nanosleep(&(struct timespec){ .tv_sec = 1, .tv_nsec = 100000000 }, NULL);
		ipfix_exporter_add(exp, &flows[0]);
		ipfix_exporter_flush(exp);
		why = drain_receiver(fd, &d, IPFIX_DEFAULT_MTU);
	}
	if (!why && (d.messages != first_batch + 1 || !d.template_in_msg[first_batch]))
		why = "message after the interval has no templates";
	report("ipfix templates resent every N messages and every interval", why);
	ipfix_exporter_close(exp);
	close(fd);
	decoder_free(&d);
}

static void test_first_sequence(void)
{
	struct ipfix_options opts = { .first_sequence = 0xfffffff0u };
	struct ipfix_flow flows[100];
	struct ipfix_exporter *exp = NULL;
	static uint8_t buf[65536];
	char collector[64], msg[256];
	const char *why = NULL;
	uint32_t want = 0xfffffff0u, rec_len[8];
	uint16_t port;
	int fd, msgs = 0;
	ssize_t n;

	sample_flows(flows, 100);
	for (int k = 0; k < 8; k++) {
		struct ipfix_flow f = { .family = k & 1 ? 6 : 4,
					.proto = (k & 3) < 2 ? 6 : (k & 1 ? 58 : 1),
					.vlan = k >= 4, .inner_vlan = k >= 4 };

		rec_len[k] = want_record_len(&f);
	}
	fd = bind_receiver(AF_INET, &port);
	snprintf(collector, sizeof(collector), "127.0.0.1:%u", port);
	if (fd < 0 || ipfix_exporter_open(&exp, collector, &opts, msg, sizeof(msg))) {
		report("ipfix sequence starts at first_sequence and wraps", "setup failed");
		if (fd >= 0)
			close(fd);
		return;
	}
	for (int i = 0; i < 100; i++)
		ipfix_exporter_add(exp, &flows[i]);
	ipfix_exporter_flush(exp);
	while (!why && poll(&(struct pollfd){ .fd = fd, .events = POLLIN }, 1, 50) > 0 &&
	       (n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		if (get_be(buf + 8, 4) != want)
			why = fmt("message %d: sequence %llu, want %u", msgs,
				  (unsigned long long)get_be(buf + 8, 4), want);
		/* Records in this message: data set payloads over the IANA record sizes. */
		for (size_t off = IPFIX_HEADER_LEN; off + 4 <= (size_t)n;) {
			uint16_t id = get_be(buf + off, 2), slen = get_be(buf + off + 2, 2);

			if (slen < 4)
				break;
			if (id >= 260 && id < 264)
				want += (slen - 4) / rec_len[id - 260];
			else if (id >= 268 && id < 272)
				want += (slen - 4) / rec_len[id - 268 + 4];
			off += slen;
		}
		msgs++;
	}
	if (!why && want != 0xfffffff0u + 100u)
		why = fmt("records counted %u", want - 0xfffffff0u);
	if (!why && msgs < 2)
		why = "needs more than one message";
	report("ipfix sequence starts at first_sequence and wraps", why);
	ipfix_exporter_close(exp);
	close(fd);
}

static void test_parse_collector(void)
{
	static const struct {
		const char *spec, *host, *port;
	} good[] = {
		{ "collector.example", "collector.example", "4739" },
		{ "127.0.0.1:2055", "127.0.0.1", "2055" },
		{ "[::1]:4740", "::1", "4740" },
		{ "[2001:db8::1]", "2001:db8::1", "4739" },
		{ "::1", "::1", "4739" },
		{ "host:65535", "host", "65535" },
		{ "host:00080", "host", "80" },
	};
	static const char *bad[] = {
		"",	":4739",   "host:",	"host:0", "host:65536", "host:12ab",
		"[::1", "[]:4739", "[::1]4739", "[::1]:", "host:-1",	"host:123456",
	};
	char host[256], port[8], msg[256];
	const char *why = NULL;

	for (size_t i = 0; !why && i < sizeof(good) / sizeof(good[0]); i++) {
		if (ipfix_parse_collector(good[i].spec, host, sizeof(host), port, sizeof(port), msg,
					  sizeof(msg)))
			why = fmt("\"%s\" refused: %s", good[i].spec, msg);
		else if (strcmp(host, good[i].host) || strcmp(port, good[i].port))
			why = fmt("\"%s\" -> %s port %s", good[i].spec, host, port);
	}
	for (size_t i = 0; !why && i < sizeof(bad) / sizeof(bad[0]); i++) {
		msg[0] = '\0';
		if (ipfix_parse_collector(bad[i], host, sizeof(host), port, sizeof(port), msg,
					  sizeof(msg)) != -EINVAL)
			why = fmt("\"%s\" accepted", bad[i]);
		else if (!msg[0] || strchr(msg, '\n') || (bad[i][0] && !strstr(msg, bad[i])))
			why = fmt("\"%s\": message \"%s\" is not one line naming the input", bad[i],
				  msg);
	}
	report("ipfix collector HOST, HOST:PORT, [IPV6]:PORT parsing", why);
}

static void test_open_errors(void)
{
	struct ipfix_options opts = { 0 };
	struct ipfix_exporter *exp = (void *)1;
	char msg[256];
	const char *why = NULL;
	int err;

	err = ipfix_exporter_open(&exp, "127.0.0.1:99999", &opts, msg, sizeof(msg));
	if (err != -EINVAL || exp)
		why = fmt("bad port: %d", err);
	if (!why) {
		err = ipfix_exporter_open(&exp, "nosuchhost.invalid:4739", &opts, msg, sizeof(msg));
		if (err != -EHOSTUNREACH || !strstr(msg, "nosuchhost.invalid") || strchr(msg, '\n'))
			why = fmt("unresolvable host: %d \"%s\"", err, msg);
	}
	opts.mtu = IPFIX_MIN_MTU - 1;
	if (!why) {
		err = ipfix_exporter_open(&exp, "127.0.0.1", &opts, msg, sizeof(msg));
		if (err != -EINVAL || !strstr(msg, "575"))
			why = fmt("mtu %u: %d \"%s\"", opts.mtu, err, msg);
	}
	opts.mtu = IPFIX_MAX_MTU + 1;
	if (!why && ipfix_exporter_open(&exp, "127.0.0.1", &opts, msg, sizeof(msg)) != -EINVAL)
		why = "mtu above the UDP maximum accepted";
	opts.mtu = 0;
	if (!why) {
		err = ipfix_exporter_open_host(&exp, "127.0.0.1", 0, &opts, msg, sizeof(msg));
		if (err || strcmp(ipfix_exporter_peer(exp), "127.0.0.1 port 4739"))
			why = fmt("open_host default port: %d %s", err,
				  err ? msg : ipfix_exporter_peer(exp));
		ipfix_exporter_close(exp);
	}
	report("ipfix exporter open errors are one line with the right errno", why);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* max_records_per_s holds the average down; nothing is lost on the way. */
static void test_pacing(void)
{
	enum { N = 30000, RATE = 100000 };
	struct ipfix_options opts = { .max_records_per_s = RATE };
	struct ipfix_flow *flows = calloc(N, sizeof(*flows));
	struct ipfix_exporter *exp = NULL;
	struct decoder d = { 0 };
	char collector[64], msg[256];
	const char *why = NULL;
	double t0, elapsed;
	uint16_t port;
	int fd;

	sample_flows(flows, N);
	fd = bind_receiver(AF_INET, &port);
	snprintf(collector, sizeof(collector), "127.0.0.1:%u", port);
	if (fd < 0 || ipfix_exporter_open(&exp, collector, &opts, msg, sizeof(msg))) {
		report("ipfix pacing holds the record rate", "setup failed");
		if (fd >= 0)
			close(fd);
		free(flows);
		return;
	}
	t0 = now_s();
	for (int i = 0; i < N; i++)
		ipfix_exporter_add(exp, &flows[i]);
	ipfix_exporter_flush(exp);
	elapsed = now_s() - t0;
	/* The first batch (64 messages, at most ~1500 records) goes out at once. */
	if (elapsed < (N - 1500.0) / RATE || elapsed > 3.0 * N / RATE)
		why = fmt("%d records at %d/s took %.3f s", N, RATE, elapsed);
	if (!why)
		why = drain_receiver(fd, &d, IPFIX_DEFAULT_MTU);
	if (!why)
		why = compare_all(flows, N, &d, false);
	report("ipfix pacing holds the record rate", why);
	ipfix_exporter_close(exp);
	close(fd);
	decoder_free(&d);
	free(flows);
}

/* A collector that is not listening: the kernel's port unreachable surfaces as -ECONNREFUSED. */
static void test_refused(void)
{
	struct ipfix_options opts = { 0 };
	struct ipfix_exporter *exp;
	struct ipfix_flow flows[60];
	char collector[64], msg[256];
	const char *why = NULL;
	uint16_t port;
	int fd = bind_receiver(AF_INET, &port), err = 0;

	sample_flows(flows, 60);
	close(fd); /* the port is now closed */
	snprintf(collector, sizeof(collector), "127.0.0.1:%u", port);
	if (ipfix_exporter_open(&exp, collector, &opts, msg, sizeof(msg))) {
		report("ipfix unreachable collector reported as ECONNREFUSED", msg);
		return;
	}
	for (int round = 0; round < 3 && !err; round++) {
		for (int i = 0; i < 60 && !err; i++)
			err = ipfix_exporter_add(exp, &flows[i]);
		if (!err)
			err = ipfix_exporter_flush(exp);
	}
	if (err != -ECONNREFUSED)
		why = fmt("got %d (%s)", err, strerror(-err));
	ipfix_exporter_close(exp);
	report("ipfix unreachable collector reported as ECONNREFUSED", why);
}

int main(int argc, char **argv)
{
	(void)argc;
	tl_init(argv[0]);
	test_fields_iana();
	test_golden_bytes();
	test_encoder_errors();
	test_roundtrip("ipfix roundtrip total mode, one message", 6, IPFIX_DEFAULT_MTU, false, 1);
	test_roundtrip("ipfix roundtrip delta mode, one message", 6, IPFIX_DEFAULT_MTU, true, 1);
	test_roundtrip("ipfix roundtrip 5000 flows spanning messages, mtu 1400", 5000,
		       IPFIX_DEFAULT_MTU, true, 200);
	test_roundtrip("ipfix roundtrip 5000 flows, smallest mtu 576", 5000, IPFIX_MIN_MTU, false,
		       600);
	test_roundtrip("ipfix roundtrip 5000 flows, odd mtu 577", 5000, 577, true, 500);
	test_roundtrip("ipfix roundtrip 5000 flows, jumbo mtu 9000", 5000, 9000, false, 30);
	test_roundtrip("ipfix roundtrip 20000 flows, largest mtu 65507", 20000, IPFIX_MAX_MTU, true,
		       20);
	test_parse_collector();
	test_open_errors();
	test_exporter("ipfix exporter to 127.0.0.1, 10000 flows, delta", AF_INET, true, 0, 10000);
	test_exporter("ipfix exporter to 127.0.0.1, 10000 flows, total, mtu 600", AF_INET, false,
		      600, 10000);
	test_exporter("ipfix exporter to [::1], 3000 flows", AF_INET6, false, 0, 3000);
	test_template_refresh();
	test_first_sequence();
	test_pacing();
	test_refused();
	return tl_summary();
}
