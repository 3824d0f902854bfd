// SPDX-License-Identifier: GPL-2.0
/* xdpflow-loader: command line: commands, their options and help with examples. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader.h"

#define MAX_PRIO 65535
#define MAX_FLOWS_LIMIT (1u << 24)

struct command {
	const char *name;
	const char *summary;
	const char *usage;
	const char *options; /* getopt_long short options, besides the common ones */
	const char *help;
};

static const char common_help[] =
	"  -p, --pin-path DIR   pin folder of xdpflow's maps (default " XDPFLOW_DEFAULT_PIN_PATH ")\n"
	"  -v, --verbose        show libxdp's and libbpf's log (-vv: debug)\n"
	"  -h, --help           this help\n";

static const char attach_opts_help[] =
	"  -m, --mode MODE      native or skb (default: native, falling back to skb where the\n"
	"                       driver has no native XDP; joins the mode of a dispatcher there)\n"
	"      --prio N         run priority in libxdp's dispatcher (default 5: before filters)\n"
	"      --max-flows N    flow table capacity when the pins are created (default 262144)\n"
	"      --group NAME     pins readable by group NAME (mode 0640) instead of root only (0600);\n"
	"                       the folders above must let the group through (warned if not)\n"
	"      --require-multiprog  refuse, changing nothing, where libxdp's multi-prog dispatcher\n"
	"                       cannot run (xdpflow would be the only XDP program there)\n"
	"      --obj PATH       the XDP object (default: $XDPFLOW_OBJ, else xdpflow.bpf.o next to\n"
	"                       this program or in ../" XDPFLOW_BPF_SUBDIR " from it, else in\n"
	"                       " XDPFLOW_BPF_DIR ")\n";

static const struct command commands[] = {
	{ "list", "interfaces and the XDP programs on each", "list [-p DIR]", "",
	  "List the interfaces of this network namespace with their index, state and XDP\n"
	  "programs (dispatcher or not, mode, priority). '*' marks xdpflow using the maps\n"
	  "pinned at --pin-path.\n\n"
	  "Examples:\n"
	  "  xdpflow-loader list\n" },
	{ "attach", "count the traffic of one or more interfaces",
	  "attach [options] IFACE...", "m:",
	  "Load xdpflow through libxdp (sharing the interface with other XDP programs through\n"
	  "libxdp's dispatcher where the kernel allows) and pin its maps. Several interfaces\n"
	  "may share one pin folder: counters carry the ifindex. Attaching again (after detach,\n"
	  "or a new build of the same map layout) reuses the pinned maps: no count resets.\n"
	  "Already attached with these maps: says so and exits 0.\n\n"
	  "Examples:\n"
	  "  xdpflow-loader attach eth0\n"
	  "  xdpflow-loader attach --mode skb --group netops eth0 eth1\n"
	  "  xdpflow-loader attach --pin-path /sys/fs/bpf/xdpflow-lab --max-flows 1000000 veth0\n"
	  "The same with xdp-tools:\n"
	  "  xdp-loader load -p " XDPFLOW_DEFAULT_PIN_PATH " eth0 " XDPFLOW_BPF_DIR "/xdpflow.bpf.o\n" },
	{ "detach", "stop counting; the counts stay pinned", "detach [--purge] [-p DIR] [IFACE...]",
	  "",
	  "Remove xdpflow (only xdpflow, never another XDP program) from each interface, or\n"
	  "from every interface where it uses the maps at --pin-path if none is named. The\n"
	  "pinned maps stay for readers unless --purge, which removes them once no program\n"
	  "uses them any more.\n\n"
	  "      --purge          remove the pinned maps (and their counts) too\n\n"
	  "Examples:\n"
	  "  xdpflow-loader detach eth0\n"
	  "  xdpflow-loader detach --purge          # everywhere, then remove the pins\n"
	  "The same with xdp-tools: xdp-loader unload eth0 --id ID (ID from xdp-loader status)\n" },
	{ "status", "where xdpflow runs and how full its tables are", "status [-p DIR]", "",
	  "Show the pin folder, every interface running xdpflow (mode, multi-prog or\n"
	  "single-program, priority, position in the chain), a program still using the maps\n"
	  "that no interface here runs, flow table use and the packets whose flow the full\n"
	  "table could not record. Exits 1 (saying why) when the pins cannot be read.\n\n"
	  "Examples:\n"
	  "  xdpflow-loader status\n"
	  "  xdpflow-loader status --pin-path /sys/fs/bpf/xdpflow-lab\n" },
	{ "run", "attach, show live tables, detach on Ctrl-C", "run [options] [--interval S] [IFACE]",
	  "m:i:",
	  "Attach to IFACE (on a terminal without IFACE: list the interfaces and ask), print\n"
	  "the protocol and source tables every S seconds, and on Ctrl-C or SIGTERM detach\n"
	  "xdpflow again (only if this run attached it) and exit 0. The counts stay pinned.\n"
	  "Once attached, run keeps only CAP_NET_ADMIN, CAP_SYS_ADMIN and CAP_BPF (to read\n"
	  "the maps and detach at the end): every other capability leaves its effective,\n"
	  "permitted, inheritable, ambient and bounding sets (bounding: only with\n"
	  "CAP_SETPCAP, else a warning), and no_new_privs is set.\n"
	  "Takes the options of attach too.\n\n"
	  "  -i, --interval S     seconds between tables (default 2; fractions allowed)\n\n"
	  "Examples:\n"
	  "  xdpflow-loader run\n"
	  "  xdpflow-loader run --interval 5 eth0\n" },
	{ "clean", "remove leftovers of interrupted loaders", "clean [-p DIR] [IFACE|IFINDEX...]", "",
	  "Remove what a killed loader or a deleted interface can leave behind: libxdp's\n"
	  "pinned dispatchers that are no longer attached (for the interfaces named, an\n"
	  "IFINDEX for one that was deleted; else for all), an incomplete set of xdpflow\n"
	  "pins that no program uses and that holds no counts (what a killed first attach\n"
	  "leaves), and an empty pin folder. Pins holding counts, and anything at xdpflow's\n"
	  "pin names that is not a map, are kept: detach --purge removes the maps. libxdp\n"
	  "names its pins by ifindex, which only means something in one network namespace:\n"
	  "run clean in the namespace of the interfaces concerned, and name them where\n"
	  "several namespaces use XDP.\n\n"
	  "Examples:\n"
	  "  xdpflow-loader clean eth0\n"
	  "  xdpflow-loader clean 7        # ifindex of a deleted interface (see status)\n" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

enum long_only {
	OPT_PRIO = 256,
	OPT_MAX_FLOWS,
	OPT_GROUP,
	OPT_REQUIRE_MULTIPROG,
	OPT_OBJ,
	OPT_PURGE,
	OPT_VERSION,
};

static void print_main_help(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s COMMAND [options]\n\n"
		   "Count every frame an interface receives, per protocol, source and flow, with an XDP\n"
		   "program loaded through libxdp; its maps are pinned for xdpflow-reader.\n\n"
		   "Commands:\n", LOADER_NAME);
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'%s COMMAND --help' shows a command's options and examples.\n\n"
		   "Examples:\n"
		   "  %s run                     # pick an interface, watch it, Ctrl-C to stop\n"
		   "  %s attach eth0          # then read the counts with xdpflow-reader\n"
		   "  %s status\n", LOADER_NAME, LOADER_NAME, LOADER_NAME, LOADER_NAME);
}

static bool takes_attach_options(const struct command *c)
{
	return !strcmp(c->name, "attach") || !strcmp(c->name, "run");
}

static void print_command_help(const struct command *c)
{
	printf("Usage: %s %s\n\n%s\nOptions:\n", LOADER_NAME, c->usage, c->help);
	if (takes_attach_options(c))
		fputs(attach_opts_help, stdout);
	fputs(common_help, stdout);
}

static int usage_error(const struct command *c, const char *fmt, const char *arg)
{
	char shown[512];
	size_t i;

	/* The argument is echoed: whatever it holds, the message stays one printable line. */
	snprintf(shown, sizeof(shown), "%s", arg);
	for (i = 0; shown[i]; i++)
		if ((unsigned char)shown[i] < 0x20 || shown[i] == 0x7f)
			shown[i] = '?';
	fprintf(stderr, "%s: ", LOADER_NAME);
	fprintf(stderr, fmt, shown);
	if (c)
		fprintf(stderr, " (usage: %s %s; see %s %s --help)\n", LOADER_NAME, c->usage,
			LOADER_NAME, c->name);
	else
		fprintf(stderr, " (see %s --help)\n", LOADER_NAME);
	return EXIT_USAGE;
}

static bool parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return !errno && !*end && *out >= min && *out <= max;
}

/* Seconds, fractions allowed, to milliseconds: 0.1 s up to one day. */
static bool parse_interval(const char *s, unsigned int *ms)
{
	char *end;
	double v;

	if (!s || !*s)
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v >= 0.1 && v <= 86400))
		return false;
	*ms = (unsigned int)(v * 1000 + 0.5);
	return true;
}

static bool parse_group(const char *s, gid_t *gid)
{
	struct group *gr = getgrnam(s);
	unsigned long n;

	if (gr) {
		*gid = gr->gr_gid;
		return true;
	}
	if (parse_ulong(s, 0, UINT_MAX - 1, &n)) {
		*gid = n;
		return true;
	}
	return false;
}

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* 0 when parsed, 1 when help was printed, EXIT_USAGE on a usage error. */
static int parse_options(const struct command *c, int argc, char **argv, struct loader_opts *o)
{
	static const struct option longs[] = {
		{ "pin-path", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "mode", required_argument, NULL, 'm' },
		{ "interval", required_argument, NULL, 'i' },
		{ "prio", required_argument, NULL, OPT_PRIO },
		{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
		{ "group", required_argument, NULL, OPT_GROUP },
		{ "require-multiprog", no_argument, NULL, OPT_REQUIRE_MULTIPROG },
		{ "obj", required_argument, NULL, OPT_OBJ },
		{ "purge", no_argument, NULL, OPT_PURGE },
		{},
	};
	bool attach_like = takes_attach_options(c);
	char shorts[32];
	unsigned long n;
	int opt;

	snprintf(shorts, sizeof(shorts), "+p:vh%s", c->options);
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		const char *name = argv[optind - 1];

		switch (opt) {
		case 'p':
			if (!*optarg || strlen(optarg) >= PATH_MAX - 32)
				return usage_error(c, "bad --pin-path '%s'", optarg);
			o->pin_dir = optarg;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			print_command_help(c);
			return 1;
		case 'm':
			if (!strcmp(optarg, "native"))
				o->mode = XDP_MODE_NATIVE;
			else if (!strcmp(optarg, "skb") || !strcmp(optarg, "generic"))
				o->mode = XDP_MODE_SKB;
			else
				return usage_error(c, "--mode must be native or skb, not '%s'", optarg);
			break;
		case 'i':
			if (!parse_interval(optarg, &o->interval_ms))
				return usage_error(c, "--interval takes seconds from 0.1 to 86400, not '%s'",
						   optarg);
			break;
		case OPT_PRIO:
			if (!attach_like)
				goto not_here;
			if (!parse_ulong(optarg, 0, MAX_PRIO, &n))
				return usage_error(c, "--prio takes 0 to 65535, not '%s'", optarg);
			o->prio = n;
			break;
		case OPT_MAX_FLOWS:
			if (!attach_like)
				goto not_here;
			if (!parse_ulong(optarg, 1, MAX_FLOWS_LIMIT, &n))
				return usage_error(c, "--max-flows takes 1 to 16777216, not '%s'", optarg);
			o->max_flows = n;
			break;
		case OPT_GROUP:
			if (!attach_like)
				goto not_here;
			if (!parse_group(optarg, &o->gid))
				return usage_error(c, "--group: no group '%s' (see getent group)", optarg);
			o->group_set = true;
			break;
		case OPT_REQUIRE_MULTIPROG:
			if (!attach_like)
				goto not_here;
			o->require_multiprog = true;
			break;
		case OPT_OBJ:
			if (!attach_like)
				goto not_here;
			o->obj_path = optarg;
			break;
		case OPT_PURGE:
			if (strcmp(c->name, "detach"))
				goto not_here;
			o->purge = true;
			break;
		case ':':
			return usage_error(c, "option %s needs a value", name);
		default:
			return usage_error(c, "unknown option '%s'", name);
		}
		continue;
not_here:
		return usage_error(c, "%s is not an option of this command", name);
	}
	return 0;
}

static int run_command(const struct command *c, int argc, char **argv, struct loader_opts *o)
{
	int nargs, err;
	char **args;

	err = parse_options(c, argc, argv, o);
	if (err)
		return err == 1 ? 0 : err;
	args = argv + optind;
	nargs = argc - optind;
	say_init(LOADER_NAME, o->verbose);
	if (!strcmp(c->name, "list") || !strcmp(c->name, "status")) {
		if (nargs)
			return usage_error(c, "unexpected argument '%s'", args[0]);
		err = !strcmp(c->name, "list") ? cmd_list(o) : cmd_status(o);
	} else if (!strcmp(c->name, "attach")) {
		if (!nargs)
			return usage_error(c, "%snames no interface", "attach ");
		err = cmd_attach(o, args, nargs);
	} else if (!strcmp(c->name, "detach")) {
		err = cmd_detach(o, args, nargs);
	} else if (!strcmp(c->name, "clean")) {
		err = cmd_clean(o, args, nargs);
	} else {
		if (nargs > 1)
			return usage_error(c, "run watches one interface, not also '%s'", args[1]);
		err = cmd_run(o, nargs ? args[0] : NULL);
		if (err == -EINVAL)
			return EXIT_USAGE;
	}
	return err ? EXIT_FAILURE : EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	struct loader_opts o = {
		.pin_dir = XDPFLOW_DEFAULT_PIN_PATH,
		.mode = XDP_MODE_UNSPEC,
		.prio = -1,
		.gid = (gid_t)-1,
		.interval_ms = 2000,
	};
	const struct command *c;
	int first = 1;

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
	if (!strcmp(argv[first], "help")) {
		c = first + 1 < argc ? find_command(argv[first + 1]) : NULL;
		if (c)
			print_command_help(c);
		else
			print_main_help(stdout);
		return EXIT_SUCCESS;
	}
	c = find_command(argv[first]);
	if (!c)
		return usage_error(NULL, "unknown command '%s'", argv[first]);
	return run_command(c, argc - first, argv + first, &o);
}
