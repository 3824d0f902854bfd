// SPDX-License-Identifier: GPL-2.0
/*
 * xdpflow-reader: print or export what xdpflow counted, from its pinned
 * maps; loads nothing, and writes no map unless told to drain.
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "drain.h"
#include "export.h"
#include "format.h"
#include "ipfix.h"
#include "xdpflow.h"
#include "output.h"
#include "promfile.h"
#include "reader.h"
#include "report.h"

#define EXIT_USAGE 2
/* How long a drain waits for the collector's host to refuse the templates, before any reset. */
#define IPFIX_PROBE_MS 100

static volatile sig_atomic_t stop;
/* Ends the messages of checks made before a drain: they leave every counter in place. */
static const char *nothing_drained = "";

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int resolve_interfaces(const struct reader_opts *o, struct iface_filter *f)
{
	int i;

	f->n = 0;
	for (i = 0; i < o->n_ifnames; i++) {
		unsigned int ifindex = if_nametoindex(o->ifnames[i]);

		if (!ifindex) {
			say_error("--interface %s: no such interface", o->ifnames[i]);
			return -ENODEV;
		}
		f->ifindex[f->n++] = ifindex;
	}
	return 0;
}

static void tables_error(const char *dir, int err)
{
	if (err == -EPERM || err == -EACCES)
		say_error("cannot open the tables behind the pins in %s: %s; reading them needs "
			  "CAP_SYS_ADMIN (and CAP_BPF): run as root", dir, strerror(-err));
	else
		say_error("cannot open the tables behind the pins in %s: %s", dir, strerror(-err));
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* ---- Where a round's output goes: stdout, --output FILE, a collector ---- */

struct outputs {
	FILE *out; /* what the report writes to */
	bool file; /* --output: out is FILE's temporary file (or mem) */
	struct out_file of;
	/* --drain --format prometheus --output: FILE's running totals plus this drain. */
	bool accumulate;
	struct prom_text old;
	FILE *mem;
	char *mem_buf;
	size_t mem_len;
	/* --ipfix: open for the whole run. */
	struct ipfix_exporter *exp;
	struct ipfix_sink sink;
	struct ipfix_stats sent; /* by the end of the previous round (--watch) */
};

static int open_ipfix(const struct reader_opts *o, struct outputs *out)
{
	struct ipfix_options io = {
		.odid = o->odid,
		.mtu = o->mtu,
		.delta = o->drain,
		.max_records_per_s = o->ipfix_rate ? o->ipfix_rate : IPFIX_UNPACED,
	};
	char msg[512];
	int err;

	err = ipfix_exporter_open(&out->exp, o->ipfix, &io, msg, sizeof(msg));
	/* Before a drain, wait a moment for a refusal; otherwise just send the templates. */
	if (!err)
		err = ipfix_exporter_probe(out->exp, o->drain ? IPFIX_PROBE_MS : 0, msg,
					   sizeof(msg));
	if (err) {
		say_error("%s%s", msg, nothing_drained);
		ipfix_exporter_close(out->exp);
		out->exp = NULL;
		return err;
	}
	out->sink.exp = out->exp;
	say_verbose("IPFIX to %s (%s counters, observation domain %lu)",
		    ipfix_exporter_peer(out->exp), o->drain ? "delta" : "total", o->odid);
	return 0;
}

/* Everything that can fail for a bad --output, before a round reads (or drains) anything. */
static int round_begin(const struct reader_opts *o, struct outputs *out)
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
			say_error("%s%s", msg, nothing_drained);
			promfile_free(&out->old);
			return err;
		}
	}
	err = out_file_open(&out->of, o->output, msg, sizeof(msg));
	if (err) {
		say_error("%s%s", msg, nothing_drained);
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

/* Nothing to keep: the old FILE stays. */
static void round_abort(struct outputs *out)
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

/* Put the round's output in place; one line in msg on failure. */
static int round_end(struct outputs *out, char *msg, size_t msglen)
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

/* Sends what the exporter still holds; one line in msg on failure. */
static int ipfix_finish(struct outputs *out, int sink_err, char *msg, size_t msglen)
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

/* ---- Reading ---- */

/* One read of the current tables into the outputs. */
static int read_once(struct report *r, const struct pin_maps *pm, struct outputs *out)
{
	struct snapshot_tables t;
	int64_t start = mono_ns();
	char msg[PATH_MAX + 256] = "";
	int err, werr;

	err = round_begin(r->opts, out);
	if (err)
		return err;
	r->ec.out = out->out;
	/* Every round: a drain may have swapped fresh tables in since the last. */
	err = snapshot_tables_open_current(pm, &t);
	if (err) {
		tables_error(pm->dir, err);
		round_abort(out);
		return err;
	}
	err = report_run(r, &t, pm->fd[PIN_CLOCK], pm->ncpus);
	snapshot_tables_close(&t);
	if (err && !stop && !ferror(r->ec.out)) {
		say_error("cannot read the maps at %s: %s", pm->dir, strerror(-err));
		round_abort(out);
		return err;
	}
	werr = ipfix_finish(out, r->sink_err, msg, sizeof(msg));
	if (werr)
		say_error("%s", msg);
	msg[0] = '\0';
	err = round_end(out, msg, sizeof(msg));
	if (err && !stop)
		say_error("%s", msg);
	say_verbose("read and formatted in %.1f ms (%d possible CPUs)", (mono_ns() - start) / 1e6,
		    pm->ncpus);
	return err ? err : werr;
}

/* Sleep until the next multiple of the interval; false when told to stop. */
static bool wait_next(struct timespec *deadline, unsigned long interval_s)
{
	deadline->tv_sec += interval_s;
	while (!stop) {
		int ret = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, deadline, NULL);

		if (!ret)
			return !stop;
		if (ret != EINTR)
			return false;
	}
	return false;
}

static int watch(struct report *r, const struct pin_maps *pm, const struct reader_opts *o,
		 struct outputs *out)
{
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: wake the sleep */
	bool tty = o->print && !o->output && isatty(STDOUT_FILENO);
	struct timespec deadline;
	int err;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	do {
		ifname_cache_reset();
		if (tty)
			fputs("\033[H\033[2J", stdout);
		err = read_once(r, pm, out);
		fflush(stdout);
		if (stop)
			return 0; /* Ctrl-C is how a watch ends */
		if (err)
			return err;
	} while (wait_next(&deadline, o->watch_s));
	return 0;
}

static int read_main(struct report *r, const struct reader_opts *o, struct outputs *out)
{
	struct rate_memory rates;
	struct pin_maps pm;
	char msg[512];
	int err;

	/* Read-only: without --drain the reader never changes a counter. */
	err = pin_open(o->pin_path, false, &pm, msg, sizeof(msg));
	if (err) {
		say_error("%s", msg);
		return err;
	}
	say_verbose("%s: map layout version %u, flow table of %u", pm.dir, XDPFLOW_LAYOUT_VERSION,
		    pm.max_flows);
	if (o->watch_s && rate_memory_init(&rates)) {
		say_error("out of memory");
		pin_close(&pm);
		return -ENOMEM;
	}
	r->rates = o->watch_s ? &rates : NULL;
	r->ec.rates = r->rates != NULL;
	err = o->watch_s ? watch(r, &pm, o, out) : read_once(r, &pm, out);
	if (o->watch_s)
		rate_memory_free(&rates);
	pin_close(&pm);
	return err;
}

/* ---- Draining ---- */

/* Totals of a drained read, for the messages that say what was lost. */
static const char *drained_amount(const struct report *r, char *buf, size_t len)
{
	char b[16];

	snprintf(buf, len, "%llu packets, %s", (unsigned long long)r->read_packets,
		 human_bytes(r->read_bytes, b));
	return buf;
}

static int drain_main(struct report *r, const struct reader_opts *o, struct outputs *out)
{
	char msg[PATH_MAX + 512] = "", amount[64];
	struct snapshot_tables old;
	int64_t t0 = mono_ns(), t1;
	struct pin_maps pm;
	int swapped, err, rerr, ierr, oerr;

	/*
	 * Once the tables are swapped their counts exist only in this process:
	 * SIGINT, SIGTERM and SIGHUP wait until the report is out (SIGKILL cannot).
	 */
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* Outputs first: a bad --output leaves every counter where it is. */
	err = round_begin(o, out);
	if (err)
		return err;
	r->ec.out = out->out;
	err = drain_tables(o->pin_path, &pm, &old, &swapped, msg, sizeof(msg));
	if (err && !swapped) {
		say_error("%s", msg);
		round_abort(out);
		return err;
	}
	if (err)
		say_error("%s", msg); /* a partial swap: still exact, reported below */
	t1 = mono_ns();
	rerr = report_run(r, &old, pm.fd[PIN_CLOCK], pm.ncpus);
	snapshot_tables_close(&old);
	pin_close(&pm);
	if (rerr && !(out->out && ferror(out->out))) {
		say_error("drained the tables at %s, but cannot read them: %s; this drain's counts "
			  "are lost", o->pin_path, strerror(-rerr));
		round_abort(out);
		return rerr;
	}
	msg[0] = '\0';
	ierr = ipfix_finish(out, r->sink_err, msg, sizeof(msg));
	if (ierr)
		say_error("drained %s (%s), but %s; the flows not sent are lost", o->pin_path,
			  drained_amount(r, amount, sizeof(amount)), msg);
	msg[0] = '\0';
	oerr = o->print ? round_end(out, msg, sizeof(msg)) : (round_abort(out), 0);
	if (oerr)
		say_error("drained %s (%s), but %s; this drain's report is lost%s", o->pin_path,
			  drained_amount(r, amount, sizeof(amount)), msg,
			  out->exp && !ierr ? " (the collector got its flows)" : "");
	say_verbose("drained %s (%s): tables swapped in %.1f ms, reported in %.1f ms", o->pin_path,
		    drained_amount(r, amount, sizeof(amount)), (t1 - t0) / 1e6,
		    (mono_ns() - t1) / 1e6);
	return err ? err : ierr ? ierr : oerr;
}

int main(int argc, char **argv)
{
	static char outbuf[1 << 16];
	struct outputs out = {};
	struct reader_opts o;
	struct iface_filter filter;
	struct report r;
	char msg[512], host[256], port[8];
	int err;

	say_init(READER_NAME, 0);
	err = reader_parse_options(argc, argv, &o, msg, sizeof(msg));
	if (err) {
		say_error("%s", msg);
		return EXIT_USAGE;
	}
	if (o.help) {
		reader_print_help(stdout);
		return 0;
	}
	if (o.version) {
		printf(READER_NAME " %s (map layout version %u)\n", XDPFLOW_VERSION,
		       XDPFLOW_LAYOUT_VERSION);
		return 0;
	}
	if (o.ipfix && ipfix_parse_collector(o.ipfix, host, sizeof(host), port, sizeof(port), msg,
					     sizeof(msg))) {
		say_error("--ipfix: %s", msg);
		return EXIT_USAGE;
	}
	say_init(READER_NAME, o.verbose);
	nothing_drained = o.drain ? "; nothing was drained" : "";
	if (resolve_interfaces(&o, &filter))
		return EXIT_USAGE;
	/* A closed pipe is a write error to report, not a silent death (after a drain's reset). */
	if (o.drain || o.output)
		signal(SIGPIPE, SIG_IGN);
	/* The collector is checked before the maps: with --drain, before any reset. */
	if (o.ipfix && open_ipfix(&o, &out))
		return 1;

	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	report_init(&r, &o, stdout, NULL);
	r.filter = filter;
	if (out.exp) {
		r.sink = ipfix_sink_flow;
		r.sink_ctx = &out.sink;
	}
	err = o.drain ? drain_main(&r, &o, &out) : read_main(&r, &o, &out);
	ipfix_exporter_close(out.exp);
	if (!o.output && (fflush(stdout) || ferror(stdout)) && !stop && !err) {
		say_error("cannot write the output: %s", strerror(errno ? errno : EIO));
		return 1;
	}
	return err ? 1 : 0;
}
