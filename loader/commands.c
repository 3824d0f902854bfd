// SPDX-License-Identifier: GPL-2.0
/* xdpflow-loader: the tables of its commands and options; parsing, --help and dispatch come from them. */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader.h"

/* The commands, as bits of struct cl_option's commands. */
enum {
	CMD_LIST = 1 << 0,
	CMD_ATTACH = 1 << 1,
	CMD_DETACH = 1 << 2,
	CMD_STATUS = 1 << 3,
	CMD_RUN = 1 << 4,
	CMD_CLEAN = 1 << 5,
};

/* The column where --help's option texts start. */
#define HELP_COLUMN 23

struct command {
	unsigned int id;
	const char *name;
	const char *summary; /* for the list of commands */
	const char *usage; /* after the tool's name */
	const char *help; /* what it does */
	const char *examples;
	int min_args, max_args; /* operands; max -1: any number */
	const char *too_few, *too_many; /* the usage error (%s: the first extra operand) */
	/* 0, -errno (exit 1, reported), or EXIT_USAGE (exit 2, reported). */
	int (*run)(const struct loader_opts *o, char **args, int n);
};

/* ---- How each option is stored (the option table's set functions) ---- */

static bool parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return !errno && !*end && *out >= min && *out <= max;
}

static int set_pin_path(void *opts, const char *arg, char *err, size_t errlen)
{
	if (!*arg || strlen(arg) >= PATH_MAX - 32)
		return cl_error(err, errlen, "bad --pin-path '%s'", arg);
	((struct loader_opts *)opts)->pin_dir = arg;
	return 0;
}

static int set_mode(void *opts, const char *arg, char *err, size_t errlen)
{
	struct loader_opts *o = opts;

	if (!strcmp(arg, "native"))
		o->mode = XDP_MODE_NATIVE;
	else if (!strcmp(arg, "skb") || !strcmp(arg, "generic"))
		o->mode = XDP_MODE_SKB;
	else
		return cl_error(err, errlen, "--mode must be native or skb, not '%s'", arg);
	return 0;
}

/* Seconds, fractions allowed, to milliseconds: 0.1 s up to one day. */
static int set_interval(void *opts, const char *arg, char *err, size_t errlen)
{
	char *end;
	double v;

	errno = 0;
	v = *arg ? strtod(arg, &end) : 0;
	if (!*arg || errno || *end || !(v >= 0.1 && v <= 86400))
		return cl_error(err, errlen, "--interval takes seconds from 0.1 to 86400, not '%s'",
				arg);
	((struct loader_opts *)opts)->interval_ms = (unsigned int)(v * 1000 + 0.5);
	return 0;
}

static int set_prio(void *opts, const char *arg, char *err, size_t errlen)
{
	unsigned long n;

	if (!parse_ulong(arg, 0, MAX_PRIO, &n))
		return cl_error(err, errlen, "--prio takes 0 to %d, not '%s'", MAX_PRIO, arg);
	((struct loader_opts *)opts)->prio = n;
	return 0;
}

static int set_max_flows(void *opts, const char *arg, char *err, size_t errlen)
{
	unsigned long n;

	if (!parse_ulong(arg, 1, MAX_FLOWS_LIMIT, &n))
		return cl_error(err, errlen, "--max-flows takes 1 to %u, not '%s'", MAX_FLOWS_LIMIT,
				arg);
	((struct loader_opts *)opts)->max_flows = n;
	return 0;
}

static int set_group(void *opts, const char *arg, char *err, size_t errlen)
{
	struct loader_opts *o = opts;
	struct group *gr = getgrnam(arg);
	unsigned long n;

	if (gr)
		o->gid = gr->gr_gid;
	else if (parse_ulong(arg, 0, UINT_MAX - 1, &n))
		o->gid = n;
	else
		return cl_error(err, errlen, "--group: no group '%s' (see getent group)", arg);
	o->group_set = true;
	return 0;
}

/* ---- The tables ---- */

#define OPT(nm, l, a, cmds, fn, text) \
	{ .name = nm, .letter = l, .arg = a, .help = text, .commands = cmds, .set = fn }
#define STORED(nm, l, a, cmds, how, member, text)                                      \
	{ .name = nm, .letter = l, .arg = a, .help = text, .commands = cmds, .store = how, \
	  .field = offsetof(struct loader_opts, member) }
#define ATTACHING (CMD_ATTACH | CMD_RUN)

/* In the order --help lists them: the command's own options first. */
static const struct cl_option options[] = {
	OPT("mode", 'm', "MODE", ATTACHING, set_mode,
	    "native or skb (default: native, falling back to skb where the\n"
	    "driver has no native XDP; joins the mode of a dispatcher there)"),
	OPT("prio", 0, "N", ATTACHING, set_prio,
	    "run priority in libxdp's dispatcher (default 5: before filters)"),
	OPT("max-flows", 0, "N", ATTACHING, set_max_flows,
	    "flow table capacity when the pins are created (default 262144)"),
	OPT("group", 0, "NAME", ATTACHING, set_group,
	    "pins readable by group NAME (mode 0640) instead of root only (0600);\n"
	    "the folders above must let the group through (warned if not)"),
	STORED("require-multiprog", 0, NULL, ATTACHING, CL_TRUE, require_multiprog,
	    "refuse, changing nothing, where libxdp's multi-prog dispatcher\n"
	    "cannot run (xdpflow would be the only XDP program there)"),
	STORED("obj", 0, "PATH", ATTACHING, CL_TEXT, obj_path,
	       "the XDP object (default: $XDPFLOW_OBJ, else xdpflow.bpf.o next to\n"
	       "this program or in ../" XDPFLOW_BPF_SUBDIR " from it, else in\n"
	       XDPFLOW_BPF_DIR ")"),
	OPT("interval", 'i', "S", CMD_RUN, set_interval,
	    "seconds between tables (default 2; fractions allowed)"),
	STORED("purge", 0, NULL, CMD_DETACH, CL_TRUE, purge,
	    "remove the pinned maps (and their counts) too"),
	OPT("pin-path", 'p', "DIR", 0, set_pin_path,
	    "pin folder of xdpflow's maps (default: $" XDPFLOW_PIN_PATH_ENV ",\n"
	    "else " XDPFLOW_DEFAULT_PIN_PATH ")"),
	STORED("verbose", 'v', NULL, 0, CL_COUNT, verbose,
	       "show libxdp's and libbpf's log (-vv: debug)"),
	STORED("help", 'h', NULL, 0, CL_TRUE, help, "this help"),
};

#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

static const struct command commands[] = {
	{ CMD_LIST, "list", "interfaces and the XDP programs on each", "list [-p DIR]",
	  "List the interfaces of this network namespace with their index, state and XDP\n"
	  "programs (dispatcher or not, mode, priority). '*' marks xdpflow using the maps\n"
	  "pinned at --pin-path, '+' xdpflow using other maps: a line below names their\n"
	  "folder, and the last line every folder of the bpf filesystem holding xdpflow's\n"
	  "maps (attached or not), found as 'bpftool -f map show' finds pins.\n",
	  "  xdpflow-loader list\n",
	  0, 0, NULL, "unexpected argument '%s'", cmd_list },
	{ CMD_ATTACH, "attach", "count the traffic of one or more interfaces",
	  "attach [options] IFACE...",
	  "Load xdpflow through libxdp (sharing the interface with other XDP programs through\n"
	  "libxdp's dispatcher where the kernel allows) and pin its maps. Several interfaces\n"
	  "may share one pin folder: counters carry the ifindex. Attaching again (after detach,\n"
	  "or a new build of the same map layout) reuses the pinned maps: no count resets.\n"
	  "Already attached with these maps: says so and exits 0.\n",
	  "  xdpflow-loader attach eth0\n"
	  "  xdpflow-loader attach --mode skb --group netops eth0 eth1\n"
	  "  xdpflow-loader attach --pin-path /sys/fs/bpf/xdpflow-lab --max-flows 1000000 veth0\n"
	  "The same with xdp-tools:\n"
	  "  xdp-loader load -p " XDPFLOW_DEFAULT_PIN_PATH " eth0 " XDPFLOW_BPF_DIR "/xdpflow.bpf.o\n",
	  1, -1, "attach names no interface", NULL, cmd_attach },
	{ CMD_DETACH, "detach", "stop counting; the counts stay pinned",
	  "detach [--purge] [-p DIR] [IFACE...]",
	  "Remove xdpflow (only xdpflow, never another XDP program) from each interface, or\n"
	  "from every interface where it uses the maps at --pin-path if none is named. The\n"
	  "pinned maps stay for readers unless --purge, which removes them once no program\n"
	  "uses them any more. An interface named that does not exist is refused (exit 1)\n"
	  "before anything changes: a deleted one took xdpflow with it (see clean).\n",
	  "  xdpflow-loader detach eth0\n"
	  "  xdpflow-loader detach --purge          # everywhere, then remove the pins\n"
	  "The same with xdp-tools: xdp-loader unload eth0 --id ID (ID from xdp-loader status)\n",
	  0, -1, NULL, NULL, cmd_detach },
	{ CMD_STATUS, "status", "where xdpflow runs and how full its tables are", "status [-p DIR]",
	  "Show the pin folder, every interface running xdpflow with its maps (mode,\n"
	  "multi-prog or single-program, priority, position in the chain), each xdpflow\n"
	  "here with other maps and where those are pinned ('other xdpflow:' lines), a\n"
	  "program still using the maps that no interface here runs, flow table use and\n"
	  "the packets whose flow the full table could not record. Exits 1 (saying why)\n"
	  "when the pins cannot be read: none at --pin-path, or not xdpflow's.\n",
	  "  xdpflow-loader status\n"
	  "  xdpflow-loader status --pin-path /sys/fs/bpf/xdpflow-lab\n",
	  0, 0, NULL, "unexpected argument '%s'", cmd_status },
	{ CMD_RUN, "run", "attach, show live tables, detach on Ctrl-C",
	  "run [options] [--interval S] [IFACE]",
	  "Attach to IFACE (on a terminal without IFACE: list the interfaces and ask), print\n"
	  "the protocol and source tables every S seconds, and on Ctrl-C or SIGTERM detach\n"
	  "xdpflow again (only if this run attached it) and exit 0. The counts stay pinned.\n"
	  "Once attached, run keeps only CAP_NET_ADMIN, CAP_SYS_ADMIN and CAP_BPF (to read\n"
	  "the maps and detach at the end): every other capability leaves its effective,\n"
	  "permitted, inheritable, ambient and bounding sets (bounding: only with\n"
	  "CAP_SETPCAP, else a warning), and no_new_privs is set.\n"
	  "Takes the options of attach too.\n",
	  "  xdpflow-loader run\n"
	  "  xdpflow-loader run --interval 5 eth0\n",
	  0, 1, NULL, "run watches one interface, not also '%s'", cmd_run },
	{ CMD_CLEAN, "clean", "remove leftovers of interrupted loaders",
	  "clean [-p DIR] [IFACE|IFINDEX...]",
	  "Remove what a killed loader or a deleted interface can leave behind: libxdp's\n"
	  "pinned dispatchers that are no longer attached (for the interfaces named, an\n"
	  "IFINDEX for one that was deleted; else for all), an incomplete set of xdpflow\n"
	  "pins that no program uses and that holds no counts (what a killed first attach\n"
	  "leaves), and an empty pin folder. Pins holding counts, and anything at xdpflow's\n"
	  "pin names that is not a map, are kept: detach --purge removes the maps. libxdp\n"
	  "names its pins by ifindex, which only means something in one network namespace:\n"
	  "run clean in the namespace of the interfaces concerned, and name them where\n"
	  "several namespaces use XDP.\n",
	  "  xdpflow-loader clean eth0\n"
	  "  xdpflow-loader clean 7        # ifindex of a deleted interface (see status)\n",
	  0, -1, NULL, NULL, cmd_clean },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* ---- Help ---- */

static void print_main_help(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s COMMAND [options]\n\n"
		   "Count every frame an interface receives, per protocol, source and flow, with an XDP\n"
		   "program loaded through libxdp; its maps are pinned for xdpflow-reader.\n\n"
		   "Commands:\n", LOADER_NAME);
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'%s COMMAND --help' shows a command's options and examples;\n"
		   "'%s --version' (-V) the versions of the tool, the map layout and the libraries.\n\n"
		   "Examples:\n"
		   "  %s run                     # pick an interface, watch it, Ctrl-C to stop\n"
		   "  %s attach eth0          # then read the counts with xdpflow-reader\n"
		   "  %s status\n", LOADER_NAME, LOADER_NAME, LOADER_NAME, LOADER_NAME, LOADER_NAME);
}

static void print_command_help(const struct command *c)
{
	printf("Usage: %s %s\n\n%s\nOptions:\n", LOADER_NAME, c->usage, c->help);
	cl_print_options(stdout, options, N_OPTIONS, c->id, 0, HELP_COLUMN);
	printf("\nExamples:\n%s", c->examples);
}

/* ---- Parsing and dispatch ---- */

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* One line on stderr, pointing at the command's usage; returns EXIT_USAGE. */
static int usage_error(const struct command *c, const char *reason)
{
	if (c)
		say_error("%s (usage: %s %s; see %s %s --help)", reason, LOADER_NAME, c->usage,
			  LOADER_NAME, c->name);
	else
		say_error("%s (see %s --help)", reason, LOADER_NAME);
	return EXIT_USAGE;
}

/* The operands a command takes: a usage error's reason in err if they do not fit. */
static bool check_operands(const struct command *c, char **args, int n, char *err, size_t errlen)
{
	if (n < c->min_args)
		cl_error(err, errlen, "%s", c->too_few);
	else if (c->max_args >= 0 && n > c->max_args)
		cl_error(err, errlen, c->too_many, args[c->max_args]);
	else
		return true;
	return false;
}

static int run_command(const struct command *c, int argc, char **argv, struct loader_opts *o)
{
	char err[512];
	int first, ret;

	first = cl_parse(options, N_OPTIONS, c->id, true, argc, argv, o, err, sizeof(err));
	if (first < 0)
		return usage_error(c, err);
	if (o->help) {
		print_command_help(c);
		return EXIT_SUCCESS;
	}
	if (!check_operands(c, argv + first, argc - first, err, sizeof(err)))
		return usage_error(c, err);
	/* --pin-path checked its value; $XDPFLOW_PIN_PATH is checked here. */
	if (strlen(o->pin_dir) >= PATH_MAX - 32)
		return usage_error(c, "$" XDPFLOW_PIN_PATH_ENV " is too long for a pin folder");
	say_init(LOADER_NAME, o->verbose);
	ret = c->run(o, argv + first, argc - first);
	if (ret == EXIT_USAGE)
		return EXIT_USAGE;
	return ret ? EXIT_FAILURE : EXIT_SUCCESS;
}

int loader_main(int argc, char **argv)
{
	struct loader_opts o = {
		.pin_dir = pin_path_default(),
		.mode = XDP_MODE_UNSPEC,
		.prio = -1,
		.gid = (gid_t)-1,
		.interval_ms = 2000,
	};
	const struct command *c;
	char err[512];
	int first = 1;

	say_init(LOADER_NAME, 0);
	/* Leading -v applies to the command that follows. */
	while (first < argc && (!strcmp(argv[first], "-v") || !strcmp(argv[first], "--verbose"))) {
		o.verbose++;
		first++;
	}
	if (first >= argc) {
		print_main_help(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[first], "-h") || !strcmp(argv[first], "--help")) {
		print_main_help(stdout);
		return EXIT_SUCCESS;
	}
	if (!strcmp(argv[first], "-V") || !strcmp(argv[first], "--version")) {
		print_version(stdout, LOADER_NAME);
		return EXIT_SUCCESS;
	}
	if (!strcmp(argv[first], "help")) {
		c = first + 1 < argc ? find_command(argv[first + 1]) : NULL;
		if (c)
			print_command_help(c);
		else
			print_main_help(stdout);
		return EXIT_SUCCESS;
	}
	c = find_command(argv[first]);
	if (!c) {
		cl_error(err, sizeof(err), "unknown command '%s'", argv[first]);
		return usage_error(NULL, err);
	}
	return run_command(c, argc - first, argv + first, &o);
}
