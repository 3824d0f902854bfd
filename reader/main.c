// SPDX-License-Identifier: GPL-2.0
/* xdpflow-reader: print what xdpflow counted, from its pinned maps; loads nothing, writes no map. */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "names.h"
#include "pin.h"
#include "reader.h"
#include "report.h"

#define EXIT_USAGE 2

static volatile sig_atomic_t stop;
static int verbose;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* libbpf's own messages: warnings only, everything with -v. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && verbose < 2)
		return 0;
	if (level == LIBBPF_INFO && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void error_line(const char *fmt, ...)
{
	va_list ap;

	fputs(READER_NAME ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int resolve_interfaces(const struct reader_opts *o, struct iface_filter *f)
{
	int i;

	f->n = 0;
	for (i = 0; i < o->n_ifnames; i++) {
		unsigned int ifindex = if_nametoindex(o->ifnames[i]);

		if (!ifindex) {
			error_line("--interface %s: no such interface", o->ifnames[i]);
			return -ENODEV;
		}
		f->ifindex[f->n++] = ifindex;
	}
	return 0;
}

static void tables_error(const char *dir, int err)
{
	if (err == -EPERM || err == -EACCES)
		error_line("cannot open the tables behind the pins in %s: %s; reading them needs "
			   "CAP_SYS_ADMIN (and CAP_BPF): run as root", dir, strerror(-err));
	else
		error_line("cannot open the tables behind the pins in %s: %s", dir, strerror(-err));
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* One read of the current tables into the output. */
static int read_once(struct report *r, const struct pin_maps *pm)
{
	struct snapshot_tables t;
	int64_t start = mono_ns();
	int err;

	/* Every round: a drain may have swapped fresh tables in since the last. */
	err = snapshot_tables_open_current(pm, &t);
	if (err) {
		tables_error(pm->dir, err);
		return err;
	}
	err = report_run(r, &t, pm->fd[PIN_CLOCK], pm->ncpus);
	snapshot_tables_close(&t);
	/* A failed write is reported once, by main, as such. */
	if (err && !stop && !ferror(stdout))
		error_line("cannot read the maps at %s: %s", pm->dir, strerror(-err));
	if (verbose)
		fprintf(stderr, READER_NAME ": read and formatted in %.1f ms (%d possible CPUs)\n",
			(mono_ns() - start) / 1e6, pm->ncpus);
	return err;
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

static int watch(struct report *r, const struct pin_maps *pm, const struct reader_opts *o)
{
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: wake the sleep */
	bool tty = isatty(STDOUT_FILENO);
	struct timespec deadline;
	int err;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	do {
		ifname_cache_reset();
		if (tty)
			fputs("\033[H\033[2J", stdout);
		err = read_once(r, pm);
		fflush(stdout);
		if (stop)
			return 0; /* Ctrl-C is how a watch ends */
		if (err)
			return err;
		if (ferror(stdout))
			return -EIO;
	} while (wait_next(&deadline, o->watch_s));
	return 0;
}

int main(int argc, char **argv)
{
	static char outbuf[1 << 16];
	struct rate_memory rates;
	struct reader_opts o;
	struct iface_filter filter;
	struct pin_maps pm;
	struct report r;
	char msg[512];
	int err;

	err = reader_parse_options(argc, argv, &o, msg, sizeof(msg));
	if (err) {
		error_line("%s", msg);
		return EXIT_USAGE;
	}
	if (o.help) {
		fputs(reader_usage, stdout);
		return 0;
	}
	if (o.version) {
		printf(READER_NAME " %s (map layout version %u)\n", XDPFLOW_VERSION,
		       XDPFLOW_LAYOUT_VERSION);
		return 0;
	}
	verbose = o.verbose;
	libbpf_set_print(libbpf_print);
	if (resolve_interfaces(&o, &filter))
		return EXIT_USAGE;

	/* Read-only: the reader never changes a counter. */
	err = pin_open(o.pin_path, false, &pm, msg, sizeof(msg));
	if (err) {
		error_line("%s", msg);
		return 1;
	}
	if (verbose)
		fprintf(stderr, READER_NAME ": %s: map layout version %u, flow table of %u\n",
			pm.dir, XDPFLOW_LAYOUT_VERSION, pm.max_flows);

	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	if (o.watch_s && rate_memory_init(&rates)) {
		error_line("out of memory");
		pin_close(&pm);
		return 1;
	}
	report_init(&r, &o, stdout, o.watch_s ? &rates : NULL);
	r.filter = filter;
	err = o.watch_s ? watch(&r, &pm, &o) : read_once(&r, &pm);
	if (o.watch_s)
		rate_memory_free(&rates);
	pin_close(&pm);
	if ((fflush(stdout) || ferror(stdout)) && !stop) {
		error_line("cannot write the output: %s", strerror(errno ? errno : EIO));
		return 1;
	}
	return err ? 1 : 0;
}
