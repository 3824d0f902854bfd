/* SPDX-License-Identifier: GPL-2.0 */
/* xdpflow-reader: one read of the maps turned into the views asked for: totals, protocols, sources, flows. */
#ifndef XDPFLOW_REPORT_H
#define XDPFLOW_REPORT_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "format/format.h"
#include "view/rates.h"
#include "xdpflow.h"
#include "reader.h"

struct iface_filter {
	__u32 ifindex[READER_MAX_IFACE_FILTERS];
	int n; /* 0: every interface */
};

static inline bool iface_filter_match(const struct iface_filter *f, __u32 ifindex)
{
	int i;

	if (!f->n)
		return true;
	for (i = 0; i < f->n; i++)
		if (f->ifindex[i] == ifindex)
			return true;
	return false;
}

/*
 * Where every flow goes besides the printed views (--ipfix): called once
 * for each flow the interface filter lets through, after the views are
 * written; with the clock to turn its jiffies into wall-clock time and
 * the wall-clock time of the read.  Non-zero stops the walk.
 */
typedef int (*flow_sink_fn)(const struct flow_record *f, const struct flow_clock *clk,
			    int64_t read_wall_ns, void *ctx);

struct report {
	const struct reader_opts *opts;
	bool print; /* write the views (opts->print; a drain's report already printed: false) */
	int64_t wall_ns; /* the report's time (a drain's: when it took its tables); 0: the read's */
	flow_sink_fn sink; /* NULL: none */
	void *sink_ctx;
	int sink_err; /* what the sink last returned (report_run does not return it) */
	/* Every frame of the last read, all interfaces (for messages about a drain). */
	__u64 read_packets, read_bytes;
	/* Of those, the IP frames the full flow table did not take, and the records it refused. */
	struct xdpflow_counter read_unrecorded;
	struct iface_filter filter;
	/* Each interface of filter must have counts, else REPORT_UNSEEN_IFACE (a single read). */
	bool filter_must_exist;
	const struct emitter *em;
	struct emit_ctx ec; /* persists between --watch rounds */
	struct rate_memory *rates; /* NULL: no --watch */
};

void report_init(struct report *r, const struct reader_opts *opts, FILE *out,
		 struct rate_memory *rates);

/*
 * Read the given tables (and the clock anchors, clock_fd < 0: none), write
 * the selected views (if opts->print) and hand every flow to the sink (if
 * any).  -errno when reading failed, possibly after part of the output
 * was written; a sink's error is in r->sink_err instead.
 */
int report_run(struct report *r, const struct snapshot_tables *t, int clock_fd, int ncpus);
/*
 * report_run()'s error, with filter_must_exist, when the read finds
 * nothing counted on an interface of the filter: said already, nothing
 * written.
 */
#define REPORT_UNSEEN_IFACE (-ENXIO)

/* Row order for --top/--sort (exposed for tests). */
int flow_row_cmp_packets(const void *a, const void *b);
int flow_row_cmp_bytes(const void *a, const void *b);
int flow_row_cmp_rate(const void *a, const void *b);

#endif /* XDPFLOW_REPORT_H */
