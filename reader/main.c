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
#include "export/deliver.h"
#include "export/outputs.h"
#include "format/format.h"
#include "reader.h"
#include "view/report.h"
#include "xdpflow.h"

static volatile sig_atomic_t stop;

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
			say_error("--interface %s: no such interface here (see ip link)",
				  o->ifnames[i]);
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

/* ---- Reading ---- */

/* One read of the current tables into the outputs. */
static int read_once(struct report *r, const struct pin_maps *pm, struct outputs *out)
{
	struct snapshot_tables t;
	int64_t start = clock_now_ns(CLOCK_MONOTONIC);
	char msg[PATH_MAX + 256] = "";
	int err, werr;

	err = outputs_begin_round(r->opts, out);
	if (err)
		return err;
	r->ec.out = out->out;
	/* Every round: a drain may have swapped fresh tables in since the last. */
	err = snapshot_tables_open_current(pm, &t);
	if (err) {
		tables_error(pm->dir, err);
		outputs_abort_round(out);
		return err;
	}
	err = report_run(r, &t, pm->fd[PIN_CLOCK], pm->ncpus);
	snapshot_tables_close(&t);
	if (err && !stop && !ferror(r->ec.out)) {
		if (err != REPORT_UNSEEN_IFACE)
			say_error("cannot read the maps at %s: %s", pm->dir, strerror(-err));
		outputs_abort_round(out);
		return err;
	}
	werr = outputs_finish_ipfix(out, r->sink_err, msg, sizeof(msg));
	if (werr)
		say_error("%s", msg);
	msg[0] = '\0';
	err = outputs_end_round(out, msg, sizeof(msg));
	if (err && !stop)
		say_error("%s", msg);
	say_verbose("read and formatted in %.1f ms (%d possible CPUs)",
		    (clock_now_ns(CLOCK_MONOTONIC) - start) / 1e6, pm->ncpus);
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

static int drain_main(struct report *r, const struct reader_opts *o, struct outputs *out)
{
	/*
	 * A report not yet delivered is pinned (it survives even SIGKILL), but
	 * finishing it now beats leaving it to the next drain: SIGINT, SIGTERM
	 * and SIGHUP wait until the report is out.
	 */
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	return drain_deliver(r, o, out);
}

/* Views asked for that the Prometheus format leaves out without their option: said, not silent. */
static void note_unprinted_views(const struct reader_opts *o)
{
	if (o->format != FORMAT_PROMETHEUS || !o->views_given)
		return;
	if (o->views[VIEW_SOURCES] && !o->prometheus_sources)
		say_note("--format prometheus prints the sources view only with --prometheus-sources "
			 "(one series per source address: they grow with the number of sources)");
	if (o->views[VIEW_FLOWS] && !o->prometheus_flows)
		say_note("--format prometheus prints the flows view only with --prometheus-flows (one "
			 "series per flow); without it, only the flow table's fill "
			 "(xdpflow_flow_table_entries, xdpflow_flow_table_capacity)");
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
		print_version(stdout, READER_NAME);
		return 0;
	}
	if (o.ipfix && ipfix_parse_collector(o.ipfix, host, sizeof(host), port, sizeof(port), msg,
					     sizeof(msg))) {
		say_error("--ipfix: %s", msg);
		return EXIT_USAGE;
	}
	say_init(READER_NAME, o.verbose);
	note_unprinted_views(&o);
	out.nothing_drained = o.drain ? "; nothing was drained" : "";
	/* An interface that does not exist is a thing named that is not there: exit 1. */
	if (resolve_interfaces(&o, &filter))
		return 1;
	/* A closed pipe is a write error to report, not a silent death (after a drain's reset). */
	if (o.drain || o.output)
		signal(SIGPIPE, SIG_IGN);
	/* The collector is checked before the maps: with --drain, before any reset. */
	if (o.ipfix && outputs_open_ipfix(&o, &out))
		return 1;

	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	report_init(&r, &o, stdout, NULL);
	r.filter = filter;
	/* A single read of an interface xdpflow never counted on: no row of zeros, exit 1. */
	r.filter_must_exist = filter.n && !o.watch_s;
	if (out.exp) {
		r.sink = ipfix_sink_flow;
		r.sink_ctx = &out.sink;
	}
	err = o.drain ? drain_main(&r, &o, &out) : read_main(&r, &o, &out);
	if (outputs_close_ipfix(&out) && !err)
		err = -EIO;
	if (!o.output && (fflush(stdout) || ferror(stdout)) && !stop && !err) {
		say_error("cannot write the output: %s", strerror(errno ? errno : EIO));
		return 1;
	}
	return err ? 1 : 0;
}
