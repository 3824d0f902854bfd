// SPDX-License-Identifier: GPL-2.0
/* The reader's table emitter: aligned columns for people, widths fixed before the first row so flows can stream. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "format/format.h"
#include "xdpflow.h"

#define MAX_COLS 16
#define W_PACKETS 12
#define W_BYTES 10
#define W_PPS 9
#define W_BPS 12
#define W_TIME 19 /* "YYYY-MM-DD HH:MM:SS"; "HH:MM:SS.mmm" on the read's day */
#define W_SHORT_TIME 11 /* "MM-DD HH:MM"; "HH:MM:SS" on the read's day */
/* The narrow flows table (no --wide) fits a terminal this wide. */
#define NARROW_WIDTH 120
#define W_ENDPOINT 21 /* "255.255.255.255:65535" */
#define W_ENDPOINT_V6 47 /* "[" a whole IPv6 address "]:65535" */

struct col {
	const char *title;
	int width;
	bool left;
};

struct table_layout {
	struct col cols[MAX_COLS];
	int n;
};

/* One layout per section, kept between rows (the emitter runs one section at a time). */
static struct table_layout layout;
static size_t rows_in_section;
/*
 * Sources and flows have a VLAN column when a flow of the read is tagged,
 * and always with --wide; untagged reads keep their room for addresses.
 */
static bool show_vlan;

/*
 * The flows table's shape: --wide shows every column in full; the narrow
 * default merges ADDR:PORT into columns sized last, to what is left of
 * NARROW_WIDTH, and shows only the last seen (none with rates).
 */
static struct {
	bool wide;
	bool last_seen;
	int src_col; /* narrow: the endpoints' columns */
	int dst_col;
} flows;

static void add_col(const char *title, int width, bool left)
{
	struct col *c = &layout.cols[layout.n++];
	int len = strlen(title);

	c->title = title;
	c->width = width > len ? width : len;
	c->left = left;
}

static void pad(struct line *l, int n)
{
	for (; n > 0; n--)
		line_char(l, ' ');
}

/* Built in memory and written once: a flows table can have millions of rows. */
static void print_row(FILE *f, const char *const *vals)
{
	struct line l;
	int i, len;

	line_start(&l);
	for (i = 0; i < layout.n; i++) {
		const struct col *c = &layout.cols[i];

		/* Cells are short (addresses, names, numbers); a row always fits LINE_ROOM. */
		len = strnlen(vals[i], 64);
		if (i)
			LINE_LIT(&l, "  ");
		if (!c->left)
			pad(&l, c->width - len);
		line_put(&l, vals[i], len);
		if (c->left && i < layout.n - 1) /* no trailing blanks */
			pad(&l, c->width - len);
	}
	line_char(&l, '\n');
	line_write(&l, f);
}

static void print_header(FILE *f)
{
	const char *titles[MAX_COLS];
	int i;

	for (i = 0; i < layout.n; i++)
		titles[i] = layout.cols[i].title;
	print_row(f, titles);
}

/* The title of a section says how its rows are ordered. */
static void section_title(struct emit_ctx *ec, const char *title, enum reader_view view)
{
	const struct reader_opts *o = ec->opts;
	static const char *const keys[] = {
		[SORT_NONE] = "packets", [SORT_PACKETS] = "packets", [SORT_BYTES] = "bytes",
		[SORT_RATE] = "rate",
	};
	const char *key = keys[o->sort];

	if (!ec->first_section)
		putc_unlocked('\n', ec->out);
	ec->first_section = false;
	put_str(ec->out, title);
	if (view != VIEW_TOTALS && o->top)
		fprintf(ec->out, " (top %lu by %s)", o->top, key);
	/* Sources are always ranked: all of them are in memory anyway. */
	else if (view == VIEW_SOURCES || (view != VIEW_TOTALS && o->sort != SORT_NONE))
		fprintf(ec->out, " (by %s)", key);
	putc_unlocked('\n', ec->out);
}

static const char *ifname_cell(__u32 ifindex, char *buf)
{
	const char *name = ifname_of(ifindex);

	if (name)
		return name;
	snprintf(buf, 16, "#%u", ifindex); /* the interface is gone */
	return buf;
}

static void rate_cols(void)
{
	add_col("PKTS/S", W_PPS, false);
	add_col("BITS/S", W_BPS, false);
}

static void rate_cells(const struct emit_ctx *ec, const struct rate *r, const char **vals, int *n,
		       char *pps, char *bps)
{
	if (!ec->rates)
		return;
	vals[(*n)++] = r->valid ? human_pps(r->packets, pps) : "-";
	vals[(*n)++] = r->valid ? human_bits(r->bytes, bps) : "-";
}

static void table_begin(struct emit_ctx *ec)
{
	char t[48];

	ec->first_section = true;
	if (ec->drain_id) {
		format_utc_ms(ec->read_wall_ns, t);
		fprintf(ec->out, "drain %llu at %s, %s\n", (unsigned long long)ec->drain_id, t,
			ec->opts->pin_path);
		ec->first_section = false;
	}
	if (ec->opts->watch_s) {
		human_stamp(ec->read_wall_ns, ec->opts->utc, t);
		fprintf(ec->out, "xdpflow at %s, %s, every %lu s (Ctrl-C to stop)\n", t,
			ec->opts->pin_path, ec->opts->watch_s);
		ec->first_section = false;
	}
	if (ec->rates && ec->counters_reset) {
		put_str(ec->out, "counters were reset (drained) since the last frame; rates restart\n");
		ec->first_section = false;
	}
}

static void totals_row(struct emit_ctx *ec, const char *name, const struct iface_total *t)
{
	char p[24], b[16], ip[24], nip[24], mal[24], pps[24], bps[24];
	const char *vals[MAX_COLS] = { name };
	int n = 1;

	u64_str(t->all.packets, p);
	u64_str(t->ip.packets, ip);
	u64_str(t->non_ip.packets, nip);
	u64_str(t->malformed.packets, mal);
	vals[n++] = p;
	vals[n++] = human_bytes(t->all.bytes, b);
	vals[n++] = ip;
	vals[n++] = nip;
	vals[n++] = mal;
	rate_cells(ec, &t->rate, vals, &n, pps, bps);
	print_row(ec->out, vals);
}

static void table_totals(struct emit_ctx *ec, const struct totals_view *t)
{
	char buf[16];
	size_t i;

	section_title(ec, "Totals", VIEW_TOTALS);
	layout.n = 0;
	add_col("INTERFACE", ec->ifname_width, true);
	add_col("PACKETS", W_PACKETS, false);
	add_col("BYTES", W_BYTES, false);
	add_col("IP", W_PACKETS, false);
	add_col("NON-IP", 8, false);
	add_col("MALFORMED", 8, false);
	if (ec->rates)
		rate_cols();
	print_header(ec->out);
	for (i = 0; i < t->n_ifaces; i++)
		totals_row(ec, ifname_cell(t->ifaces[i].ifindex, buf), &t->ifaces[i]);
	if (t->n_ifaces != 1)
		totals_row(ec, "all", &t->sum);
	if (!t->fill_known)
		return;
	fprintf(ec->out, "flow table: %llu of %u entries needed (%.1f%%), %llu of them by flows "
		"still only in per-CPU flow caches\n", (unsigned long long)t->flow_fill,
		t->flow_capacity, t->flow_capacity ? 100.0 * t->flow_fill / t->flow_capacity : 0.0,
		(unsigned long long)(t->flow_fill - t->flow_table_entries));
	fprintf(ec->out, "flows read: %llu\n", (unsigned long long)t->flows_read);
}

/* The narrow flows table's endpoints share what the other columns leave of NARROW_WIDTH. */
static void fit_endpoints(const struct emit_ctx *ec)
{
	int used = 2 * (layout.n - 1), i, w;

	for (i = 0; i < layout.n; i++)
		if (i != flows.src_col && i != flows.dst_col)
			used += layout.cols[i].width;
	w = (NARROW_WIDTH - used) / 2;
	if (w > (ec->has_ipv6 ? W_ENDPOINT_V6 : W_ENDPOINT))
		w = ec->has_ipv6 ? W_ENDPOINT_V6 : W_ENDPOINT;
	if (w < W_ENDPOINT)
		w = W_ENDPOINT; /* an IPv4 address and port are never elided */
	layout.cols[flows.src_col].width = w;
	layout.cols[flows.dst_col].width = w;
}

static void flow_cols(struct emit_ctx *ec)
{
	static char first[32], last[32]; /* titles outlive the call: the layout keeps them */
	int addr_w = ec->has_ipv6 ? 39 : 15;
	char zone[16];

	flows.wide = ec->opts->wide;
	flows.last_seen = flows.wide || !ec->rates; /* rates say what is live */
	add_col("PROTO", 9, true);
	if (flows.wide) {
		add_col("SOURCE", addr_w, true);
		add_col("SPORT", 5, false);
		add_col("DESTINATION", addr_w, true);
		add_col("DPORT", 5, false);
	} else {
		flows.src_col = layout.n;
		add_col("SOURCE", 0, true);
		flows.dst_col = layout.n;
		add_col("DESTINATION", 0, true);
	}
	add_col("PACKETS", W_PACKETS, false);
	add_col("BYTES", W_BYTES, false);
	if (flows.wide)
		add_col("IP BYTES", W_BYTES, false);
	if (!flows.last_seen)
		return;
	add_col("FLAGS", 8, true);
	zone_name(ec->read_wall_ns, ec->opts->utc, zone);
	snprintf(first, sizeof(first), "FIRST (%s)", zone);
	snprintf(last, sizeof(last), "LAST (%s)", zone);
	if (flows.wide)
		add_col(first, W_TIME, true);
	add_col(last, flows.wide ? W_TIME : W_SHORT_TIME, true);
}

static void table_list_begin(struct emit_ctx *ec, enum reader_view view)
{
	int addr_w = ec->has_ipv6 ? 39 : 15;

	layout.n = 0;
	rows_in_section = 0;
	add_col("INTERFACE", ec->ifname_width, true);
	show_vlan = (view == VIEW_SOURCES || view == VIEW_FLOWS) &&
		    (ec->vlan_width || ec->opts->wide);
	if (show_vlan) /* untagged: "-" under the title */
		add_col("VLAN", ec->vlan_width, false);
	switch (view) {
	case VIEW_PROTOCOLS:
		section_title(ec, "Protocols", view);
		add_col("FAMILY", 6, true);
		add_col("PROTOCOL", 10, true);
		break;
	case VIEW_SOURCES:
		section_title(ec, "Sources", view);
		add_col("SOURCE", addr_w, true);
		add_col("FLOWS", 8, false);
		break;
	case VIEW_FLOWS:
		section_title(ec, "Flows", view);
		flow_cols(ec);
		break;
	default:
		break;
	}
	if (view != VIEW_FLOWS) {
		add_col("PACKETS", W_PACKETS, false);
		add_col("BYTES", W_BYTES, false);
	}
	if (ec->rates)
		rate_cols();
	if (view == VIEW_FLOWS && !flows.wide)
		fit_endpoints(ec);
	print_header(ec->out);
}

static const char *proto_cell(__u8 proto, char *buf)
{
	const char *name = proto_name(proto);

	if (name)
		return name;
	snprintf(buf, 8, "%u", proto);
	return buf;
}

static void table_protocol(struct emit_ctx *ec, const struct protocol_row *r)
{
	char ifb[16], pb[8], p[24], b[16], pps[24], bps[24];
	const char *vals[MAX_COLS];
	int n = 0;

	rows_in_section++;
	u64_str(r->c.packets, p);
	vals[n++] = ifname_cell(r->ifindex, ifb);
	vals[n++] = family_str(r->family);
	vals[n++] = proto_cell(r->proto, pb);
	vals[n++] = p;
	vals[n++] = human_bytes(r->c.bytes, b);
	rate_cells(ec, &r->rate, vals, &n, pps, bps);
	print_row(ec->out, vals);
}

static void table_source(struct emit_ctx *ec, const struct source_row *r)
{
	const struct source_key *k = &r->s.k;
	const struct source_counts *c = &r->s.c;
	char ifb[16], vl[VLAN_STR_LEN], a[INET6_ADDRSTRLEN], fl[24], p[24], b[16], pps[24], bps[24];
	const char *vals[MAX_COLS];
	int n = 0;

	rows_in_section++;
	u64_str(c->flows, fl);
	u64_str(c->packets, p);
	vals[n++] = ifname_cell(k->ifindex, ifb);
	if (show_vlan)
		vals[n++] = vlan_str(k->vlan_outer, k->vlan_inner, vl);
	vals[n++] = addr_str(k->family, k->addr, a);
	vals[n++] = fl;
	vals[n++] = p;
	vals[n++] = human_bytes(c->bytes, b);
	rate_cells(ec, &r->rate, vals, &n, pps, bps);
	print_row(ec->out, vals);
}

/* A flow time, local unless --utc: in full with --wide, else short. */
static const char *time_cell(const struct emit_ctx *ec, __u64 jiffies, char *buf)
{
	int64_t ns;
	const char *t;

	if (!ec->clock->valid || (ns = flow_clock_wall_ns(ec->clock, jiffies)) < 0)
		return "-";
	t = flows.wide ? human_time(ns, ec->read_wall_ns, ec->opts->utc, buf) :
			 short_time(ns, ec->read_wall_ns, ec->opts->utc, buf);
	return t ?: "-";
}

static void table_flow(struct emit_ctx *ec, const struct flow_row *r)
{
	const struct xdpflow_flow_key *k = &r->f.key;
	char ifb[16], vl[VLAN_STR_LEN], pb[8], src[64], dst[64], sp[8], dp[12];
	char p[24], b[16], ib[16], fl[12], t1[24], t2[24], pps[24], bps[24];
	const char *vals[MAX_COLS];
	__u16 dport = ntohs(k->dport);
	bool icmp = flow_is_icmp(k);
	int n = 0;

	rows_in_section++;
	if (icmp) {
		strcpy(sp, "-");
		snprintf(dp, sizeof(dp), "%u/%u", dport >> 8, dport & 0xff); /* type/code */
	} else {
		u64_str(ntohs(k->sport), sp);
		u64_str(dport, dp);
	}
	u64_str(r->f.c.packets, p);
	vals[n++] = ifname_cell(k->ifindex, ifb);
	if (show_vlan)
		vals[n++] = vlan_str(k->vlan_outer, k->vlan_inner, vl);
	vals[n++] = proto_cell(k->proto, pb);
	if (flows.wide) {
		vals[n++] = addr_str(k->family, k->src, src);
		vals[n++] = sp;
		vals[n++] = addr_str(k->family, k->dst, dst);
		vals[n++] = dp;
	} else {
		vals[n++] = endpoint_str(k->family, k->src, icmp ? NULL : sp,
					 layout.cols[flows.src_col].width, src);
		vals[n++] = endpoint_str(k->family, k->dst, dp, layout.cols[flows.dst_col].width, dst);
	}
	vals[n++] = p;
	vals[n++] = human_bytes(r->f.c.bytes, b);
	if (flows.wide)
		vals[n++] = human_bytes(r->f.c.ip_bytes, ib);
	if (flows.last_seen) {
		vals[n++] = k->proto == 6 ? tcp_flags_str(r->f.c.tcp_flags, fl) : "";
		if (flows.wide)
			vals[n++] = time_cell(ec, r->f.c.first_seen, t1);
		vals[n++] = time_cell(ec, r->f.c.last_seen, t2);
	}
	rate_cells(ec, &r->rate, vals, &n, pps, bps);
	print_row(ec->out, vals);
}

static void table_list_end(struct emit_ctx *ec, enum reader_view view)
{
	(void)view;
	if (!rows_in_section)
		put_str(ec->out, "(none)\n");
}

/* Say when the flow and source views are incomplete, whatever views were asked for. */
static void table_end(struct emit_ctx *ec)
{
	const struct totals_view *t = ec->totals;
	char b[16];

	if (!t || !t->sum.unrecorded.packets)
		return;
	fprintf(ec->out, "\nflow table full: %llu packets (%s) not recorded per flow (counted by "
		"protocol); raise --max-flows\n",
		(unsigned long long)t->sum.unrecorded.packets, human_bytes(t->sum.unrecorded.bytes, b));
}

const struct emitter emit_table = {
	.begin = table_begin,
	.totals = table_totals,
	.list_begin = table_list_begin,
	.protocol = table_protocol,
	.source = table_source,
	.flow = table_flow,
	.list_end = table_list_end,
	.end = table_end,
};
