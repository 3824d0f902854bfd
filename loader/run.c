// SPDX-License-Identifier: GPL-2.0
/* loader/: the run command: pick an interface, attach, show live tables, detach on exit. */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "caps.h"
#include "loader.h"

#define TOP_SOURCES 10
#define PROMPT_TRIES 5

/* Counters of the previous screen, for per-second rates. */
struct screen {
	struct iface_counts counts;
	struct timespec at;
	bool valid;
};

static int prompt_iface(const struct loader_opts *o, struct iface *ifc)
{
	char line[128];
	size_t len;
	int tries;

	cmd_list(o, NULL, 0);
	for (tries = 0; tries < PROMPT_TRIES; tries++) {
		printf("\nInterface to watch (name or IFINDEX, empty to quit): ");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return -ECANCELED;
		len = strcspn(line, "\r\n");
		line[len] = '\0';
		if (!len || !strcmp(line, "q"))
			return -ECANCELED;
		if (!iface_resolve(line, ifc))
			return 0;
		printf("No interface '%s' here; pick one from the list above.\n", line);
	}
	return -ENODEV;
}

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

static void print_row(const char *label, const struct xdpflow_counter *c,
		      const struct xdpflow_counter *prev, double secs)
{
	if (prev && secs > 0)
		printf("%-22s %14llu %16llu %12.1f\n", label, (unsigned long long)c->packets,
		       (unsigned long long)c->bytes, (c->packets - prev->packets) / secs);
	else
		printf("%-22s %14llu %16llu %12s\n", label, (unsigned long long)c->packets,
		       (unsigned long long)c->bytes, "-");
}

static void print_protocols(const struct iface_counts *c, const struct screen *prev, double secs)
{
	static const char *const family[2] = { "IPv4", "IPv6" };
	const struct iface_counts *p = prev->valid ? &prev->counts : NULL;
	struct xdpflow_counter total = iface_counts_total(c), ptotal;
	char label[48];
	const char *name;
	int fam, proto;

	printf("%-22s %14s %16s %12s\n", "PROTOCOL", "PACKETS", "BYTES", "PACKETS/S");
	for (fam = 0; fam < 2; fam++) {
		for (proto = 0; proto < 256; proto++) {
			if (!c->proto[fam][proto].packets)
				continue;
			name = proto_name(proto);
			if (name)
				snprintf(label, sizeof(label), "%s %s", family[fam], name);
			else
				snprintf(label, sizeof(label), "%s proto %d", family[fam], proto);
			print_row(label, &c->proto[fam][proto], p ? &p->proto[fam][proto] : NULL,
				  secs);
		}
	}
	if (c->non_ip.packets)
		print_row("non-IP", &c->non_ip, p ? &p->non_ip : NULL, secs);
	if (c->malformed.packets)
		print_row("malformed IP", &c->malformed, p ? &p->malformed : NULL, secs);
	if (p)
		ptotal = iface_counts_total(p);
	print_row("total", &total, p ? &ptotal : NULL, secs);
	if (c->unrecorded.packets)
		printf("(%llu packets not recorded per flow: the flow table is full)\n",
		       (unsigned long long)c->unrecorded.packets);
}

/* The sources of one interface, as the reader derives them, ranked by bytes. */
struct source_walk {
	__u32 ifindex;
	struct source_set set;
};

static int add_source(const struct flow_record *f, void *ctx)
{
	struct source_walk *w = ctx;

	return f->key.ifindex == w->ifindex ? source_set_add(&w->set, f) : 0;
}

static int top_sources(const struct snapshot_tables *t, struct snapshot *s, __u32 ifindex,
		       struct topn *top, size_t *count)
{
	struct source_walk w = { .ifindex = ifindex };
	const struct source_counts *c;
	const struct source_key *k;
	struct source_entry e;
	size_t pos = 0;
	int err;

	*count = 0;
	err = topn_init(top, TOP_SOURCES, sizeof(e), source_rank_bytes);
	if (!err)
		err = source_set_init(&w.set);
	if (!err)
		err = snapshot_walk_flows(t->flows_fd, &s->cache, add_source, &w, NULL);
	while (!err && (c = source_set_next(&w.set, &pos, &k))) {
		e.k = *k;
		e.c = *c;
		err = topn_push(top, &e);
	}
	*count = source_set_size(&w.set);
	source_set_free(&w.set);
	topn_finish(top);
	return err;
}

static void print_sources(const struct snapshot_tables *t, struct snapshot *s, __u32 ifindex)
{
	char addr[INET6_ADDRSTRLEN];
	const struct source_entry *e;
	struct topn top;
	size_t n, i;

	if (top_sources(t, s, ifindex, &top, &n)) {
		printf("(cannot read the flow table)\n");
		topn_free(&top);
		return;
	}
	printf("\n%-40s %14s %16s\n", "SOURCE", "PACKETS", "BYTES");
	for (i = 0; i < top.n; i++) {
		e = topn_at(&top, i);
		inet_ntop(e->k.family == 6 ? AF_INET6 : AF_INET, e->k.addr, addr, sizeof(addr));
		printf("%-40s %14llu %16llu\n", addr, (unsigned long long)e->c.packets,
		       (unsigned long long)e->c.bytes);
	}
	if (n > TOP_SOURCES)
		printf("(top %d of %zu sources, by bytes)\n", TOP_SOURCES, n);
	else if (!n)
		printf("(no IP traffic yet)\n");
	topn_free(&top);
}

static void print_heading(const struct iface *ifc, const struct attach_result *r,
			  const struct loader_opts *o)
{
	char when[32];
	time_t wall = time(NULL);

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&wall));
	/* On a terminal redraw in place, like top; into a file or pipe, append. */
	if (isatty(STDOUT_FILENO))
		printf("\033[H\033[2J");
	else
		printf("\n");
	printf("xdpflow on %s (ifindex %u, %s mode, %s), %s, every %.3g s; Ctrl-C detaches and quits\n\n",
	       ifc->name, ifc->ifindex, mode_name(r->mode),
	       r->legacy ? "single program" : "libxdp dispatcher", when, o->interval_ms / 1000.0);
}

/* One screen: one read of the maps through pin/, as the reader reads them. */
static int show(const struct pin_maps *pm, const struct iface *ifc, const struct attach_result *r,
		const struct loader_opts *o, struct screen *prev)
{
	struct iface_counts mine = { .ifindex = ifc->ifindex };
	const struct iface_counts *ic;
	struct snapshot_tables t;
	struct snapshot s;
	struct timespec now;
	int err;

	err = snapshot_take(pm, false, &t, &s);
	if (err)
		return err;
	ic = snapshot_iface(&s, ifc->ifindex);
	if (ic)
		mine = *ic;
	clock_gettime(CLOCK_MONOTONIC, &now);
	print_heading(ifc, r, o);
	print_protocols(&mine, prev, prev->valid ? seconds_between(&prev->at, &now) : 0);
	print_sources(&t, &s, ifc->ifindex);
	fflush(stdout);
	snapshot_release(&t, &s);
	prev->counts = mine;
	prev->at = now;
	prev->valid = true;
	return 0;
}

/* Wait one interval; the signal number if one arrived, else 0. */
static int wait_signal(const sigset_t *set, unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	int sig;

	for (;;) {
		sig = sigtimedwait(set, NULL, &ts);
		if (sig > 0)
			return sig;
		if (errno == EAGAIN)
			return 0;
		/* EINTR: another signal (e.g. SIGWINCH); simply wait on. */
	}
}

int cmd_run(const struct loader_opts *o, char **args, int nargs)
{
	const char *arg = nargs ? args[0] : NULL;
	struct screen prev = {};
	struct attach_result res;
	struct pin_maps pm;
	struct iface ifc;
	sigset_t set;
	char msg[512];
	int err;

	if (!arg && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		say_error("run needs an interface when not on a terminal: %s run IFACE", LOADER_NAME);
		return EXIT_USAGE;
	}
	err = require_capabilities("run", true);
	if (err)
		return err;
	if (arg && iface_resolve(arg, &ifc)) {
		say_error("no interface named '%s' here: see %s list", arg, LOADER_NAME);
		return -ENODEV;
	}
	if (!arg) {
		err = prompt_iface(o, &ifc);
		if (err == -ECANCELED)
			return 0;
		if (err) {
			say_error("no interface chosen");
			return err;
		}
	}
	/*
	 * From here on Ctrl-C, SIGTERM and a closed terminal are taken
	 * synchronously, so one arriving during attach still leads to a detach.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	err = attach_ifaces(o, &ifc, 1, &res);
	if (err)
		return err;
	/*
	 * Attached: from here on only reading the maps and the final detach
	 * remain, so give up every other capability, for good.  If that fails,
	 * do not watch with more privilege than needed: detach and fail.
	 */
	err = caps_keep_only(caps_run_keep(), msg, sizeof(msg));
	if (err)
		say_error("%s", msg);
	else if (msg[0])
		say_warning("%s", msg);
	if (!err) {
		err = pin_open(o->pin_dir, false, &pm, msg, sizeof(msg));
		if (err)
			say_error("%s", msg);
	}
	if (!err) {
		do {
			err = show(&pm, &ifc, &res, o, &prev);
			if (err)
				say_error("cannot read the counters at %s: %s", o->pin_dir,
					  strerror(-err));
		} while (!err && !wait_signal(&set, o->interval_ms));
		pin_close(&pm);
	}
	if (res.already) {
		say_note("xdpflow stays attached to %s: it was attached before this run started "
			 "(detach it with: %s detach %s)", ifc.name, LOADER_NAME, ifc.name);
		return err;
	}
	/* Only what this run attached, and never with --purge: the counts stay readable. */
	struct loader_opts keep = *o;

	keep.purge = false;
	return detach_ifaces(&keep, &ifc, 1) ?: err;
}
