// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the IPFIX encoder and exporter fed random flows, every message decoded and compared. */
// links: reader/export/ipfix.c reader/export/ipfix_exporter.c
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include "fuzz.h"
#include "export/ipfix.h"

/*
 * Two ways in, chosen by the first byte:
 *   - the pure encoder (ipfix_msg_*): flows added until a message is full
 *     (or the input ends one early), templates where the input asks;
 *   - the exporter (ipfix_exporter_*) over UDP on 127.0.0.1 to a socket
 *     of ours, unpaced, resending templates every few messages.
 * Every message is decoded by the small RFC 7011 decoder below: header
 * (version, length, ODID, sequence = records sent before), set lengths,
 * template ids and field lists (those of the encoder's table,
 * ipfix_templates[]; unit test test_ipfix checks that table against the
 * IANA registry), data sets without padding, and every field of every
 * record against the flow that went in, by what its IANA number means.
 */

#define MAX_FLOWS 3000

/* ---- The templates: the encoder's own table (check_field() checks what each element means) ---- */

struct ie {
	uint16_t id, len;
};

/* ipfix.h: IPv4, IPv6, ICMP, ICMPv6; the same + 4 for QinQ (two VLAN tags). */
static int doc_kind(const struct ipfix_flow *f)
{
	int k = f->family == 6 ? (f->proto == 58 ? 3 : 1) : (f->proto == 1 ? 2 : 0);

	return f->inner_vlan ? k + 4 : k;
}

/* Template ids: the plain kinds from base, the QinQ ones 8 above (ipfix.h). */
static uint16_t doc_id(uint16_t base, int kind)
{
	return (uint16_t)(base + (kind & 3) + (kind >= 4 ? 8 : 0));
}

/* ---- The decoder ---- */

struct templ {
	bool known;
	int n;
	struct ie f[32];
	uint32_t reclen;
};

struct decoder {
	bool delta;
	uint32_t odid;
	uint32_t sequence; /* records decoded so far, from first_sequence */
	struct templ t[65536 - 256]; /* by template id - 256 */
	const struct ipfix_flow *flows; /* what went in, in order */
	size_t nflows, next;
	size_t messages, template_messages;
	uint64_t bytes;
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) << 16 | rd16(p + 2);
}

static uint64_t rdn(const uint8_t *p, int len)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < len; i++)
		v = v << 8 | p[i];
	return v;
}

static void decode_templates(struct decoder *d, const uint8_t *p, uint32_t len)
{
	uint16_t base = d->delta ? IPFIX_TEMPLATE_ID_DELTA : IPFIX_TEMPLATE_ID_TOTAL;
	uint32_t off = 0;
	int seen = 0;

	while (off < len) {
		const struct ipfix_field *want;
		uint16_t id, count;
		struct templ *t;
		int k, i;

		fz_assert(len - off >= 4, "template record header cut at %u of %u", off, len);
		id = rd16(p + off);
		count = rd16(p + off + 2);
		off += 4;
		fz_assert(seen < 8 && id == doc_id(base, seen), "template id %u in %s mode", id,
			  d->delta ? "delta" : "total");
		k = seen++;
		fz_assert(count == ipfix_templates[k].count, "template %u has %u fields, not %d", id,
			  count, ipfix_templates[k].count);
		fz_assert(len - off >= 4u * count, "template %u cut", id);
		t = &d->t[id - 256];
		t->known = true;
		t->n = count;
		t->reclen = 0;
		for (i = 0; i < count; i++) {
			t->f[i].id = rd16(p + off);
			t->f[i].len = rd16(p + off + 2);
			off += 4;
			fz_assert(!(t->f[i].id & 0x8000), "enterprise bit in template %u", id);
			want = &ipfix_fields[ipfix_templates[k].fields[i]];
			fz_assert(t->f[i].id == ipfix_field_ie(want, d->delta) && t->f[i].len == want->len,
				  "template %u field %d: %u/%u, the table's %u/%u", id, i, t->f[i].id,
				  t->f[i].len, ipfix_field_ie(want, d->delta), want->len);
			t->reclen += t->f[i].len;
		}
	}
	fz_assert(seen == 8, "template set with %d templates", seen);
}

/* One field of a record against the flow. */
static void check_field(const struct ipfix_flow *f, const struct ie *ie, const uint8_t *p,
			bool delta, size_t index)
{
	uint64_t v = ie->len <= 8 ? rdn(p, ie->len) : 0;
	uint64_t want = 0;
	size_t alen = f->family == 6 ? 16 : 4;

	switch (ie->id) {
	case 8:
	case 27:
		fz_assert(ie->len == alen && !memcmp(p, f->src, alen), "flow %zu: source", index);
		return;
	case 12:
	case 28:
		fz_assert(ie->len == alen && !memcmp(p, f->dst, alen), "flow %zu: destination",
			  index);
		return;
	case 7:
		want = f->sport;
		break;
	case 11:
	case 32:
	case 139:
		want = f->dport; /* ICMP: type << 8 | code */
		break;
	case 4:
		want = f->proto;
		break;
	case 6:
		want = f->tcp_flags;
		break;
	case 10:
		want = f->ingress_ifindex;
		break;
	case 58: /* vlanId: the outer tag, in every record */
		want = f->vlan;
		break;
	case 243: /* dot1qVlanId: QinQ records only, the outer tag again */
		fz_assert(f->inner_vlan, "flow %zu: dot1qVlanId without two tags", index);
		want = f->vlan;
		break;
	case 245:
		fz_assert(f->inner_vlan, "flow %zu: dot1qCustomerVlanId without two tags", index);
		want = f->inner_vlan;
		break;
	case 2:
	case 86:
		fz_assert((ie->id == 2) == delta, "%s", "packet counter of the other mode");
		want = f->packets;
		break;
	case 1:
	case 85:
		fz_assert((ie->id == 1) == delta, "%s", "octet counter of the other mode");
		want = f->ip_bytes;
		break;
	case 352:
	case 353:
		fz_assert((ie->id == 352) == delta, "%s", "layer-2 counter of the other mode");
		want = f->l2_bytes;
		break;
	case 152:
		want = f->start_ms;
		break;
	case 153:
		want = f->end_ms;
		break;
	default:
		fz_fail(__FILE__, __LINE__, "known IE", "flow %zu: IE %u", index, ie->id);
	}
	fz_assert(v == want, "flow %zu: IE %u is %llu, flow has %llu", index, ie->id,
		  (unsigned long long)v, (unsigned long long)want);
}

static uint32_t decode_data(struct decoder *d, uint16_t id, const uint8_t *p, uint32_t len)
{
	const struct templ *t = &d->t[id - 256];
	uint32_t records, r;
	int i;

	fz_assert(t->known, "data set %u before its template", id);
	fz_assert(len > 0 && len % t->reclen == 0, "data set %u of %u bytes, records of %u", id,
		  len, t->reclen);
	records = len / t->reclen;
	for (r = 0; r < records; r++, d->next++) {
		const struct ipfix_flow *f;
		uint16_t want_id;

		fz_assert(d->next < d->nflows, "%s", "more records than flows");
		f = &d->flows[d->next];
		want_id = doc_id(d->delta ? IPFIX_TEMPLATE_ID_DELTA : IPFIX_TEMPLATE_ID_TOTAL,
				 doc_kind(f));
		fz_assert(id == want_id, "flow %zu in set %u, documented %u", d->next, id, want_id);
		for (i = 0; i < t->n; i++) {
			check_field(f, &t->f[i], p, d->delta, d->next);
			p += t->f[i].len;
		}
	}
	return records;
}

/* One whole message; returns its records.  *had_templates: it carried a template set. */
static uint32_t decode_message(struct decoder *d, const uint8_t *m, uint32_t len,
			       bool *had_templates)
{
	uint32_t off = IPFIX_HEADER_LEN, records = 0;

	*had_templates = false;
	fz_assert(len >= IPFIX_HEADER_LEN, "message of %u bytes", len);
	fz_assert(rd16(m) == IPFIX_VERSION, "version %u", rd16(m));
	fz_assert(rd16(m + 2) == len, "length field %u, message %u", rd16(m + 2), len);
	fz_assert(rd32(m + 8) == d->sequence, "sequence %u, expected %u", rd32(m + 8),
		  d->sequence);
	fz_assert(rd32(m + 12) == d->odid, "ODID %u, expected %u", rd32(m + 12), d->odid);
	while (off < len) {
		uint16_t id, slen;

		fz_assert(len - off >= IPFIX_SET_HEADER_LEN, "set header cut at %u", off);
		id = rd16(m + off);
		slen = rd16(m + off + 2);
		fz_assert(slen >= IPFIX_SET_HEADER_LEN && slen <= len - off,
			  "set %u of length %u at %u in %u", id, slen, off, len);
		if (id == IPFIX_SET_TEMPLATE) {
			fz_assert(!records && !*had_templates, "%s",
				  "templates after data or twice in one message");
			decode_templates(d, m + off + 4, slen - 4u);
			*had_templates = true;
		} else {
			fz_assert(id >= 256, "set id %u", id);
			records += decode_data(d, id, m + off + 4, slen - 4u);
		}
		off += slen;
	}
	d->sequence += records;
	d->messages++;
	d->bytes += len;
	d->template_messages += *had_templates;
	return records;
}

/* ---- Flows from the input ---- */

static size_t read_flows(struct fz_in *in, struct ipfix_flow *flows, uint8_t *ctl)
{
	static const uint8_t protos[] = { 1, 58, 6, 17, 132, 0 };
	size_t n = 0;

	while (fz_left(in) && n < MAX_FLOWS) {
		struct ipfix_flow *f = &flows[n];
		uint8_t sel = fz_u8(in);

		memset(f, 0, sizeof(*f));
		/* Mostly valid families; now and then one the encoder must refuse. */
		f->family = (sel & 7) == 7 ? (int)(int8_t)fz_u8(in) : (sel & 1) ? 6 : 4;
		fz_bytes(in, f->src, f->family == 4 ? 4 : 16);
		fz_bytes(in, f->dst, f->family == 4 ? 4 : 16);
		f->sport = fz_u16(in);
		f->dport = fz_u16(in);
		f->proto = (sel & 0x18) ? protos[(sel >> 3) % sizeof(protos)] : fz_u8(in);
		f->tcp_flags = fz_u8(in);
		f->ingress_ifindex = fz_u32(in);
		/* Untagged, one tag or QinQ (VLAN IDs are 12 bits). */
		f->vlan = (sel & 0x20) ? fz_u16(in) & 0xfff : 0;
		f->inner_vlan = (sel & 0x40) ? fz_u16(in) & 0xfff : 0;
		f->packets = fz_u64_edgy(in);
		f->ip_bytes = fz_u64_edgy(in);
		f->l2_bytes = fz_u64_edgy(in);
		f->start_ms = fz_u64_edgy(in);
		f->end_ms = fz_u64_edgy(in);
		ctl[n++] = sel >> 5;
	}
	return n;
}

static bool valid_family(const struct ipfix_flow *f)
{
	return f->family == 4 || f->family == 6;
}

/* ---- Way 1: the pure encoder ---- */

static void check_message_end(struct decoder *d, struct ipfix_msg *msg, uint32_t seq)
{
	uint32_t records = msg->records, len, time_field = 0x5eed0000u + (uint32_t)d->messages;
	bool tmpl;

	len = ipfix_msg_end(msg, time_field, seq);
	fz_assert(len == msg->len && len <= msg->cap, "message of %u bytes, cap %u", len,
		  msg->cap);
	fz_assert(rd32(msg->buf + 4) == time_field, "%s", "export time not written");
	fz_assert(decode_message(d, msg->buf, len, &tmpl) == records,
		  "message says %u records, decoded otherwise", records);
}

static void run_encoder(struct fz_in *in, uint8_t mode)
{
	static struct ipfix_flow flows[MAX_FLOWS], accepted[MAX_FLOWS];
	static uint8_t ctl[MAX_FLOWS], buf[IPFIX_MAX_MTU + 64];
	static struct decoder d;
	uint32_t mtu = fz_u16(in), odid = fz_u32(in), seq = fz_u32(in);
	bool delta = mode & 2, open = false;
	struct ipfix_msg msg;
	size_t n, i, nacc = 0;

	mtu = (mode & 4) ? IPFIX_MIN_MTU + mtu % (IPFIX_MAX_MTU - IPFIX_MIN_MTU + 1)
			 : IPFIX_MIN_MTU + mtu % 1024;
	n = read_flows(in, flows, ctl);
	for (i = 0; i < n; i++)
		if (valid_family(&flows[i]))
			accepted[nacc++] = flows[i];
	memset(&d, 0, sizeof(d));
	d.delta = delta;
	d.odid = odid;
	d.sequence = seq;
	d.flows = accepted;
	d.nflows = nacc;
	memset(buf, 0xa5, sizeof(buf));

	for (i = 0; i < n; i++) {
		int err;

		if (!open) {
			ipfix_msg_begin(&msg, buf, mtu, odid, delta);
			/* Templates in the first message, then where the input asks. */
			if (!d.messages || (ctl[i] & 1))
				fz_assert(!ipfix_msg_add_templates(&msg), "%s",
					  "templates do not fit an empty message");
			open = true;
		}
		err = ipfix_msg_add_flow(&msg, &flows[i]);
		if (!valid_family(&flows[i])) {
			fz_assert(err == -EINVAL, "family %d: %d", flows[i].family, err);
			continue;
		}
		if (err == -ENOSPC) {
			fz_assert(msg.records > 0, "%s", "an empty message has no room for one record");
			check_message_end(&d, &msg, d.sequence);
			ipfix_msg_begin(&msg, buf, mtu, odid, delta);
			err = ipfix_msg_add_flow(&msg, &flows[i]);
			fz_assert(!err, "a record does not fit an empty message: %d", err);
		}
		fz_assert(!err, "add_flow: %d", err);
		fz_assert(buf[mtu] == 0xa5, "%s", "written past the message size");
		if (ctl[i] & 2) { /* the input ends this message early */
			check_message_end(&d, &msg, d.sequence);
			open = false;
		}
	}
	if (open)
		check_message_end(&d, &msg, d.sequence);
	fz_assert(d.next == nacc, "%zu records decoded, %zu flows accepted", d.next, nacc);
}

/* ---- Way 2: the exporter over loopback ---- */

struct inbox {
	int fd;
	uint8_t *buf;
	size_t used, cap;
	uint32_t *lens;
	size_t n, maxn;
};

/* Everything the collector socket has now. */
static void inbox_drain(struct inbox *ib)
{
	for (;;) {
		ssize_t got;

		if (ib->cap - ib->used < IPFIX_MAX_MTU + 1) {
			ib->cap = ib->cap * 2 + 2 * IPFIX_MAX_MTU;
			ib->buf = realloc(ib->buf, ib->cap);
			fz_assert(ib->buf, "%s", "out of memory");
		}
		if (ib->n == ib->maxn) {
			ib->maxn = ib->maxn * 2 + 64;
			ib->lens = realloc(ib->lens, ib->maxn * sizeof(*ib->lens));
			fz_assert(ib->lens, "%s", "out of memory");
		}
		got = recv(ib->fd, ib->buf + ib->used, IPFIX_MAX_MTU + 1, MSG_DONTWAIT);
		if (got < 0) {
			fz_assert(errno == EAGAIN || errno == EWOULDBLOCK, "recv: %s",
				  strerror(errno));
			return;
		}
		ib->lens[ib->n++] = (uint32_t)got;
		ib->used += (size_t)got;
	}
}

static void run_exporter(struct fz_in *in, uint8_t mode)
{
	static struct ipfix_flow flows[MAX_FLOWS], accepted[MAX_FLOWS];
	static uint8_t ctl[MAX_FLOWS];
	static struct decoder d;
	struct ipfix_options opts = { 0 };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t salen = sizeof(sa);
	struct ipfix_exporter *exp;
	struct inbox ib = { .fd = -1 };
	struct ipfix_stats st;
	char spec[64], msg[256];
	int rcvbuf = 8 << 20, err;
	size_t n, i, nacc = 0, off = 0, last_tmpl = 0;

	opts.delta = mode & 2;
	opts.odid = fz_u32(in);
	opts.mtu = IPFIX_MIN_MTU + fz_u16(in) % ((mode & 4) ? IPFIX_MAX_MTU - IPFIX_MIN_MTU + 1 : 1024);
	opts.first_sequence = fz_u32(in);
	opts.template_every_msgs = 1 + fz_u8(in) % 8;
	opts.template_interval_s = UINT32_MAX; /* only the message count resends templates */
	opts.max_records_per_s = IPFIX_UNPACED;
	n = read_flows(in, flows, ctl);

	ib.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	fz_assert(ib.fd >= 0, "socket: %s", strerror(errno));
	if (setsockopt(ib.fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(ib.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	fz_assert(!bind(ib.fd, (struct sockaddr *)&sa, sizeof(sa)) &&
			  !getsockname(ib.fd, (struct sockaddr *)&sa, &salen),
		  "bind: %s", strerror(errno));
	snprintf(spec, sizeof(spec), "127.0.0.1:%u", ntohs(sa.sin_port));
	err = ipfix_exporter_open(&exp, spec, &opts, msg, sizeof(msg));
	fz_assert(!err, "exporter_open %s: %s", spec, msg);

	for (i = 0; i < n; i++) {
		err = ipfix_exporter_add(exp, &flows[i]);
		if (!valid_family(&flows[i])) {
			fz_assert(err == -EINVAL, "family %d: %d", flows[i].family, err);
			continue;
		}
		fz_assert(!err, "exporter_add: %s", strerror(-err));
		accepted[nacc++] = flows[i];
		inbox_drain(&ib); /* keep the socket buffer from overflowing */
	}
	fz_assert(!ipfix_exporter_flush(exp), "%s", "flush failed");
	ipfix_exporter_get_stats(exp, &st);
	fz_assert(!ipfix_exporter_close(exp), "%s", "close failed");
	inbox_drain(&ib);

	memset(&d, 0, sizeof(d));
	d.delta = opts.delta;
	d.odid = opts.odid;
	d.sequence = opts.first_sequence;
	d.flows = accepted;
	d.nflows = nacc;
	for (i = 0; i < ib.n; i++) {
		/* Templates first, then again once template_every_msgs messages went out. */
		bool want_tmpl = i == 0 || i - last_tmpl >= opts.template_every_msgs, tmpl;

		fz_assert(ib.lens[i] <= opts.mtu, "message %zu of %u bytes, mtu %u", i, ib.lens[i],
			  opts.mtu);
		decode_message(&d, ib.buf + off, ib.lens[i], &tmpl);
		off += ib.lens[i];
		fz_assert(tmpl == want_tmpl, "message %zu %s templates (every %u, last in %zu)", i,
			  tmpl ? "with" : "without", opts.template_every_msgs, last_tmpl);
		if (tmpl)
			last_tmpl = i;
	}
	fz_assert(d.next == nacc, "%zu records received, %zu flows accepted", d.next, nacc);
	fz_assert(st.records == nacc && st.messages == ib.n && st.bytes == d.bytes &&
			  st.template_messages == d.template_messages,
		  "stats %llu records/%llu messages/%llu bytes/%llu with templates, received "
		  "%zu/%zu/%llu/%zu",
		  (unsigned long long)st.records, (unsigned long long)st.messages,
		  (unsigned long long)st.bytes, (unsigned long long)st.template_messages, nacc,
		  ib.n, (unsigned long long)d.bytes, d.template_messages);
	close(ib.fd);
	free(ib.buf);
	free(ib.lens);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	uint8_t mode = fz_u8(&in);

	if (mode & 1)
		run_exporter(&in, mode);
	else
		run_encoder(&in, mode);
	return 0;
}
