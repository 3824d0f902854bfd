// SPDX-License-Identifier: GPL-2.0
/* xdpflow-reader: where a round's output goes: stdout, --output FILE (running totals for drains), a collector. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "export/outputs.h"

/* How long a drain waits for the collector's host to refuse the templates, before any reset. */
#define IPFIX_PROBE_MS 100

int outputs_open_ipfix(const struct reader_opts *o, struct outputs *out)
{
	struct ipfix_options io = {
		.odid = o->odid,
		.mtu = o->mtu,
		.delta = o->drain,
		.max_records_per_s = o->ipfix_rate ? o->ipfix_rate : IPFIX_UNPACED,
	};
	char msg[512];
	int err;

	uint32_t next;

	out->seq.fd = -1;
	err = ipfix_exporter_open(&out->exp, o->ipfix, &io, msg, sizeof(msg));
	/*
	 * The stream's sequence number, kept between runs.  A drain needs it (a
	 * report resent after a crash reuses its numbers); a plain export does
	 * without, as a new stream.
	 */
	if (!err && ipfix_state_open(&out->seq, o->state_dir, out->exp, &next, msg, sizeof(msg))) {
		if (o->drain)
			err = -EIO;
		else
			say_verbose("%s", msg);
	}
	if (!err && out->seq.fd >= 0)
		ipfix_exporter_set_sequence(out->exp, next);
	/* Before a drain, wait a moment for a refusal; otherwise just send the templates. */
	if (!err)
		err = ipfix_exporter_probe(out->exp, o->drain ? IPFIX_PROBE_MS : 0, msg,
					   sizeof(msg));
	if (err) {
		say_error("%s%s", msg, out->nothing_drained);
		ipfix_state_close(&out->seq);
		ipfix_exporter_close(out->exp);
		out->exp = NULL;
		return err;
	}
	out->sink.exp = out->exp;
	say_verbose("IPFIX to %s (%s counters, observation domain %lu)",
		    ipfix_exporter_peer(out->exp), o->drain ? "delta" : "total", o->odid);
	return 0;
}

int outputs_save_sequence(struct outputs *out)
{
	return out->exp ? ipfix_state_save(&out->seq, ipfix_exporter_sequence(out->exp)) : 0;
}

int outputs_close_ipfix(struct outputs *out)
{
	int err;

	if (!out->exp)
		return 0;
	err = ipfix_exporter_flush(out->exp);
	if (err)
		say_error("sending IPFIX to %s failed: %s", ipfix_exporter_peer(out->exp),
			  strerror(-err));
	else if ((err = outputs_save_sequence(out)))
		say_error("cannot keep the IPFIX sequence number in %s: %s", out->seq.path,
			  strerror(-err));
	ipfix_state_close(&out->seq);
	ipfix_exporter_close(out->exp);
	out->exp = NULL;
	return err;
}

int outputs_begin_round(const struct reader_opts *o, struct outputs *out)
{
	char msg[PATH_MAX + 256];
	int err;

	out->out = stdout;
	out->file = o->output != NULL;
	out->accumulate = o->drain && o->output && o->format == FORMAT_PROMETHEUS && o->print;
	if (!out->file)
		return 0;
	if (out->accumulate) {
		err = promfile_load(&out->old, o->output, msg, sizeof(msg));
		if (err) {
			say_error("%s%s", msg, out->nothing_drained);
			promfile_free(&out->old);
			return err;
		}
	}
	err = out_file_open(&out->of, o->output, msg, sizeof(msg));
	if (err) {
		say_error("%s%s", msg, out->nothing_drained);
		promfile_free(&out->old);
		return err;
	}
	out->out = out->of.f;
	if (out->accumulate) {
		out->mem = open_memstream(&out->mem_buf, &out->mem_len);
		if (!out->mem) {
			say_error("out of memory");
			out_file_abort(&out->of);
			promfile_free(&out->old);
			return -ENOMEM;
		}
		out->out = out->mem;
	}
	return 0;
}

void outputs_abort_round(struct outputs *out)
{
	if (out->mem) {
		fclose(out->mem);
		out->mem = NULL;
	}
	free(out->mem_buf);
	out->mem_buf = NULL;
	if (out->file)
		out_file_abort(&out->of);
	promfile_free(&out->old);
	out->out = stdout;
}

/* Does the running-totals FILE hold this round's drain (its xdpflow_drain_id is as high)? */
static bool already_added(struct outputs *out)
{
	unsigned long long last;

	return out->drain_id && !promfile_value(&out->old, "xdpflow_drain_id", &last) &&
	       last >= out->drain_id;
}

int outputs_end_round(struct outputs *out, char *msg, size_t msglen)
{
	struct prom_text new;
	int err = 0;

	if (!out->file) {
		errno = 0;
		if (fflush(stdout) || ferror(stdout)) {
			err = -(errno ? errno : EIO);
			snprintf(msg, msglen, "cannot write the output: %s", strerror(-err));
		}
		return err;
	}
	if (out->accumulate) {
		if (fclose(out->mem)) {
			out->mem = NULL;
			err = -ENOMEM;
		}
		out->mem = NULL;
		if (!err)
			err = promfile_parse(&new, out->mem_buf, out->mem_len, msg, msglen);
		if (!err && already_added(out)) {
			/* Delivered before a crash kept the drain from being forgotten: once is enough. */
			say_verbose("--output %s holds drain %llu already", out->of.path, out->drain_id);
			promfile_free(&new);
			free(out->mem_buf);
			out->mem_buf = NULL;
			promfile_free(&out->old);
			out_file_abort(&out->of);
			out->out = stdout;
			return 0;
		}
		if (!err)
			err = promfile_merge(&out->old, &new, out->of.f);
		if (err && !msg[0])
			snprintf(msg, msglen, "cannot add to the running totals in --output %s: %s",
				 out->of.path, strerror(-err));
		promfile_free(&new);
		free(out->mem_buf);
		out->mem_buf = NULL;
		promfile_free(&out->old);
		if (err) {
			out_file_abort(&out->of);
			return err;
		}
	}
	out->out = stdout;
	return out_file_commit(&out->of, msg, msglen);
}

int outputs_finish_ipfix(struct outputs *out, int sink_err, char *msg, size_t msglen)
{
	struct ipfix_stats st;
	int err = sink_err;

	if (!out->exp)
		return 0;
	if (!err)
		err = ipfix_exporter_flush(out->exp);
	ipfix_exporter_get_stats(out->exp, &st);
	/* This round's share (the exporter counts over the whole run). */
	st.records -= out->sent.records;
	st.messages -= out->sent.messages;
	st.bytes -= out->sent.bytes;
	ipfix_exporter_get_stats(out->exp, &out->sent);
	if (err)
		snprintf(msg, msglen, "sending IPFIX to %s failed after %llu of %llu flow records: %s",
			 ipfix_exporter_peer(out->exp), (unsigned long long)st.records,
			 (unsigned long long)out->sink.flows, strerror(-err));
	else
		say_verbose("sent %llu flow records in %llu IPFIX messages (%llu bytes) to %s",
			    (unsigned long long)st.records, (unsigned long long)st.messages,
			    (unsigned long long)st.bytes, ipfix_exporter_peer(out->exp));
	out->sink.flows = 0;
	return err;
}
