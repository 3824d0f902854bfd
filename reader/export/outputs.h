/* SPDX-License-Identifier: GPL-2.0 */
/* xdpflow-reader: where a round's output goes: stdout, --output FILE (running totals for drains), a collector. */
#ifndef XDPFLOW_OUTPUTS_H
#define XDPFLOW_OUTPUTS_H

#include <stdbool.h>
#include <stdio.h>
#include "export/ipfix.h"
#include "export/ipfix_sink.h"
#include "export/ipfix_state.h"
#include "export/outfile.h"
#include "export/promfile.h"
#include "reader.h"

/* One run's outputs; a round is one read (or drain) written to them. */
struct outputs {
	FILE *out; /* what the report writes to */
	/* Ends the messages of checks made before a drain: they leave every counter in place. */
	const char *nothing_drained;
	bool file; /* --output: out is FILE's temporary file (or mem) */
	struct out_file of;
	/* --drain --format prometheus --output: FILE's running totals plus this drain. */
	bool accumulate;
	unsigned long long drain_id; /* the round's drain (0: none): FILE already holding it is kept */
	struct prom_text old;
	FILE *mem;
	char *mem_buf;
	size_t mem_len;
	/* --ipfix: open for the whole run. */
	struct ipfix_exporter *exp;
	struct ipfix_state seq; /* the stream's sequence number between runs */
	struct ipfix_sink sink;
	struct ipfix_stats sent; /* by the end of the previous round (--watch) */
};

/*
 * --ipfix: open the exporter for the whole run and send the templates;
 * before a drain, wait a moment for the collector's host to refuse them.
 * One line on stderr and -errno on failure.
 */
int outputs_open_ipfix(const struct reader_opts *o, struct outputs *out);

/*
 * Send what is queued and keep the sequence number for the next run; one
 * line on stderr on failure.  Then close the exporter.
 */
int outputs_close_ipfix(struct outputs *out);

/* Keep the stream's next sequence number now (before a drain forgets its report); 0 or -errno. */
int outputs_save_sequence(struct outputs *out);

/*
 * Everything that can fail for a bad --output, before a round reads (or
 * drains) anything: the temporary file, the running totals of a drain's
 * Prometheus FILE.  out->out is then where the round writes.
 */
int outputs_begin_round(const struct reader_opts *o, struct outputs *out);

/* Nothing to keep: the old FILE stays. */
void outputs_abort_round(struct outputs *out);

/* Put the round's output in place (FILE renamed, stdout flushed); one line in msg on failure. */
int outputs_end_round(struct outputs *out, char *msg, size_t msglen);

/* Send what the exporter still holds (sink_err: the sink's error); one line in msg on failure. */
int outputs_finish_ipfix(struct outputs *out, int sink_err, char *msg, size_t msglen);

#endif /* XDPFLOW_OUTPUTS_H */
