// SPDX-License-Identifier: GPL-2.0
/* IPFIX (RFC 7011) messages: the table of information elements xdpflow sends, and the pure encoder. */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "export/ipfix.h"

/* How a member of width bytes goes out in octets: what put_field() does, chosen here. */
#define ENCODING(width, octets)                                        \
	((width) > 8  ? IPFIX_AS_BYTES :                               \
	 (width) == 1 ? ((octets) == 1 ? IPFIX_U8 : IPFIX_U8_AS_U16) : \
	 (width) == 2 ? IPFIX_U16 :                                    \
	 (width) == 4 ? IPFIX_U32 :                                    \
			IPFIX_U64)
#define MEMBER_SIZE(member) sizeof(((struct ipfix_flow *)0)->member)
#define FIELD(iana_name, iana_id, octets, member)                                         \
	{ .name = iana_name, .id = iana_id, .len = octets,                                \
	  .offset = offsetof(struct ipfix_flow, member), .width = MEMBER_SIZE(member),    \
	  .encoding = ENCODING(MEMBER_SIZE(member), octets) }
#define COUNTER(delta_name, delta_id, total_name_, total_id_, member)                     \
	{ .name = delta_name, .id = delta_id, .total_name = total_name_,                  \
	  .total_id = total_id_, .len = 8, .offset = offsetof(struct ipfix_flow, member), \
	  .width = MEMBER_SIZE(member), .encoding = ENCODING(MEMBER_SIZE(member), 8) }

/*
 * Every information element xdpflow sends, each declared here once: its
 * IANA name and number, its length on the wire, and the member of struct
 * ipfix_flow it carries (an address's bytes as they are, a number in
 * network byte order).  A counter has a delta and a total element; a
 * message uses one mode's (drains send deltas).
 */
const struct ipfix_field ipfix_fields[IPFIX_FIELDS] = {
	[IPFIX_F_SRC4] = FIELD("sourceIPv4Address", 8, 4, src),
	[IPFIX_F_DST4] = FIELD("destinationIPv4Address", 12, 4, dst),
	[IPFIX_F_SRC6] = FIELD("sourceIPv6Address", 27, 16, src),
	[IPFIX_F_DST6] = FIELD("destinationIPv6Address", 28, 16, dst),
	[IPFIX_F_SPORT] = FIELD("sourceTransportPort", 7, 2, sport),
	[IPFIX_F_DPORT] = FIELD("destinationTransportPort", 11, 2, dport),
	[IPFIX_F_ICMP4] = FIELD("icmpTypeCodeIPv4", 32, 2, dport),
	[IPFIX_F_ICMP6] = FIELD("icmpTypeCodeIPv6", 139, 2, dport),
	[IPFIX_F_PROTO] = FIELD("protocolIdentifier", 4, 1, proto),
	/* unsigned16 since RFC 7125 */
	[IPFIX_F_TCP_FLAGS] = FIELD("tcpControlBits", 6, 2, tcp_flags),
	[IPFIX_F_INGRESS] = FIELD("ingressInterface", 10, 4, ingress_ifindex),
	/* The outer VLAN goes out twice in QinQ records: collectors such as nfdump 1.7 read only vlanId. */
	[IPFIX_F_VLAN] = FIELD("vlanId", 58, 2, vlan),
	[IPFIX_F_DOT1Q_VLAN] = FIELD("dot1qVlanId", 243, 2, vlan),
	[IPFIX_F_DOT1Q_CUSTOMER_VLAN] = FIELD("dot1qCustomerVlanId", 245, 2, inner_vlan),
	[IPFIX_F_PACKETS] = COUNTER("packetDeltaCount", 2, "packetTotalCount", 86, packets),
	[IPFIX_F_OCTETS] = COUNTER("octetDeltaCount", 1, "octetTotalCount", 85, ip_bytes),
	[IPFIX_F_L2_OCTETS] = COUNTER("layer2OctetDeltaCount", 352, "layer2OctetTotalCount", 353,
				      l2_bytes),
	[IPFIX_F_START] = FIELD("flowStartMilliseconds", 152, 8, start_ms),
	[IPFIX_F_END] = FIELD("flowEndMilliseconds", 153, 8, end_ms),
};

/*
 * The eight templates' fields in record order, one list each, which makes
 * both the template and its encoder below.  ICMP flows have their own,
 * with the type/code element instead of ports and TCP flags, so a
 * collector never sees a type/code disguised as a port.  A flow with one
 * VLAN tag or none carries vlanId (0: untagged); a QinQ flow also the
 * outer tag as dot1qVlanId and the inner one as dot1qCustomerVlanId.
 */
#define COUNTERS(F) F(PACKETS) F(OCTETS) F(L2_OCTETS) F(START) F(END)
#define ONE_TAG(F) F(VLAN)
#define TWO_TAGS(F) F(VLAN) F(DOT1Q_VLAN) F(DOT1Q_CUSTOMER_VLAN)
#define KEY_V4(F) F(SRC4) F(DST4) F(SPORT) F(DPORT) F(PROTO) F(TCP_FLAGS) F(INGRESS)
#define KEY_V6(F) F(SRC6) F(DST6) F(SPORT) F(DPORT) F(PROTO) F(TCP_FLAGS) F(INGRESS)
#define KEY_ICMP4(F) F(SRC4) F(DST4) F(ICMP4) F(PROTO) F(INGRESS)
#define KEY_ICMP6(F) F(SRC6) F(DST6) F(ICMP6) F(PROTO) F(INGRESS)
#define FIELDS_V4(F) KEY_V4(F) ONE_TAG(F) COUNTERS(F)
#define FIELDS_V6(F) KEY_V6(F) ONE_TAG(F) COUNTERS(F)
#define FIELDS_ICMP4(F) KEY_ICMP4(F) ONE_TAG(F) COUNTERS(F)
#define FIELDS_ICMP6(F) KEY_ICMP6(F) ONE_TAG(F) COUNTERS(F)
#define FIELDS_V4_QINQ(F) KEY_V4(F) TWO_TAGS(F) COUNTERS(F)
#define FIELDS_V6_QINQ(F) KEY_V6(F) TWO_TAGS(F) COUNTERS(F)
#define FIELDS_ICMP4_QINQ(F) KEY_ICMP4(F) TWO_TAGS(F) COUNTERS(F)
#define FIELDS_ICMP6_QINQ(F) KEY_ICMP6(F) TWO_TAGS(F) COUNTERS(F)

#define INDEX(f) IPFIX_F_##f,
#define TEMPLATE(fields) { sizeof((const uint8_t[]){ fields(INDEX) }), { fields(INDEX) } }

const struct ipfix_template ipfix_templates[IPFIX_TMPL_KINDS] = {
	[IPFIX_TMPL_V4] = TEMPLATE(FIELDS_V4),
	[IPFIX_TMPL_V6] = TEMPLATE(FIELDS_V6),
	[IPFIX_TMPL_ICMP4] = TEMPLATE(FIELDS_ICMP4),
	[IPFIX_TMPL_ICMP6] = TEMPLATE(FIELDS_ICMP6),
	[IPFIX_TMPL_V4_QINQ] = TEMPLATE(FIELDS_V4_QINQ),
	[IPFIX_TMPL_V6_QINQ] = TEMPLATE(FIELDS_V6_QINQ),
	[IPFIX_TMPL_ICMP4_QINQ] = TEMPLATE(FIELDS_ICMP4_QINQ),
	[IPFIX_TMPL_ICMP6_QINQ] = TEMPLATE(FIELDS_ICMP6_QINQ),
};

uint16_t ipfix_field_ie(const struct ipfix_field *f, bool delta)
{
	return delta || !f->total_id ? f->id : f->total_id;
}

uint16_t ipfix_template_record_len(enum ipfix_template_kind kind)
{
	const struct ipfix_template *t = &ipfix_templates[kind];
	uint16_t len = 0;
	int i;

	for (i = 0; i < t->count; i++)
		len += ipfix_fields[t->fields[i]].len;
	return len;
}

static inline uint8_t *put16(uint8_t *p, uint16_t v)
{
	v = htobe16(v);
	memcpy(p, &v, sizeof(v));
	return p + sizeof(v);
}

static inline uint8_t *put32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, sizeof(v));
	return p + sizeof(v);
}

static inline uint8_t *put64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, sizeof(v));
	return p + sizeof(v);
}

/* One field of a record: an address's bytes as they are, a number big-endian in len octets. */
static inline uint8_t *put_field(uint8_t *p, const struct ipfix_field *f,
				 const struct ipfix_flow *flow)
{
	const uint8_t *m = (const uint8_t *)flow + f->offset;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	switch (f->encoding) {
	case IPFIX_U8:
		*p = *m;
		return p + 1;
	case IPFIX_U8_AS_U16:
		return put16(p, *m);
	case IPFIX_U16:
		memcpy(&v16, m, 2);
		return put16(p, v16);
	case IPFIX_U32:
		memcpy(&v32, m, 4);
		return put32(p, v32);
	case IPFIX_U64:
		memcpy(&v64, m, 8);
		return put64(p, v64);
	default:
		memcpy(p, m, f->len);
		return p + f->len;
	}
}

static enum ipfix_template_kind template_kind(const struct ipfix_flow *flow)
{
	enum ipfix_template_kind kind;

	if (flow->family == 6)
		kind = flow->proto == 58 ? IPFIX_TMPL_ICMP6 : IPFIX_TMPL_V6;
	else
		kind = flow->proto == 1 ? IPFIX_TMPL_ICMP4 : IPFIX_TMPL_V4;
	return flow->inner_vlan ? kind + IPFIX_TMPL_QINQ : kind;
}

/* base: IPFIX_TEMPLATE_ID_DELTA or _TOTAL. */
static uint16_t kind_id(uint16_t base, enum ipfix_template_kind kind)
{
	return kind >= IPFIX_TMPL_QINQ ? base + IPFIX_TEMPLATE_ID_QINQ_OFFSET + kind - IPFIX_TMPL_QINQ :
					 base + kind;
}

uint16_t ipfix_template_id(const struct ipfix_flow *flow, bool delta)
{
	return kind_id(delta ? IPFIX_TEMPLATE_ID_DELTA : IPFIX_TEMPLATE_ID_TOTAL, template_kind(flow));
}

uint16_t ipfix_record_len(const struct ipfix_flow *flow)
{
	return ipfix_template_record_len(template_kind(flow));
}

void ipfix_msg_begin(struct ipfix_msg *msg, uint8_t *buf, uint32_t cap, uint32_t odid, bool delta)
{
	uint8_t *p = buf;

	msg->buf = buf;
	msg->cap = cap > IPFIX_MAX_MTU ? IPFIX_MAX_MTU : cap;
	msg->set_off = 0;
	msg->set_id = 0;
	msg->template_base = delta ? IPFIX_TEMPLATE_ID_DELTA : IPFIX_TEMPLATE_ID_TOTAL;
	msg->records = 0;
	for (int k = 0; k < IPFIX_TMPL_KINDS; k++)
		msg->record_len[k] = ipfix_template_record_len(k);
	/* Length, export time and sequence are known only at the end. */
	p = put16(p, IPFIX_VERSION);
	p = put16(p, 0);
	p = put32(p, 0);
	p = put32(p, 0);
	p = put32(p, odid);
	msg->len = p - buf;
}

static void close_set(struct ipfix_msg *msg)
{
	if (!msg->set_off)
		return;
	put16(msg->buf + msg->set_off + 2, msg->len - msg->set_off);
	msg->set_off = 0;
	msg->set_id = 0;
}

int ipfix_msg_add_templates(struct ipfix_msg *msg)
{
	bool delta = msg->template_base == IPFIX_TEMPLATE_ID_DELTA;
	uint32_t need = IPFIX_SET_HEADER_LEN;
	const struct ipfix_template *t;
	uint8_t *p;
	int k, i;

	for (k = 0; k < IPFIX_TMPL_KINDS; k++)
		need += 4 + 4 * ipfix_templates[k].count;
	close_set(msg);
	if (msg->len + need > msg->cap)
		return -ENOSPC;
	p = put16(msg->buf + msg->len, IPFIX_SET_TEMPLATE);
	p = put16(p, need);
	for (k = 0; k < IPFIX_TMPL_KINDS; k++) {
		t = &ipfix_templates[k];
		p = put16(p, kind_id(msg->template_base, k));
		p = put16(p, t->count);
		for (i = 0; i < t->count; i++) {
			p = put16(p, ipfix_field_ie(&ipfix_fields[t->fields[i]], delta));
			p = put16(p, ipfix_fields[t->fields[i]].len);
		}
	}
	msg->len += need;
	return 0;
}

/*
 * A data record, field by field as its template lists them.  One function
 * per template, from the same lists: the fields' encodings and offsets are
 * constants there, so each record is written without a loop or lookup.
 */
#define PUT(f) p = put_field(p, &ipfix_fields[IPFIX_F_##f], flow);
#define WRITER(name, fields)                                        \
	static void name(uint8_t *p, const struct ipfix_flow *flow) \
	{                                                           \
		fields(PUT)                                         \
	}

WRITER(write_v4, FIELDS_V4)
WRITER(write_v6, FIELDS_V6)
WRITER(write_icmp4, FIELDS_ICMP4)
WRITER(write_icmp6, FIELDS_ICMP6)
WRITER(write_v4_qinq, FIELDS_V4_QINQ)
WRITER(write_v6_qinq, FIELDS_V6_QINQ)
WRITER(write_icmp4_qinq, FIELDS_ICMP4_QINQ)
WRITER(write_icmp6_qinq, FIELDS_ICMP6_QINQ)

static void (*const write_record[IPFIX_TMPL_KINDS])(uint8_t *p, const struct ipfix_flow *flow) = {
	[IPFIX_TMPL_V4] = write_v4,
	[IPFIX_TMPL_V6] = write_v6,
	[IPFIX_TMPL_ICMP4] = write_icmp4,
	[IPFIX_TMPL_ICMP6] = write_icmp6,
	[IPFIX_TMPL_V4_QINQ] = write_v4_qinq,
	[IPFIX_TMPL_V6_QINQ] = write_v6_qinq,
	[IPFIX_TMPL_ICMP4_QINQ] = write_icmp4_qinq,
	[IPFIX_TMPL_ICMP6_QINQ] = write_icmp6_qinq,
};

int ipfix_msg_add_flow(struct ipfix_msg *msg, const struct ipfix_flow *flow)
{
	enum ipfix_template_kind kind;
	uint16_t id, rlen;
	uint32_t need;

	if (flow->family != 4 && flow->family != 6)
		return -EINVAL;
	kind = template_kind(flow);
	id = kind_id(msg->template_base, kind);
	rlen = msg->record_len[kind];
	need = rlen + (msg->set_id == id ? 0 : IPFIX_SET_HEADER_LEN);
	if (msg->len + need > msg->cap)
		return -ENOSPC;

	if (msg->set_id != id) {
		close_set(msg);
		msg->set_off = msg->len;
		msg->set_id = id;
		put16(msg->buf + msg->len, id);
		msg->len += IPFIX_SET_HEADER_LEN;
	}
	write_record[kind](msg->buf + msg->len, flow);
	msg->len += rlen;
	msg->records++;
	return 0;
}

uint32_t ipfix_msg_end(struct ipfix_msg *msg, uint32_t export_time, uint32_t sequence)
{
	close_set(msg);
	put16(msg->buf + 2, msg->len);
	put32(msg->buf + 4, export_time);
	put32(msg->buf + 8, sequence);
	return msg->len;
}
