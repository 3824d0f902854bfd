// SPDX-License-Identifier: GPL-2.0
/* --drain: deliver the reports earlier drains left pending, then drain anew; a report goes once every output has it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "export/deliver.h"
#include "export/drain.h"
#include "export/testkill.h"

struct delivery {
	struct report *r;
	const struct reader_opts *o;
	struct outputs *out;
	struct pin_maps pm;
	struct pending *rec; /* the report being delivered */
	uint64_t records_base; /* the exporter's records sent when this report's began */
};

/* Note the IPFIX records of this report that went out (the exporter counts what sendmmsg took). */
static void note_sent(void *ctx)
{
	struct delivery *d = ctx;
	struct ipfix_stats st;
	uint64_t sent;

	ipfix_exporter_get_stats(d->out->exp, &st);
	sent = d->out->sink.skip + st.records - d->records_base;
	if (sent == d->rec->info.ipfix_sent)
		return;
	/* Sent and not yet marked: a crash here repeats these records, with the same numbers. */
	test_kill_point("sent");
	d->rec->info.ipfix_sent = sent;
	pending_save(d->rec);
	test_kill_point("sending");
}

/*
 * This report's place in the collector's stream: a report resumed on the
 * stream it began on continues with its own sequence numbers, from the
 * first record not yet sent; otherwise it starts where the stream is.
 */
static void ipfix_begin(struct delivery *d, struct pending *rec, bool send)
{
	struct outputs *out = d->out;
	uint64_t stream = ipfix_exporter_stream(out->exp);
	struct ipfix_stats st;

	out->sink.skip = out->sink.seen = out->sink.flows = 0;
	if (rec->info.ipfix_stream == stream) {
		ipfix_exporter_set_sequence(out->exp, rec->info.ipfix_seq0 + (uint32_t)rec->info.ipfix_sent);
		out->sink.skip = rec->info.ipfix_sent;
	} else if (send) {
		rec->info.ipfix_stream = stream;
		rec->info.ipfix_seq0 = ipfix_exporter_sequence(out->exp);
		rec->info.ipfix_sent = 0;
		pending_save(rec);
	}
	ipfix_exporter_get_stats(out->exp, &st);
	d->records_base = st.records;
	out->sink.progress = note_sent;
	out->sink.progress_ctx = d;
}

static const char *amount(const struct report *r, char *buf, size_t len)
{
	char b[16];

	snprintf(buf, len, "%llu packets, %s", (unsigned long long)r->read_packets,
		 human_bytes(r->read_bytes, b));
	return buf;
}

/* What a failed delivery says: which drain, how much, and that it stays pending. */
static void say_kept(const struct delivery *d, const struct pending *rec, bool fresh,
		     const char *what)
{
	char when[32], am[64];

	format_utc_ms(rec->info.wall_ns, when);
	if (fresh)
		say_error("drained %s (%s) as drain %llu, but %s; the report is kept pending: the "
			  "next drain delivers it", d->o->pin_path, amount(d->r, am, sizeof(am)),
			  (unsigned long long)rec->info.id, what);
	else
		say_error("drain %llu of %s (taken %s, %s) is still pending: %s; nothing new was "
			  "drained", (unsigned long long)rec->info.id, d->o->pin_path, when,
			  amount(d->r, am, sizeof(am)), what);
}

/*
 * One report (the record rec, its tables t) to this run's outputs, each
 * marked in the record once it has it; when all have it the record is
 * forgotten.  round_begun: the printed output's round was begun (a new
 * drain begins it before the swap).
 */
static int deliver(struct delivery *d, struct pending *rec, struct snapshot_tables *t,
		   bool fresh, bool round_begun)
{
	struct report *r = d->r;
	struct outputs *out = d->out;
	bool print = d->o->print && !(rec->info.delivered & PENDING_PRINTED);
	bool ipfix = out->exp && !(rec->info.delivered & PENDING_IPFIX_SENT);
	char msg[PATH_MAX + 256] = "";
	int err = 0, ierr = 0, oerr = 0;

	d->rec = rec;
	if (out->exp)
		ipfix_begin(d, rec, ipfix);
	if (print && !round_begun)
		err = outputs_begin_round(d->o, out);
	else if (!print && round_begun)
		outputs_abort_round(out);
	if (err)
		return err;
	r->print = print;
	r->ec.out = print ? out->out : stdout;
	r->sink = ipfix ? ipfix_sink_flow : NULL;
	r->sink_ctx = &out->sink;
	r->wall_ns = rec->info.wall_ns;
	r->ec.drain_id = out->drain_id = rec->info.id;
	if (print || ipfix)
		err = report_run(r, t, d->pm.fd[PIN_CLOCK], d->pm.ncpus);
	if (err && !(print && ferror(out->out))) {
		snprintf(msg, sizeof(msg), "cannot read its tables: %s", strerror(-err));
		say_kept(d, rec, fresh, msg);
		if (print)
			outputs_abort_round(out);
		return err;
	}
	if (ipfix) {
		ierr = r->sink_err ? r->sink_err : ipfix_exporter_flush(out->exp);
		note_sent(d);
		if (!ierr) {
			rec->info.delivered |= PENDING_IPFIX_SENT;
			pending_save(rec);
			/* The stream's next number is kept before the report can be forgotten. */
			ierr = outputs_save_sequence(out);
		}
		if (ierr) {
			snprintf(msg, sizeof(msg), "sending IPFIX to %s failed after %llu of its flow "
				 "records: %s", ipfix_exporter_peer(out->exp),
				 (unsigned long long)rec->info.ipfix_sent, strerror(-ierr));
			say_kept(d, rec, fresh, msg);
		}
	}
	if (print) {
		msg[0] = '\0';
		oerr = outputs_end_round(out, msg, sizeof(msg));
		if (oerr) {
			say_kept(d, rec, fresh, msg);
		} else {
			/* Delivered and not yet marked: a crash here delivers it again, same ID. */
			test_kill_point("written");
			rec->info.delivered |= PENDING_PRINTED;
			pending_save(rec);
		}
	}
	if (ierr || oerr)
		return ierr ? ierr : oerr;
	test_kill_point("marked");
	pending_close(rec);
	err = pending_forget(d->o->pin_path, rec->info.id);
	if (err)
		say_error("delivered drain %llu, but cannot remove its record from %s/" PENDING_FOLDER
			  ": %s; the next drain removes it", (unsigned long long)rec->info.id,
			  d->o->pin_path, strerror(-err));
	test_kill_point("forgotten");
	return err;
}

/*
 * Every pending report, oldest first; stops at the first that cannot be
 * delivered.  A --output FILE that each report replaces takes one report a
 * run (the next would overwrite it before anyone read it): *one is set
 * when that one was a pending report, and nothing new is drained.
 */
static int deliver_pending(struct delivery *d, bool *one)
{
	bool replaces = d->o->print && d->o->output && d->o->format != FORMAT_PROMETHEUS;
	bool printed;
	struct snapshot_tables t;
	struct pending rec;
	__u64 *ids;
	size_t n, i;
	int err, lock;

	err = pending_list(d->o->pin_path, &ids, &n);
	if (err)
		say_error("cannot list the pending drains in %s/" PENDING_FOLDER ": %s",
			  d->o->pin_path, strerror(-err));
	*one = false;
	for (i = 0; i < n && !err && !*one; i++) {
		err = pending_open(d->o->pin_path, ids[i], &rec, &t);
		if (!err && rec.info_fd < 0) {
			/* Stopped while making the record, before it held a table: nothing to report. */
			snapshot_tables_close(&t);
			err = pending_forget(d->o->pin_path, ids[i]);
			continue;
		}
		if (!err) {
			/* A drain stopped before its swaps were done: keep only what left service. */
			lock = pin_lock(d->o->pin_path);
			err = lock < 0 ? lock : pending_settle(&d->pm, &rec, &t);
			pin_unlock(lock);
		}
		if (err) {
			say_error("cannot open pending drain %llu in %s/" PENDING_FOLDER ": %s; "
				  "nothing new was drained", (unsigned long long)ids[i],
				  d->o->pin_path, strerror(-err));
		} else {
			say_verbose("delivering drain %llu, pending since a drain that did not finish",
				    (unsigned long long)ids[i]);
			printed = rec.info.delivered & PENDING_PRINTED;
			err = deliver(d, &rec, &t, false, false);
			*one = !err && replaces && !printed;
			if (*one)
				say_note("delivered drain %llu of %s, pending since a drain that did "
					 "not finish, to %s; nothing new was drained (one report a "
					 "run goes to --output): run again", (unsigned long long)ids[i],
					 d->o->pin_path, d->o->output);
		}
		snapshot_tables_close(&t);
		pending_close(&rec);
	}
	free(ids);
	return err;
}

int drain_deliver(struct report *r, const struct reader_opts *o, struct outputs *out)
{
	struct delivery d = { .r = r, .o = o, .out = out };
	char msg[PATH_MAX + 512] = "";
	struct snapshot_tables old;
	struct pending rec;
	int64_t t0, t1;
	int lock, swapped, err, derr;
	bool one;

	err = drain_open(o->pin_path, &d.pm, &lock, msg, sizeof(msg));
	if (err) {
		say_error("%s", msg);
		return err;
	}
	err = deliver_pending(&d, &one);
	/* Outputs first: a bad --output leaves every counter where it is. */
	if (!err && !one)
		err = outputs_begin_round(o, out);
	if (err || one)
		goto out;
	t0 = clock_now_ns(CLOCK_MONOTONIC);
	err = drain_take(&d.pm, &old, &rec, &swapped, msg, sizeof(msg));
	if (err && !swapped) {
		say_error("%s", msg);
		outputs_abort_round(out);
		goto out;
	}
	if (err)
		say_error("%s", msg); /* a partial swap: still exact, reported below */
	t1 = clock_now_ns(CLOCK_MONOTONIC);
	derr = deliver(&d, &rec, &old, true, true);
	say_verbose("drain %llu of %s: tables swapped in %.1f ms, reported in %.1f ms",
		    (unsigned long long)rec.info.id, o->pin_path, (t1 - t0) / 1e6,
		    (clock_now_ns(CLOCK_MONOTONIC) - t1) / 1e6);
	snapshot_tables_close(&old);
	pending_close(&rec);
	err = err ? err : derr;
out:
	pin_unlock(lock);
	pin_close(&d.pm);
	return err;
}
