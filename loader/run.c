// SPDX-License-Identifier: GPL-2.0
/* loader/: the run command: pick an interface, attach, show live tables, detach on exit. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "caps.h"
#include "loader.h"
#include "view/report.h"

#define TOP_SOURCES 10
#define PROMPT_TRIES 5

/*
 * What a screen shows, the reader's tables of one interface: its totals,
 * protocols and top sources, with per-second rates since the last screen.
 */
struct screen {
	struct reader_opts view;
	struct rate_memory rates;
	struct report report;
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

static void print_heading(const struct iface *ifc, const struct attach_result *r,
			  const struct loader_opts *o)
{
	char when[32];
	time_t wall = time(NULL);

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", localtime(&wall));
	/* On a terminal redraw in place, like top; into a file or pipe, append. */
	if (isatty(STDOUT_FILENO))
		printf("\033[H\033[2J");
	else
		printf("\n");
	printf("xdpflow on %s (ifindex %u, %s mode, %s), %s, every %.3g s; Ctrl-C detaches and quits\n\n",
	       ifc->name, ifc->ifindex, mode_name(r->mode),
	       r->legacy ? "single program" : "libxdp dispatcher", when, o->interval_ms / 1000.0);
}

static int screen_init(struct screen *sc, const struct loader_opts *o, const struct iface *ifc)
{
	struct reader_opts *v = &sc->view;

	memset(sc, 0, sizeof(*sc));
	v->pin_path = o->pin_dir;
	v->format = FORMAT_TABLE;
	v->top = TOP_SOURCES;
	v->sort = SORT_RATE;
	v->views[VIEW_TOTALS] = v->views[VIEW_PROTOCOLS] = v->views[VIEW_SOURCES] = true;
	v->print = true;
	if (rate_memory_init(&sc->rates))
		return -ENOMEM;
	report_init(&sc->report, v, stdout, &sc->rates);
	sc->report.filter.ifindex[0] = ifc->ifindex;
	sc->report.filter.n = 1;
	return 0;
}

/* One screen: one read of the maps, as the reader reads them, in the reader's tables. */
static int show(const struct pin_maps *pm, const struct iface *ifc, const struct attach_result *r,
		const struct loader_opts *o, struct screen *sc)
{
	struct snapshot_tables t;
	int err;

	err = snapshot_tables_open_current(pm, &t);
	if (err)
		return err;
	ifname_cache_reset();
	print_heading(ifc, r, o);
	err = report_run(&sc->report, &t, pm->fd[PIN_CLOCK], pm->ncpus);
	snapshot_tables_close(&t);
	fflush(stdout);
	return err;
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
	struct screen sc;
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
		err = screen_init(&sc, o, &ifc);
		if (err)
			say_error("out of memory");
		while (!err) {
			err = show(&pm, &ifc, &res, o, &sc);
			if (err)
				say_error("cannot read the counters at %s: %s", o->pin_dir,
					  strerror(-err));
			else if (wait_signal(&set, o->interval_ms))
				break;
		}
		rate_memory_free(&sc.rates);
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
