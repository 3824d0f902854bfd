/* SPDX-License-Identifier: GPL-2.0 */
/* IPFIX (RFC 7011) flow export over UDP: a pure message encoder and a batching socket exporter. */
#ifndef XDPFLOW_IPFIX_H
#define XDPFLOW_IPFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What goes on the wire
 * ---------------------
 * Every message: the 16-byte header (version 10, length, export time in
 * seconds, sequence number, observation domain ID), then sets.  Data sets
 * follow the records without padding.
 *
 * Eight data templates per counter mode, one per kind of flow (IPv4, IPv6,
 * IPv4 ICMP, IPv6 ICMPv6), each with one VLAN tag or none (vlanId) and
 * with QinQ (vlanId, dot1qVlanId, dot1qCustomerVlanId): ipfix_templates[]
 * lists their fields, declared
 * once each in ipfix_fields[] (export/ipfix.c), which give the templates
 * on the wire, the record lengths and the encoding.  Counts go out as
 * delta elements (packetDeltaCount...) from a drain, which reports what
 * was counted since the last one, and as total elements otherwise; the
 * two modes use different template ids so a collector that kept one
 * mode's templates can never decode the other mode's data with them.
 * Octets are IP octets (ip_bytes), layer-2 octets the whole frames.
 *
 * Templates: all eight of the mode are sent in the first message of every
 * exporter (the reader is a fresh process on every run), then again
 * whenever template_interval_s seconds passed or template_every_msgs
 * messages went out since the last time (RFC 7011 section 8.4: UDP
 * exporters resend templates periodically).
 *
 * Sequence numbers: the count, modulo 2^32, of data records sent in
 * earlier messages of this exporter, starting at first_sequence (default
 * 0), or where ipfix_exporter_set_sequence() puts it.  Collectors key
 * sequence tracking by exporter address and ODID; nfcapd (nfdump 1.7)
 * counts one "sequence failure" when a new run restarts the count.  The
 * reader keeps the number between runs (export/ipfix_state.c), so its
 * runs form one stream.
 */

#define IPFIX_VERSION 10
#define IPFIX_DEFAULT_PORT 4739
#define IPFIX_DEFAULT_MTU 1400
/*
 * The header, all eight templates and one IPv6 QinQ record must fit (561
 * bytes); 576 is also the datagram size every IPv4 host must accept.
 */
#define IPFIX_MIN_MTU 576
/* The largest UDP payload over IPv4. */
#define IPFIX_MAX_MTU 65507
#define IPFIX_DEFAULT_TEMPLATE_INTERVAL_S 60
#define IPFIX_DEFAULT_TEMPLATE_EVERY_MSGS 4096
#define IPFIX_DEFAULT_MAX_RATE 200000
#define IPFIX_UNPACED UINT32_MAX

#define IPFIX_HEADER_LEN 16
#define IPFIX_SET_HEADER_LEN 4
#define IPFIX_SET_TEMPLATE 2

/*
 * Each kind of flow with one VLAN tag or none (vlanId), and again for
 * QinQ (vlanId, dot1qVlanId and dot1qCustomerVlanId): the QINQ kinds are
 * the plain ones + IPFIX_TMPL_QINQ.
 */
enum ipfix_template_kind {
	IPFIX_TMPL_V4, /* IPv4, ports */
	IPFIX_TMPL_V6, /* IPv6, ports */
	IPFIX_TMPL_ICMP4, /* IPv4 ICMP, icmpTypeCodeIPv4 */
	IPFIX_TMPL_ICMP6, /* IPv6 ICMPv6, icmpTypeCodeIPv6 */
	IPFIX_TMPL_QINQ,
	IPFIX_TMPL_V4_QINQ = IPFIX_TMPL_QINQ,
	IPFIX_TMPL_V6_QINQ,
	IPFIX_TMPL_ICMP4_QINQ,
	IPFIX_TMPL_ICMP6_QINQ,
	IPFIX_TMPL_KINDS,
};

/*
 * Template ids: the plain kinds 256-259 (delta) and 260-263 (total), as
 * before QinQ templates existed; the QinQ kinds 8 above them (264-271).
 */
#define IPFIX_TEMPLATE_ID_DELTA 256 /* + kind */
#define IPFIX_TEMPLATE_ID_TOTAL 260 /* + kind */
#define IPFIX_TEMPLATE_ID_QINQ_OFFSET 8

/* One flow to export; independent of the pinned-map layout. */
struct ipfix_flow {
	int family; /* 4 or 6 */
	uint8_t src[16], dst[16]; /* network order; IPv4 in the first 4 bytes */
	uint16_t sport, dport; /* host order; ICMP: sport 0, dport = type << 8 | code */
	uint8_t proto;
	uint8_t tcp_flags;
	uint32_t ingress_ifindex;
	uint16_t vlan; /* the (outer) VLAN ID, 0: untagged */
	uint16_t inner_vlan; /* QinQ's inner (customer) VLAN ID, 0: one tag or none */
	uint64_t packets;
	uint64_t ip_bytes; /* IP octets (IPFIX octet counts) */
	uint64_t l2_bytes; /* whole frames (IPFIX layer2 octet counts) */
	uint64_t start_ms, end_ms; /* unix time, milliseconds */
};

/* The information elements xdpflow sends (ipfix_fields[]). */
enum ipfix_field_index {
	IPFIX_F_SRC4,
	IPFIX_F_DST4,
	IPFIX_F_SRC6,
	IPFIX_F_DST6,
	IPFIX_F_SPORT,
	IPFIX_F_DPORT,
	IPFIX_F_ICMP4,
	IPFIX_F_ICMP6,
	IPFIX_F_PROTO,
	IPFIX_F_TCP_FLAGS,
	IPFIX_F_INGRESS,
	IPFIX_F_VLAN,
	IPFIX_F_DOT1Q_VLAN,
	IPFIX_F_DOT1Q_CUSTOMER_VLAN,
	IPFIX_F_PACKETS,
	IPFIX_F_OCTETS,
	IPFIX_F_L2_OCTETS,
	IPFIX_F_START,
	IPFIX_F_END,
	IPFIX_FIELDS,
};

/* A member of struct ipfix_flow on the wire: its bytes, or a number in network order. */
enum ipfix_encoding {
	IPFIX_AS_BYTES,
	IPFIX_U8,
	IPFIX_U8_AS_U16,
	IPFIX_U16,
	IPFIX_U32,
	IPFIX_U64,
};

/*
 * One information element: what the template announces and what a record
 * carries.  A new element is one row of ipfix_fields[] (and its place in
 * the templates that carry it).
 */
struct ipfix_field {
	const char *name; /* IANA name; a counter's delta element */
	uint16_t id; /* IANA element id; a counter's delta element */
	const char *total_name; /* a counter's total element; NULL for the others */
	uint16_t total_id;
	uint16_t len; /* octets on the wire */
	uint16_t offset; /* of the member of struct ipfix_flow it carries */
	uint16_t width; /* of that member: 1 to 8 a number, more an address */
	enum ipfix_encoding encoding; /* from width and len, by the row's macro */
};

#define IPFIX_MAX_TEMPLATE_FIELDS 16

struct ipfix_template {
	uint8_t count;
	uint8_t fields[IPFIX_MAX_TEMPLATE_FIELDS]; /* enum ipfix_field_index, in record order */
};

extern const struct ipfix_field ipfix_fields[IPFIX_FIELDS];
extern const struct ipfix_template ipfix_templates[IPFIX_TMPL_KINDS];

/* The element id a field goes out as in one mode. */
uint16_t ipfix_field_ie(const struct ipfix_field *f, bool delta);
/* A template's record length: the sum of its fields' lengths. */
uint16_t ipfix_template_record_len(enum ipfix_template_kind kind);

struct ipfix_options {
	uint32_t odid; /* observation domain ID */
	uint32_t mtu; /* largest message (UDP payload) in bytes; 0: 1400 */
	bool delta; /* delta counters (drains) instead of totals */
	uint32_t template_interval_s; /* 0: 60 */
	uint32_t template_every_msgs; /* 0: 4096 */
	uint32_t first_sequence;
	/*
	 * Average data records per second at most (0: 200,000;
	 * IPFIX_UNPACED: as fast as the socket takes them).  A collector
	 * reading with default socket buffers loses most of an unpaced burst
	 * (nfcapd on loopback kept 41k of 100k records sent in 22 ms, and all
	 * of them at 1,000,000 records/s paced in batches of 64 messages).
	 */
	uint32_t max_records_per_s;
};

/* ---- Pure encoder: builds one message in a caller's buffer, no I/O. ---- */

struct ipfix_msg {
	uint8_t *buf;
	uint32_t cap; /* the mtu */
	uint32_t len;
	uint32_t set_off; /* offset of the open data set's header; 0: none */
	uint16_t set_id;
	uint16_t template_base; /* IPFIX_TEMPLATE_ID_DELTA or _TOTAL */
	uint32_t records; /* data records in this message */
	uint16_t record_len[IPFIX_TMPL_KINDS]; /* of each template, from ipfix_templates[] */
};

/* Template id and record length that a flow is encoded with. */
uint16_t ipfix_template_id(const struct ipfix_flow *flow, bool delta);
uint16_t ipfix_record_len(const struct ipfix_flow *flow);

/* Starts a message of at most cap bytes in buf (cap >= IPFIX_MIN_MTU). */
void ipfix_msg_begin(struct ipfix_msg *msg, uint8_t *buf, uint32_t cap, uint32_t odid, bool delta);

/* Appends the template set (all eight templates); -ENOSPC if it does not fit. */
int ipfix_msg_add_templates(struct ipfix_msg *msg);

/*
 * Appends one data record, opening a new data set when the flow's template
 * differs from the open set's.  -ENOSPC when the message is full (nothing
 * is appended), -EINVAL for a family other than 4 or 6.
 */
int ipfix_msg_add_flow(struct ipfix_msg *msg, const struct ipfix_flow *flow);

/*
 * Closes the open set and writes the message length, export time (unix
 * seconds) and sequence number (data records sent before this message).
 * Returns the message length.
 */
uint32_t ipfix_msg_end(struct ipfix_msg *msg, uint32_t export_time, uint32_t sequence);

/* ---- Exporter: a UDP socket to one collector, messages sent in batches. ---- */

struct ipfix_exporter;

struct ipfix_stats {
	uint64_t records; /* data records sent (less those of a message the collector's host refused) */
	uint64_t messages; /* messages sent */
	uint64_t bytes; /* UDP payload bytes sent */
	uint64_t template_messages; /* messages built with the templates */
};

/*
 * Splits a collector "HOST", "HOST:PORT", "[IPV6]" or "[IPV6]:PORT" (a
 * bare IPv6 address without brackets is a host) into host and port
 * strings; port defaults to 4739.  -EINVAL with a one-line reason in msg.
 */
int ipfix_parse_collector(const char *spec, char *host, size_t hostlen, char *port, size_t portlen,
			  char *msg, size_t msglen);

/*
 * Resolves the collector with getaddrinfo (IPv4 or IPv6, the first address
 * that accepts a UDP socket) and connects a UDP socket to it.  On error
 * returns a negative errno and one line in msg saying what is wrong:
 * -EINVAL bad collector string or options (a usage error), -EHOSTUNREACH
 * the name does not resolve, other values from socket(2)/connect(2).
 * opts may be NULL (all defaults).  An exporter is not thread-safe.
 */
int ipfix_exporter_open(struct ipfix_exporter **expp, const char *collector,
			const struct ipfix_options *opts, char *msg, size_t msglen);

/* The same with host and port given apart (port 0: 4739). */
int ipfix_exporter_open_host(struct ipfix_exporter **expp, const char *host, uint16_t port,
			     const struct ipfix_options *opts, char *msg, size_t msglen);

/*
 * Queues one flow; full messages go out in batches (sendmmsg).  Returns 0
 * or the negative errno of a failed send (e.g. -ECONNREFUSED when the
 * collector's host answered an earlier message with port unreachable).
 */
int ipfix_exporter_add(struct ipfix_exporter *exp, const struct ipfix_flow *flow);

/*
 * Sends the templates in a message of their own at once, then waits up to
 * timeout_ms for the collector's host to refuse it (an ICMP port or host
 * unreachable, which the connected socket reports).  Returns 0 when
 * nothing came back (UDP cannot tell more: a host that stays silent may
 * still drop everything), else -errno (-ECONNREFUSED: nothing listens on
 * that port) with one line in msg.  A caller about to do something it
 * cannot undo (a drain) checks the collector this way first.
 */
int ipfix_exporter_probe(struct ipfix_exporter *exp, int timeout_ms, char *msg, size_t msglen);

/* Sends everything queued, including a partly filled message. */
int ipfix_exporter_flush(struct ipfix_exporter *exp);

void ipfix_exporter_get_stats(const struct ipfix_exporter *exp, struct ipfix_stats *stats);

/* The collector's address as "ADDR port PORT", for messages. */
const char *ipfix_exporter_peer(const struct ipfix_exporter *exp);

/*
 * The sequence number the next data message carries: the data records
 * this stream sent before it (RFC 7011), from ipfix_options.first_sequence.
 * Setting it flushes what is queued first.  A caller that keeps the number
 * between runs (export/ipfix_state.c) makes every run one stream.
 */
uint32_t ipfix_exporter_sequence(const struct ipfix_exporter *exp);
int ipfix_exporter_set_sequence(struct ipfix_exporter *exp, uint32_t sequence);

/* The stream this exporter sends: the collector's address and port and the domain, as a hash (never 0). */
uint64_t ipfix_exporter_stream(const struct ipfix_exporter *exp);

/* Observation domain ID. */
uint32_t ipfix_exporter_odid(const struct ipfix_exporter *exp);

/* Flushes, closes the socket and frees; returns the flush's result.  NULL is fine. */
int ipfix_exporter_close(struct ipfix_exporter *exp);

#endif /* XDPFLOW_IPFIX_H */
