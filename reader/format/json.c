// SPDX-License-Identifier: GPL-2.0
/*
 * The reader's JSON emitters: one object per read, streamed, one list item
 * per line (json); or one object per record per line (ndjson, JSON Lines).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include "format/format.h"
#include "xdpflow.h"

static void key(FILE *f, const char *name)
{
	putc_unlocked('"', f);
	put_str(f, name);
	put_str(f, "\":");
}

static void field_u64(FILE *f, const char *name, __u64 v)
{
	putc_unlocked(',', f);
	key(f, name);
	put_u64(f, v);
}

static void field_str(FILE *f, const char *name, const char *v)
{
	putc_unlocked(',', f);
	key(f, name);
	put_json_str(f, v);
}

static void field_rate(FILE *f, const struct rate *r)
{
	if (!r->valid)
		return;
	fprintf(f, ",\"packets_per_s\":%.3f,\"bytes_per_s\":%.3f", r->packets, r->bytes);
}

/* "ifindex":N,"ifname":"eth0". */
static void iface_fields(FILE *f, __u32 ifindex)
{
	put_str(f, "\"ifindex\":");
	put_u64(f, ifindex);
	field_str(f, "ifname", ifname_of(ifindex));
}

static bool json_lines(const struct emit_ctx *ec)
{
	return ec->opts->format == FORMAT_NDJSON;
}

/* The read's own fields, opening its object (json) or every record of it (ndjson). */
static void read_fields(FILE *f, const struct emit_ctx *ec)
{
	char t[32];

	format_utc_ms(ec->read_wall_ns, t);
	put_str(f, "{\"time\":\"");
	put_str(f, t);
	putc_unlocked('"', f);
	field_str(f, "pin_path", ec->opts->pin_path);
	/* Counts since the previous drain, reset now (--drain). */
	if (ec->opts->drain)
		put_str(f, ",\"drained\":true");
	/* The same ID on every delivery of one drain: a consumer keeps the first. */
	if (ec->drain_id) {
		put_str(f, ",\"drain_id\":");
		put_u64(f, ec->drain_id);
	}
	/* Rates are (this read - the previous) / interval_s. */
	if (ec->rate_interval_s > 0)
		fprintf(f, ",\"interval_s\":%.6f", ec->rate_interval_s);
	/* A drain reset the counts since the previous read: this read has no rates. */
	if (ec->counters_reset)
		put_str(f, ",\"counters_reset\":true");
}

static void json_begin(struct emit_ctx *ec)
{
	read_fields(ec->out, ec);
}

/*
 * A row opens its object: after the list's previous row (json), or as a
 * record of its own with the read's fields and its view (ndjson).
 */
static void row_open(struct emit_ctx *ec, enum reader_view view)
{
	if (!json_lines(ec)) {
		put_str(ec->out, ec->first_row ? "\n{" : ",\n{");
		ec->first_row = false;
		return;
	}
	put_str(ec->out, ec->record_head);
	put_str(ec->out, ",\"view\":\"");
	put_str(ec->out, reader_view_names[view]);
	put_str(ec->out, "\",");
}

/* "}" closing a row; a record of JSON Lines ends its line too. */
static const char *row_close(const struct emit_ctx *ec)
{
	return json_lines(ec) ? "}\n" : "}";
}

static void class_fields(FILE *f, const struct iface_total *t)
{
	field_u64(f, "packets", t->all.packets);
	field_u64(f, "bytes", t->all.bytes);
	field_u64(f, "ip", t->ip.packets);
	field_u64(f, "ip_frame_bytes", t->ip.bytes);
	field_u64(f, "non_ip", t->non_ip.packets);
	field_u64(f, "non_ip_bytes", t->non_ip.bytes);
	field_u64(f, "malformed", t->malformed.packets);
	field_u64(f, "malformed_bytes", t->malformed.bytes);
	field_u64(f, "unrecorded_packets", t->unrecorded.packets);
	field_u64(f, "unrecorded_bytes", t->unrecorded.bytes);
	field_rate(f, &t->rate);
}

static void json_totals(struct emit_ctx *ec, const struct totals_view *t)
{
	FILE *f = ec->out;
	size_t i;

	put_str(f, ",\n\"totals\":{\"flow_table_capacity\":");
	put_u64(f, t->flow_capacity);
	if (t->fill_known) {
		field_u64(f, "flow_table_fill", t->flow_fill);
		field_u64(f, "flows_read", t->flows_read);
	}
	class_fields(f, &t->sum);
	put_str(f, ",\"interfaces\":[");
	for (i = 0; i < t->n_ifaces; i++) {
		if (i)
			putc_unlocked(',', f);
		put_str(f, "\n {");
		iface_fields(f, t->ifaces[i].ifindex);
		class_fields(f, &t->ifaces[i]);
		putc_unlocked('}', f);
	}
	put_str(f, "]}");
}

static void json_list_begin(struct emit_ctx *ec, enum reader_view view)
{
	put_str(ec->out, ",\n\"");
	put_str(ec->out, reader_view_names[view]);
	put_str(ec->out, "\":[");
	ec->first_row = true;
}

static void json_protocol(struct emit_ctx *ec, const struct protocol_row *r)
{
	FILE *f = ec->out;

	row_open(ec, VIEW_PROTOCOLS);
	iface_fields(f, r->ifindex);
	field_u64(f, "family", r->family);
	field_u64(f, "proto", r->proto);
	field_str(f, "name", proto_name(r->proto));
	field_u64(f, "packets", r->c.packets);
	field_u64(f, "bytes", r->c.bytes);
	field_rate(f, &r->rate);
	put_str(f, row_close(ec));
}

/* Flows and sources can number millions: each row is built in a struct line. */
static void line_field_u64(struct line *l, const char *key, size_t keylen, __u64 v)
{
	line_put(l, key, keylen);
	line_u64(l, v);
}

#define FIELD_U64(l, key, v) line_field_u64(l, ",\"" key "\":", sizeof(key) + 3, v)

static void line_rate(struct line *l, const struct rate *r)
{
	if (r->valid)
		l->p += snprintf(l->p, 64, ",\"packets_per_s\":%.3f,\"bytes_per_s\":%.3f", r->packets,
				 r->bytes);
}

static void line_row_start(struct emit_ctx *ec, struct line *l, enum reader_view view,
			   __u32 ifindex)
{
	row_open(ec, view);
	line_start(l);
	LINE_LIT(l, "\"ifindex\":");
	line_u64(l, ifindex);
	LINE_LIT(l, ",\"ifname\":");
	line_json_str(l, ifname_of(ifindex));
}

/* The VLAN IDs of a flow or source (network order in the key): 0 untagged; inner_vlan only for QinQ. */
static void line_vlans(struct line *l, __u16 outer, __u16 inner)
{
	FIELD_U64(l, "vlan", ntohs(outer));
	FIELD_U64(l, "inner_vlan", ntohs(inner));
}

static void json_source(struct emit_ctx *ec, const struct source_row *r)
{
	const struct source_key *k = &r->s.k;
	const struct source_counts *c = &r->s.c;
	struct line l;

	line_row_start(ec, &l, VIEW_SOURCES, k->ifindex);
	line_vlans(&l, k->vlan_outer, k->vlan_inner);
	FIELD_U64(&l, "family", k->family);
	LINE_LIT(&l, ",\"addr\":\"");
	line_addr(&l, k->family, k->addr);
	line_char(&l, '"');
	FIELD_U64(&l, "flows", c->flows);
	FIELD_U64(&l, "packets", c->packets);
	FIELD_U64(&l, "bytes", c->bytes);
	line_rate(&l, &r->rate);
	line_write(&l, ec->out);
	put_str(ec->out, row_close(ec));
}

static void line_time(struct line *l, const struct flow_clock *clk, __u64 jiffies)
{
	char t[32];

	if (!flow_time_str(clk, jiffies, t)) {
		LINE_LIT(l, "null");
		return;
	}
	line_char(l, '"');
	line_put(l, t, 24);
	line_char(l, '"');
}

static void json_flow(struct emit_ctx *ec, const struct flow_row *r)
{
	const struct xdpflow_flow_key *k = &r->f.key;
	const struct xdpflow_flow_counters *c = &r->f.c;
	__u16 dport = ntohs(k->dport);
	struct line l;

	line_row_start(ec, &l, VIEW_FLOWS, k->ifindex);
	line_vlans(&l, k->vlan_outer, k->vlan_inner);
	FIELD_U64(&l, "family", k->family);
	LINE_LIT(&l, ",\"src\":\"");
	line_addr(&l, k->family, k->src);
	LINE_LIT(&l, "\",\"dst\":\"");
	line_addr(&l, k->family, k->dst);
	line_char(&l, '"');
	FIELD_U64(&l, "proto", k->proto);
	FIELD_U64(&l, "sport", ntohs(k->sport));
	FIELD_U64(&l, "dport", dport);
	if (flow_is_icmp(k)) {
		FIELD_U64(&l, "icmp_type", dport >> 8);
		FIELD_U64(&l, "icmp_code", dport & 0xff);
	}
	FIELD_U64(&l, "packets", c->packets);
	FIELD_U64(&l, "bytes", c->bytes);
	FIELD_U64(&l, "ip_bytes", c->ip_bytes);
	FIELD_U64(&l, "tcp_flags", c->tcp_flags);
	LINE_LIT(&l, ",\"first_seen\":");
	line_time(&l, ec->clock, c->first_seen);
	LINE_LIT(&l, ",\"last_seen\":");
	line_time(&l, ec->clock, c->last_seen);
	line_rate(&l, &r->rate);
	line_write(&l, ec->out);
	put_str(ec->out, row_close(ec));
}

static void json_list_end(struct emit_ctx *ec, enum reader_view view)
{
	(void)view;
	putc_unlocked(']', ec->out);
}

static void json_end(struct emit_ctx *ec)
{
	put_str(ec->out, "}\n");
}

/* ---- JSON Lines: the rows above, each a record; totals one per interface ---- */

static void ndjson_begin(struct emit_ctx *ec)
{
	size_t len;
	FILE *f;

	free(ec->record_head);
	ec->record_head = NULL;
	f = open_memstream(&ec->record_head, &len);
	if (f) {
		read_fields(f, ec);
		fclose(f);
	}
	if (!ec->record_head)
		ec->record_head = strdup("{");
}

static void ndjson_totals(struct emit_ctx *ec, const struct totals_view *t)
{
	FILE *f = ec->out;
	size_t i;

	for (i = 0; i < t->n_ifaces; i++) {
		row_open(ec, VIEW_TOTALS);
		iface_fields(f, t->ifaces[i].ifindex);
		/* The table's size and fill and the flows read are the read's, the same on every interface. */
		field_u64(f, "flow_table_capacity", t->flow_capacity);
		if (t->fill_known) {
			field_u64(f, "flow_table_fill", t->flow_fill);
			field_u64(f, "flows_read", t->flows_read);
		}
		class_fields(f, &t->ifaces[i]);
		put_str(f, row_close(ec));
	}
}

static void ndjson_list_edge(struct emit_ctx *ec, enum reader_view view)
{
	(void)ec;
	(void)view;
}

static void ndjson_end(struct emit_ctx *ec)
{
	free(ec->record_head);
	ec->record_head = NULL;
}

const struct emitter emit_ndjson = {
	.begin = ndjson_begin,
	.totals = ndjson_totals,
	.list_begin = ndjson_list_edge,
	.protocol = json_protocol,
	.source = json_source,
	.flow = json_flow,
	.list_end = ndjson_list_edge,
	.end = ndjson_end,
};

const struct emitter emit_json = {
	.begin = json_begin,
	.totals = json_totals,
	.list_begin = json_list_begin,
	.protocol = json_protocol,
	.source = json_source,
	.flow = json_flow,
	.list_end = json_list_end,
	.end = json_end,
};
