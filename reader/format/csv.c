// SPDX-License-Identifier: GPL-2.0
/*
 * The reader's CSV emitter: one section per view (a header row, the rows),
 * sections separated by a blank line, every row led by the view's name.
 */
#include <arpa/inet.h>
#include <string.h>
#include "format/format.h"
#include "xdpflow.h"

static const char *const headers[VIEW_COUNT] = {
	[VIEW_TOTALS] = "view,ifindex,ifname,packets,bytes,ip,ip_frame_bytes,non_ip,non_ip_bytes,"
			"malformed,malformed_bytes,unrecorded_packets,unrecorded_bytes,"
			"flow_table_capacity,flow_table_fill,flows_read",
	[VIEW_PROTOCOLS] = "view,ifindex,ifname,family,proto,name,packets,bytes",
	[VIEW_SOURCES] = "view,ifindex,ifname,vlan,inner_vlan,family,addr,flows,packets,bytes",
	[VIEW_FLOWS] = "view,ifindex,ifname,vlan,inner_vlan,family,src,dst,proto,sport,"
		       "dport,packets,bytes,ip_bytes,tcp_flags,first_seen,last_seen",
};

static void sep_u64(FILE *f, __u64 v)
{
	putc_unlocked(',', f);
	put_u64(f, v);
}

static void sep_str(FILE *f, const char *s)
{
	putc_unlocked(',', f);
	put_csv_str(f, s);
}

static void rate_cols(struct emit_ctx *ec, const struct rate *r)
{
	if (!ec->rates)
		return;
	if (r->valid)
		fprintf(ec->out, ",%.3f,%.3f", r->packets, r->bytes);
	else
		put_str(ec->out, ",,");
}

static void section(struct emit_ctx *ec, enum reader_view view)
{
	if (!ec->first_section)
		putc_unlocked('\n', ec->out);
	ec->first_section = false;
	put_str(ec->out, headers[view]);
	if (ec->rates)
		put_str(ec->out, ",packets_per_s,bytes_per_s");
	putc_unlocked('\n', ec->out);
}

/* "view,ifindex,ifname" of a row. */
static void row_start(struct emit_ctx *ec, enum reader_view view, __u32 ifindex)
{
	put_str(ec->out, reader_view_names[view]);
	sep_u64(ec->out, ifindex);
	sep_str(ec->out, ifname_of(ifindex));
}

/* first_section starts true once per process, so --watch rounds are blank-line separated too. */
static void csv_begin(struct emit_ctx *ec)
{
	char t[32];

	/* A drain: a section of its own first, with its ID (a consumer keeps one report per ID). */
	if (!ec->drain_id)
		return;
	if (!ec->first_section)
		putc_unlocked('\n', ec->out);
	ec->first_section = false;
	format_utc_ms(ec->read_wall_ns, t);
	put_str(ec->out, "view,drain_id,time,pin_path\ndrain,");
	put_u64(ec->out, ec->drain_id);
	putc_unlocked(',', ec->out);
	put_str(ec->out, t);
	sep_str(ec->out, ec->opts->pin_path);
	putc_unlocked('\n', ec->out);
}

static void class_cols(FILE *f, const struct iface_total *t)
{
	sep_u64(f, t->all.packets);
	sep_u64(f, t->all.bytes);
	sep_u64(f, t->ip.packets);
	sep_u64(f, t->ip.bytes);
	sep_u64(f, t->non_ip.packets);
	sep_u64(f, t->non_ip.bytes);
	sep_u64(f, t->malformed.packets);
	sep_u64(f, t->malformed.bytes);
	sep_u64(f, t->unrecorded.packets);
	sep_u64(f, t->unrecorded.bytes);
}

/* The first row sums every selected interface (ifindex and ifname empty); then one per interface. */
static void csv_totals(struct emit_ctx *ec, const struct totals_view *t)
{
	FILE *f = ec->out;
	size_t i;

	section(ec, VIEW_TOTALS);
	put_str(f, "totals,,");
	class_cols(f, &t->sum);
	sep_u64(f, t->flow_capacity);
	putc_unlocked(',', f);
	if (t->fill_known)
		put_u64(f, t->flow_fill);
	putc_unlocked(',', f);
	if (t->fill_known)
		put_u64(f, t->flows_read);
	rate_cols(ec, &t->sum.rate);
	putc_unlocked('\n', f);
	for (i = 0; i < t->n_ifaces; i++) {
		row_start(ec, VIEW_TOTALS, t->ifaces[i].ifindex);
		class_cols(f, &t->ifaces[i]);
		put_str(f, ",,,");
		rate_cols(ec, &t->ifaces[i].rate);
		putc_unlocked('\n', f);
	}
}

static void csv_list_begin(struct emit_ctx *ec, enum reader_view view)
{
	section(ec, view);
}

static void csv_protocol(struct emit_ctx *ec, const struct protocol_row *r)
{
	FILE *f = ec->out;

	row_start(ec, VIEW_PROTOCOLS, r->ifindex);
	sep_u64(f, r->family);
	sep_u64(f, r->proto);
	sep_str(f, proto_name(r->proto));
	sep_u64(f, r->c.packets);
	sep_u64(f, r->c.bytes);
	rate_cols(ec, &r->rate);
	putc_unlocked('\n', f);
}

static void line_sep_u64(struct line *l, __u64 v)
{
	line_char(l, ',');
	line_u64(l, v);
}

/* "view,ifindex,ifname" of a row built in memory (flows and sources can number millions). */
static void line_row_start(struct line *l, enum reader_view view, __u32 ifindex)
{
	line_start(l);
	line_put(l, reader_view_names[view], strlen(reader_view_names[view]));
	line_sep_u64(l, ifindex);
	line_char(l, ',');
	line_csv_str(l, ifname_of(ifindex));
}

static void line_rate_cols(struct emit_ctx *ec, struct line *l, const struct rate *r)
{
	if (!ec->rates)
		return;
	if (r->valid)
		l->p += snprintf(l->p, 64, ",%.3f,%.3f", r->packets, r->bytes);
	else
		LINE_LIT(l, ",,");
}

static void csv_source(struct emit_ctx *ec, const struct source_row *r)
{
	const struct source_key *k = &r->s.k;
	const struct source_counts *c = &r->s.c;
	struct line l;

	line_row_start(&l, VIEW_SOURCES, k->ifindex);
	line_sep_u64(&l, ntohs(k->vlan_outer));
	line_sep_u64(&l, ntohs(k->vlan_inner));
	line_sep_u64(&l, k->family);
	line_char(&l, ',');
	line_addr(&l, k->family, k->addr);
	line_sep_u64(&l, c->flows);
	line_sep_u64(&l, c->packets);
	line_sep_u64(&l, c->bytes);
	line_rate_cols(ec, &l, &r->rate);
	line_char(&l, '\n');
	line_write(&l, ec->out);
}

static void line_sep_time(struct line *l, const struct flow_clock *clk, __u64 jiffies)
{
	char t[32];

	line_char(l, ',');
	if (flow_time_str(clk, jiffies, t))
		line_put(l, t, 24);
}

static void csv_flow(struct emit_ctx *ec, const struct flow_row *r)
{
	const struct xdpflow_flow_key *k = &r->f.key;
	const struct xdpflow_flow_counters *c = &r->f.c;
	struct line l;

	line_row_start(&l, VIEW_FLOWS, k->ifindex);
	line_sep_u64(&l, ntohs(k->vlan_outer));
	line_sep_u64(&l, ntohs(k->vlan_inner));
	line_sep_u64(&l, k->family);
	line_char(&l, ',');
	line_addr(&l, k->family, k->src);
	line_char(&l, ',');
	line_addr(&l, k->family, k->dst);
	line_sep_u64(&l, k->proto);
	line_sep_u64(&l, ntohs(k->sport));
	line_sep_u64(&l, ntohs(k->dport));
	line_sep_u64(&l, c->packets);
	line_sep_u64(&l, c->bytes);
	line_sep_u64(&l, c->ip_bytes);
	line_sep_u64(&l, c->tcp_flags);
	line_sep_time(&l, ec->clock, c->first_seen);
	line_sep_time(&l, ec->clock, c->last_seen);
	line_rate_cols(ec, &l, &r->rate);
	line_char(&l, '\n');
	line_write(&l, ec->out);
}

static void csv_list_end(struct emit_ctx *ec, enum reader_view view)
{
	(void)ec;
	(void)view;
}

static void csv_end(struct emit_ctx *ec)
{
	(void)ec;
}

const struct emitter emit_csv = {
	.begin = csv_begin,
	.totals = csv_totals,
	.list_begin = csv_list_begin,
	.protocol = csv_protocol,
	.source = csv_source,
	.flow = csv_flow,
	.list_end = csv_list_end,
	.end = csv_end,
};
