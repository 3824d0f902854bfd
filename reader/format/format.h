/* SPDX-License-Identifier: GPL-2.0 */
/* The reader's format layer: the rows each view produces and one emitter per output format. */
#ifndef XDPFLOW_FORMAT_H
#define XDPFLOW_FORMAT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <linux/types.h>
#include "xdpflow.h"
#include "reader.h"

/* Per-second rates between the last two reads (--watch), when there was an earlier read. */
struct rate {
	bool valid;
	double packets;
	double bytes;
};

/* Every frame of one interface (or of all selected ones: ifindex 0), by class. */
struct iface_total {
	__u32 ifindex;
	struct xdpflow_counter all;
	struct xdpflow_counter ip;
	struct xdpflow_counter non_ip;
	struct xdpflow_counter malformed;
	struct xdpflow_counter unrecorded; /* IP frames the full flow table did not take */
	struct rate rate;
};

struct totals_view {
	struct iface_total sum;
	const struct iface_total *ifaces; /* by ifindex */
	size_t n_ifaces;
	__u32 flow_capacity;
	/* Once the flows were walked: */
	bool fill_known;
	__u64 flows_read; /* flows this read returns (of the selected interfaces) */
	__u64 flow_table_entries; /* entries in the flow table */
	__u64 flow_fill; /* entries the flows need, those only in per-CPU caches included */
};

struct protocol_row {
	__u32 ifindex;
	__u8 family; /* 4 or 6 */
	__u8 proto;
	struct xdpflow_counter c;
	struct rate rate;
};

/* A source (pin/sources.c) first, so the sources' rank orders apply to rows. */
struct source_row {
	struct source_entry s;
	struct rate rate;
};

struct flow_row {
	struct flow_record f;
	struct rate rate;
};

/* Everything an emitter may need besides the rows; per-format state at the end. */
struct emit_ctx {
	FILE *out;
	const struct reader_opts *opts;
	const struct flow_clock *clock;
	const struct totals_view *totals; /* set before any row */
	int64_t read_wall_ns; /* when this read was taken (a drain: when it took its tables) */
	__u64 drain_id; /* a drain's ID (docs/DESIGN.md, "Exactly-once drains"); 0: not a drain */
	bool rates; /* rows carry rates (--watch) */
	double rate_interval_s; /* seconds since the previous read; 0 on the first */
	bool counters_reset; /* a drain reset the counts since the previous read: no rates */
	/* Layout hints for streamed tables: widths cannot wait for the last row. */
	bool has_ipv6;
	int ifname_width;
	int vlan_width; /* 0: no flow of the read is tagged; VLAN_CELL_ONE or VLAN_CELL_QINQ */
	/* Per-format state. */
	bool first_row;
	bool first_section;
	enum reader_view view;
	char *deferred; /* Prometheus: the second family of a list, printed at its end */
	char *record_head; /* JSON Lines: the read's fields that open every record */
	size_t deferred_len;
	FILE *deferred_f;
};

struct emitter {
	void (*begin)(struct emit_ctx *ec);
	void (*totals)(struct emit_ctx *ec, const struct totals_view *t);
	void (*list_begin)(struct emit_ctx *ec, enum reader_view view);
	void (*protocol)(struct emit_ctx *ec, const struct protocol_row *r);
	void (*source)(struct emit_ctx *ec, const struct source_row *r);
	void (*flow)(struct emit_ctx *ec, const struct flow_row *r);
	void (*list_end)(struct emit_ctx *ec, enum reader_view view);
	void (*end)(struct emit_ctx *ec);
};

extern const struct emitter emit_table;
extern const struct emitter emit_json;
extern const struct emitter emit_csv;
extern const struct emitter emit_prometheus;
extern const struct emitter emit_ndjson;
const struct emitter *emitter_for(enum reader_format format);

/* ---- Helpers shared by the emitters (format_util.c). ---- */

/* Decimal without printf: the JSON and CSV flow lines are the hot path. */
void put_u64(FILE *f, __u64 v);
static inline void put_str(FILE *f, const char *s)
{
	fputs_unlocked(s, f);
}
/* v in decimal into buf of 24; returns buf. */
const char *u64_str(__u64 v, char *buf);
/* s as a JSON string, quotes included; NULL as null. */
void put_json_str(FILE *f, const char *s);
/* s as one CSV field, quoted only when it must be (RFC 4180); NULL as empty. */
void put_csv_str(FILE *f, const char *s);
/* s as a Prometheus label value, without the quotes. */
void put_prom_label(FILE *f, const char *s);

/* inet_ntop of a key address (IPv4 in the first 4 bytes); buf of INET6_ADDRSTRLEN. */
const char *addr_str(__u8 family, const __u8 *addr, char *buf);

/*
 * A flow's end as "ADDR:PORT" ("[ADDR]:PORT" for IPv6, RFC 5952; ADDR
 * alone when port is NULL), the address elided in the middle with ".."
 * so that the whole is at most width characters; buf of 64.
 */
const char *endpoint_str(__u8 family, const __u8 *addr, const char *port, int width, char *buf);

/* "512 B", "1.5 KiB", "3.0 GiB": binary units, one decimal; buf of at least 16. */
const char *human_bytes(__u64 bytes, char *buf);
/*
 * A byte rate in bits per second with decimal SI prefixes, as iftop and
 * nload show them ("850 bit/s", "1.2 Kbit/s", "940.3 Mbit/s"); buf of 24.
 */
const char *human_bits(double bytes_per_s, char *buf);
/* Packets per second: "0.5", "35.0", "1480952" (one decimal below 100); buf of 24. */
const char *human_pps(double v, char *buf);

/*
 * A time for people, in local time or UTC: "HH:MM:SS.mmm" on the day of
 * ref_ns (the read), else "YYYY-MM-DD HH:MM:SS" (a date without it would
 * mislead); buf of 24.  NULL if the time cannot be shown.
 */
const char *human_time(int64_t wall_ns, int64_t ref_ns, bool utc, char *buf);
/*
 * The same, short (narrow tables): "HH:MM:SS" on the day of ref_ns,
 * "MM-DD HH:MM" on another day of its year, else "YYYY-MM-DD"; buf of 24.
 */
const char *short_time(int64_t wall_ns, int64_t ref_ns, bool utc, char *buf);
/* "YYYY-MM-DD HH:MM:SS.mmm ZONE" of wall_ns, local or UTC; buf of 48. */
const char *human_stamp(int64_t wall_ns, bool utc, char *buf);
/* The zone's abbreviation at wall_ns ("UTC", "CET"); buf of 16. */
const char *zone_name(int64_t wall_ns, bool utc, char *buf);

/* "SA" style TCP flags as tcpdump shows them, in the order FSRPAUEC; buf of 9. */
const char *tcp_flags_str(__u32 flags, char *buf);

/* A flow time as UTC ISO-8601 with milliseconds, cached per second; NULL if no clock. */
const char *flow_time_str(const struct flow_clock *clk, __u64 jiffies, char *buf);

/* ICMP or ICMPv6: dport holds type << 8 | code. */
static inline bool flow_is_icmp(const struct xdpflow_flow_key *k)
{
	return (k->family == 4 && k->proto == 1) || (k->family == 6 && k->proto == 58);
}

/*
 * A row built in memory and written with one call: flows (and sources)
 * can number millions, and stdio's per-call cost dominated their output.
 * LINE_ROOM bounds any row: numbers, two IPv6 addresses, two times and an
 * interface name of at most 15 characters, each escaped to 6 at worst.
 */
#define LINE_ROOM 1024

struct line {
	char *p;
	char buf[LINE_ROOM];
};

static inline void line_start(struct line *l)
{
	l->p = l->buf;
}

static inline void line_put(struct line *l, const char *s, size_t n)
{
	memcpy(l->p, s, n);
	l->p += n;
}

#define LINE_LIT(l, s) line_put(l, s, sizeof(s) - 1)

static inline void line_char(struct line *l, char c)
{
	*l->p++ = c;
}

static inline void line_write(const struct line *l, FILE *f)
{
	fwrite_unlocked(l->buf, 1, l->p - l->buf, f);
}

void line_u64(struct line *l, __u64 v);
/* A string as JSON (quotes included, NULL as null), or as a CSV field. */
void line_json_str(struct line *l, const char *s);
void line_csv_str(struct line *l, const char *s);
/* A key address as inet_ntop writes it (IPv4 without printf). */
void line_addr(struct line *l, __u8 family, const __u8 *addr);

/* "IPv4"/"IPv6". */
static inline const char *family_str(__u8 family)
{
	return family == 6 ? "IPv6" : "IPv4";
}

#endif /* XDPFLOW_FORMAT_H */
