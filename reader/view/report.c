// SPDX-License-Identifier: GPL-2.0
/* xdpflow-reader: one read of the maps turned into the views asked for: totals, protocols, sources, flows. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "xdpflow.h"
#include "view/report.h"
#include "export/testkill.h"

void report_init(struct report *r, const struct reader_opts *opts, FILE *out,
		 struct rate_memory *rates)
{
	memset(r, 0, sizeof(*r));
	r->opts = opts;
	r->print = opts->print;
	r->em = emitter_for(opts->format);
	r->rates = rates;
	r->ec.out = out;
	r->ec.opts = opts;
	r->ec.rates = rates != NULL;
	r->ec.first_section = true;
}

/* ---- Row order ---- */

static int cmp_u64(__u64 a, __u64 b)
{
	return a < b ? -1 : a > b;
}

/* Rank by one counter, then the other; 0 when both are equal. */
#define ROW_CMP(name, type, first, second)                 \
	static int name(const type *a, const type *b)      \
	{                                                  \
		int c = cmp_u64(a->first, b->first);       \
		return c ? c : cmp_u64(a->second, b->second); \
	}

ROW_CMP(protocol_counts_packets, struct protocol_row, c.packets, c.bytes)
ROW_CMP(protocol_counts_bytes, struct protocol_row, c.bytes, c.packets)
ROW_CMP(flow_counts_packets, struct flow_row, f.c.packets, f.c.bytes)
ROW_CMP(flow_counts_bytes, struct flow_row, f.c.bytes, f.c.packets)

/* Among equal counts, a deterministic order: the lower identity ranks higher. */
static int protocol_identity(const struct protocol_row *a, const struct protocol_row *b)
{
	int c = cmp_u64(b->ifindex, a->ifindex);

	if (!c)
		c = cmp_u64(b->family, a->family);
	return c ? c : cmp_u64(b->proto, a->proto);
}

static int protocol_rank_packets(const void *a, const void *b)
{
	int c = protocol_counts_packets(a, b);

	return c ? c : protocol_identity(a, b);
}

static int protocol_rank_bytes(const void *a, const void *b)
{
	int c = protocol_counts_bytes(a, b);

	return c ? c : protocol_identity(a, b);
}

static int flow_identity(const struct flow_row *a, const struct flow_row *b)
{
	return -memcmp(&a->f.key, &b->f.key, sizeof(a->f.key));
}

int flow_row_cmp_packets(const void *a, const void *b)
{
	int c = flow_counts_packets(a, b);

	return c ? c : flow_identity(a, b);
}

int flow_row_cmp_bytes(const void *a, const void *b)
{
	int c = flow_counts_bytes(a, b);

	return c ? c : flow_identity(a, b);
}

/* --sort rate: the busiest now first (bits, then packets per second), then the larger total. */
static int cmp_rate(const struct rate *a, const struct rate *b)
{
	if (a->bytes != b->bytes)
		return a->bytes < b->bytes ? -1 : 1;
	if (a->packets != b->packets)
		return a->packets < b->packets ? -1 : 1;
	return 0;
}

static int protocol_rank_rate(const void *a, const void *b)
{
	const struct protocol_row *x = a, *y = b;
	int c = cmp_rate(&x->rate, &y->rate);

	return c ? c : protocol_rank_bytes(a, b);
}

static int source_rank_rate(const void *a, const void *b)
{
	const struct source_row *x = a, *y = b;
	int c = cmp_rate(&x->rate, &y->rate);

	return c ? c : source_rank_bytes(a, b);
}

int flow_row_cmp_rate(const void *a, const void *b)
{
	const struct flow_row *x = a, *y = b;
	int c = cmp_rate(&x->rate, &y->rate);

	return c ? c : flow_row_cmp_bytes(a, b);
}

typedef int (*rank_fn)(const void *, const void *);

/* The rank order of --sort for each view: packets, bytes or rate. */
static rank_fn rank_for(const struct report *r, rank_fn packets, rank_fn bytes, rank_fn rate)
{
	switch (r->opts->sort) {
	case SORT_BYTES:
		return bytes;
	case SORT_RATE:
		return rate;
	default:
		return packets;
	}
}

/* ---- Totals ---- */

static void iface_total_of(const struct iface_counts *ic, struct iface_total *t)
{
	memset(t, 0, sizeof(*t));
	t->ifindex = ic->ifindex;
	t->ip = iface_counts_ip(ic);
	t->non_ip = ic->non_ip;
	t->malformed = ic->malformed;
	t->unrecorded = ic->unrecorded;
	t->all = t->ip;
	counter_add(&t->all, &t->non_ip);
	counter_add(&t->all, &t->malformed);
}

static void sum_total(struct iface_total *sum, const struct iface_total *t)
{
	counter_add(&sum->all, &t->all);
	counter_add(&sum->ip, &t->ip);
	counter_add(&sum->non_ip, &t->non_ip);
	counter_add(&sum->malformed, &t->malformed);
	counter_add(&sum->unrecorded, &t->unrecorded);
}

/* Per selected interface and summed; ifaces must hold s->ifaces.n entries. */
static size_t build_totals(struct report *r, const struct snapshot *s, struct iface_total *ifaces,
			   struct totals_view *tv)
{
	size_t i, n = 0;

	memset(tv, 0, sizeof(*tv));
	for (i = 0; i < s->ifaces.n; i++) {
		if (!iface_filter_match(&r->filter, s->ifaces.v[i].ifindex))
			continue;
		iface_total_of(&s->ifaces.v[i], &ifaces[n]);
		rate_track(r->rates, VIEW_TOTALS, &ifaces[n].ifindex, 4, ifaces[n].all.packets,
			   ifaces[n].all.bytes, &ifaces[n].rate);
		sum_total(&tv->sum, &ifaces[n]);
		n++;
	}
	rate_track(r->rates, VIEW_TOTALS, "", 0, tv->sum.all.packets, tv->sum.all.bytes,
		   &tv->sum.rate);
	tv->ifaces = ifaces;
	tv->n_ifaces = n;
	tv->flow_capacity = s->flow_capacity;
	return n;
}

/* Column widths for tables that stream: from what the counters already tell. */
static void layout_hints(struct report *r, const struct snapshot *s)
{
	const struct iface_counts *ic;
	char buf[16];
	size_t i;
	int p, len;

	r->ec.has_ipv6 = false;
	r->ec.ifname_width = 9;
	for (i = 0; i < s->ifaces.n; i++) {
		ic = &s->ifaces.v[i];
		if (!iface_filter_match(&r->filter, ic->ifindex))
			continue;
		for (p = 0; p < 256; p++)
			if (ic->proto[1][p].packets)
				r->ec.has_ipv6 = true;
		len = ifname_of(ic->ifindex) ? (int)strlen(ifname_of(ic->ifindex)) :
					       snprintf(buf, sizeof(buf), "#%u", ic->ifindex);
		if (len > r->ec.ifname_width)
			r->ec.ifname_width = len;
	}
}

/* ---- Protocols ---- */

static int emit_protocols(struct report *r, const struct snapshot *s)
{
	bool ranked = r->opts->top || r->opts->sort != SORT_NONE;
	const struct iface_counts *ic;
	struct protocol_row row;
	struct topn top;
	size_t i;
	int f, p, err = 0;

	if (ranked) {
		err = topn_init(&top, r->opts->top, sizeof(row),
				rank_for(r, protocol_rank_packets, protocol_rank_bytes,
					 protocol_rank_rate));
		if (err)
			return err;
	}
	r->em->list_begin(&r->ec, VIEW_PROTOCOLS);
	for (i = 0; i < s->ifaces.n && !err; i++) {
		ic = &s->ifaces.v[i];
		if (!iface_filter_match(&r->filter, ic->ifindex))
			continue;
		for (f = 0; f < 2 && !err; f++)
			for (p = 0; p < 256 && !err; p++) {
				if (!ic->proto[f][p].packets)
					continue;
				memset(&row, 0, sizeof(row));
				row.ifindex = ic->ifindex;
				row.family = f ? 6 : 4;
				row.proto = p;
				row.c = ic->proto[f][p];
				rate_track(r->rates, VIEW_PROTOCOLS, &row, 8, row.c.packets,
					   row.c.bytes, &row.rate);
				if (ranked)
					err = topn_push(&top, &row);
				else
					r->em->protocol(&r->ec, &row);
			}
	}
	if (ranked) {
		topn_finish(&top);
		for (i = 0; i < top.n && !err; i++)
			r->em->protocol(&r->ec, topn_at(&top, i));
		topn_free(&top);
	}
	r->em->list_end(&r->ec, VIEW_PROTOCOLS);
	return err;
}

/* ---- Sources and flows ---- */

/*
 * One walk of the flows feeds everything that needs them: the protocol
 * counts (the library derives them on a snapshot's first walk), the
 * sources, the ranked flows, an export sink, and the flows printed as
 * read.  Flows are printed as read only after the totals, protocols and
 * sources, so when those are asked for too, a second walk prints them
 * (holding a million flows instead would take a hundred MiB).
 */
struct walk {
	struct report *r;
	const struct flow_clock *clk;
	struct source_set *sources; /* aggregate into, or NULL */
	struct topn *flows; /* rank into, or NULL */
	bool stream; /* print each flow as read */
	bool sink; /* hand each flow to r->sink */
	bool flow_rates;
	bool write_failed; /* stop printing, keep feeding the sink */
	__u64 flows_read; /* flows of the selected interfaces */
	int vlan_width; /* of them: 0 none tagged, else the widest VLAN cell */
};

static int on_flow(const struct flow_record *f, void *ctx)
{
	struct walk *w = ctx;
	struct report *r = w->r;
	struct flow_row row;
	int err;

	if (!iface_filter_match(&r->filter, f->key.ifindex))
		return 0;
	w->flows_read++;
	if (f->key.vlan_inner)
		w->vlan_width = VLAN_CELL_QINQ;
	else if (f->key.vlan_outer && !w->vlan_width)
		w->vlan_width = VLAN_CELL_ONE;
	if (w->sink) {
		r->sink_err = r->sink(f, w->clk, r->ec.read_wall_ns, r->sink_ctx);
		/* Any value stops the walk; sink_err tells it from a read error. */
		if (r->sink_err)
			return 1;
	}
	if (w->sources) {
		err = source_set_add(w->sources, f);
		if (err)
			return err;
	}
	if (!w->flows && (!w->stream || w->write_failed))
		return 0;
	row.f = *f;
	if (w->flow_rates)
		rate_track(r->rates, VIEW_FLOWS, &f->key, sizeof(f->key), f->c.packets,
			   f->c.bytes, &row.rate);
	else
		memset(&row.rate, 0, sizeof(row.rate));
	if (w->flows)
		return topn_push(w->flows, &row);
	r->em->flow(&r->ec, &row);
	if (!ferror(r->ec.out))
		return 0;
	/* After a failed write the flows still go out: a drain has nowhere else to put them. */
	w->write_failed = true;
	return w->sink ? 0 : -EIO;
}

/* Sources are always ranked: all of them are in memory anyway. */
static int emit_sources(struct report *r, struct source_set *sources)
{
	const struct source_counts *c;
	const struct source_key *k;
	struct source_row row;
	struct topn top;
	size_t pos = 0, i;
	int err;

	err = topn_init(&top, r->opts->top, sizeof(row),
			rank_for(r, source_rank_packets, source_rank_bytes, source_rank_rate));
	while (!err && (c = source_set_next(sources, &pos, &k))) {
		row.s.k = *k;
		row.s.c = *c;
		rate_track(r->rates, VIEW_SOURCES, k, sizeof(*k), c->packets, c->bytes, &row.rate);
		err = topn_push(&top, &row);
	}
	if (!err) {
		topn_finish(&top);
		r->em->list_begin(&r->ec, VIEW_SOURCES);
		for (i = 0; i < top.n; i++)
			r->em->source(&r->ec, topn_at(&top, i));
		r->em->list_end(&r->ec, VIEW_SOURCES);
	}
	topn_free(&top);
	return err;
}

static int emit_ranked_flows(struct report *r, struct topn *flows)
{
	size_t i;

	topn_finish(flows);
	r->em->list_begin(&r->ec, VIEW_FLOWS);
	for (i = 0; i < flows->n; i++)
		r->em->flow(&r->ec, topn_at(flows, i));
	r->em->list_end(&r->ec, VIEW_FLOWS);
	return 0;
}

/* What needs every flow before its first row: totals, protocols, sources, ranked flows. */
struct collected {
	bool want_sources;
	bool want_flows;
	bool stream; /* flows in table order, printed while read */
	bool sink_done; /* the sink had the flows in the first walk */
	struct walk_counts wc; /* of the first walk */
	__u64 flows_read;
	int vlan_width; /* struct walk's, of the first walk */
	struct source_set sources;
	struct topn flows;
};

static void collected_free(struct collected *c)
{
	source_set_free(&c->sources);
	topn_free(&c->flows);
}

/*
 * The first walk, before any output, unless all a read does is print the
 * flows as read (then that walk is the only one): it gathers the sources,
 * ranks the flows, feeds the sink and completes the protocol counts.
 */
static int collect(struct report *r, const struct snapshot_tables *t, struct snapshot *s,
		   struct collected *c)
{
	const struct reader_opts *o = r->opts;
	struct walk w = { .r = r, .clk = &s->clock, .flow_rates = r->rates != NULL };
	bool first_walk;
	int err = 0;

	memset(c, 0, sizeof(*c));
	/* Prometheus: per-source and per-flow series only when asked (cardinality). */
	c->want_sources = r->print && o->views[VIEW_SOURCES] &&
			  (o->format != FORMAT_PROMETHEUS || o->prometheus_sources);
	c->want_flows = r->print && o->views[VIEW_FLOWS] &&
			(o->format != FORMAT_PROMETHEUS || o->prometheus_flows);
	c->stream = c->want_flows && !o->top && o->sort == SORT_NONE;
	/*
	 * A table's columns are laid out before its first row, so a table of
	 * flows needs to know beforehand whether any flow is IPv6 or tagged.
	 */
	first_walk = !c->stream || o->views[VIEW_TOTALS] || o->views[VIEW_PROTOCOLS] ||
		     c->want_sources || o->format == FORMAT_TABLE || r->filter_must_exist;
	if (c->want_sources)
		err = source_set_init(&c->sources);
	if (!err && c->want_flows && !c->stream)
		err = topn_init(&c->flows, o->top, sizeof(struct flow_row),
				rank_for(r, flow_row_cmp_packets, flow_row_cmp_bytes,
					 flow_row_cmp_rate));
	if (err || !first_walk)
		return err;
	w.sources = c->want_sources ? &c->sources : NULL;
	w.flows = c->want_flows && !c->stream ? &c->flows : NULL;
	w.sink = r->sink != NULL;
	err = snapshot_walk_flows(t, s, on_flow, &w, &c->wc);
	if (err == 1 && r->sink_err)
		err = 0; /* the sink stopped: report_run reports sink_err */
	c->sink_done = w.sink;
	c->flows_read = w.flows_read;
	c->vlan_width = w.vlan_width;
	return err;
}

static void fill_figures(const struct collected *c, struct totals_view *tv)
{
	tv->flows_read = c->flows_read;
	tv->flow_table_entries = c->wc.table_entries;
	tv->flow_fill = c->wc.table_entries + c->wc.cache_only;
	tv->fill_known = true;
}

/* Flows printed as read; when this is the read's only walk, its figures are the read's. */
static int stream_flows(struct report *r, const struct snapshot_tables *t, struct snapshot *s,
			struct collected *c, struct totals_view *tv)
{
	struct walk w = { .r = r, .clk = &s->clock, .stream = true,
			  .flow_rates = r->rates != NULL, .sink = r->sink && !c->sink_done };
	bool only = !s->walked;
	int err;

	r->em->list_begin(&r->ec, VIEW_FLOWS);
	err = snapshot_walk_flows(t, s, on_flow, &w, only ? &c->wc : NULL);
	r->em->list_end(&r->ec, VIEW_FLOWS);
	if (err == 1 && r->sink_err)
		err = 0;
	if (w.write_failed && !err)
		err = -EIO;
	c->sink_done = true;
	if (only && !err) {
		c->flows_read = w.flows_read;
		fill_figures(c, tv);
	}
	return err;
}

/* The views asked for, in order; the snapshot is read, and walked once if anything needs it. */
static int print_views(struct report *r, const struct snapshot_tables *t, struct snapshot *s,
		       struct collected *col)
{
	const struct reader_opts *o = r->opts;
	struct iface_total *ifaces = NULL;
	struct totals_view tv;
	int err = 0;

	ifaces = calloc(s->ifaces.n ? s->ifaces.n : 1, sizeof(*ifaces));
	if (!ifaces)
		return -ENOMEM;
	build_totals(r, s, ifaces, &tv);
	if (s->walked)
		fill_figures(col, &tv);
	layout_hints(r, s);
	r->ec.vlan_width = col->vlan_width;
	r->ec.totals = &tv;
	r->ec.clock = &s->clock;
	r->em->begin(&r->ec);
	if (o->views[VIEW_TOTALS])
		r->em->totals(&r->ec, &tv);
	test_kill_point_flush("writing", r->ec.out);
	if (o->views[VIEW_PROTOCOLS])
		err = emit_protocols(r, s);
	if (!err && col->want_sources)
		err = emit_sources(r, &col->sources);
	if (!err && col->want_flows && !col->stream)
		err = emit_ranked_flows(r, &col->flows);
	if (!err && col->stream)
		err = stream_flows(r, t, s, col, &tv);
	if (!err)
		r->em->end(&r->ec);
	/* A read cut short never reached end(): what begin() kept for it goes now. */
	free(r->ec.record_head);
	r->ec.record_head = NULL;
	r->ec.totals = NULL;
	free(ifaces);
	return err;
}

static void sum_read(struct report *r, const struct snapshot *s)
{
	struct iface_total t;
	size_t i;

	r->read_packets = r->read_bytes = 0;
	memset(&r->read_unrecorded, 0, sizeof(r->read_unrecorded));
	for (i = 0; i < s->ifaces.n; i++) {
		iface_total_of(&s->ifaces.v[i], &t);
		r->read_packets += t.all.packets;
		r->read_bytes += t.all.bytes;
		counter_add(&r->read_unrecorded, &t.unrecorded);
	}
}

/* xdpflow must have counted on each interface of the filter (opts->ifnames, in order). */
static int check_filter_seen(const struct report *r, const struct snapshot *s)
{
	size_t i;
	int k;

	for (k = 0; k < r->filter.n; k++) {
		for (i = 0; i < s->ifaces.n && s->ifaces.v[i].ifindex != r->filter.ifindex[k]; i++)
			;
		if (i == s->ifaces.n) {
			say_error("--interface %s: xdpflow with the maps at %s has counted nothing "
				  "there (not attached there, or no frame yet: see xdpflow-loader "
				  "status)", r->opts->ifnames[k], r->opts->pin_path);
			return REPORT_UNSEEN_IFACE;
		}
	}
	return 0;
}

int report_run(struct report *r, const struct snapshot_tables *t, int clock_fd, int ncpus)
{
	struct collected col;
	struct snapshot s;
	int64_t mono, real;
	int err = 0;

	r->sink_err = 0;
	err = snapshot_read(t, clock_fd, ncpus, &s);
	if (err)
		return err;
	/*
	 * One instant for the read: the time it prints and the one its rates'
	 * interval ends at are read together, so the interval is the time
	 * between two printed times however long a read takes.
	 */
	clock_pair_ns(&mono, &real);
	if (r->rates) {
		struct snapshot_table_ids ids;

		rate_round_begin(r->rates, snapshot_tables_ids(t, &ids) ? NULL : &ids, mono);
		r->ec.rate_interval_s = r->rates->have_prev ?
			(r->rates->cur_ns - r->rates->prev_ns) / 1e9 : 0;
		r->ec.counters_reset = r->rates->reset;
	}
	r->ec.read_wall_ns = r->wall_ns ? r->wall_ns : real;
	err = collect(r, t, &s, &col);
	/* After collect's walk: an interface that counted only IP frames is known from its flows. */
	if (!err && r->filter_must_exist) {
		err = check_filter_seen(r, &s);
		if (err) {
			collected_free(&col);
			snapshot_free(&s);
			return err;
		}
	}
	if (!err && r->print)
		err = print_views(r, t, &s, &col);
	/* A sink the printing never reached (a write failed first) still gets every flow. */
	if (r->sink && !col.sink_done && !r->sink_err) {
		struct walk w = { .r = r, .clk = &s.clock, .sink = true };
		int ret = snapshot_walk_flows(t, &s, on_flow, &w, NULL);

		if (ret && !r->sink_err && !err)
			err = ret;
	}
	if (s.walked)
		sum_read(r, &s);
	if (r->rates && !err)
		rate_round_end(r->rates);
	collected_free(&col);
	snapshot_free(&s);
	return err;
}
