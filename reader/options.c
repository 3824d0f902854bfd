// SPDX-License-Identifier: GPL-2.0
/* xdpflow-reader: the table of its options (parsing and --help), views and what goes together. */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include "export/ipfix.h"
#include "export/ipfix_state.h"
#include "xdpflow.h"
#include "reader.h"

static const char *const format_names[] = {
	[FORMAT_TABLE] = "table",
	[FORMAT_JSON] = "json",
	[FORMAT_CSV] = "csv",
	[FORMAT_PROMETHEUS] = "prometheus",
	[FORMAT_NDJSON] = "ndjson",
};

enum help_section {
	SECTION_OPTIONS,
	SECTION_EXPORT,
};

/* The column where --help's option texts start. */
#define HELP_COLUMN 27

/*
 * A whole number in [min, max]: digits only (strtoul alone would accept
 * "-5" as a huge number, leading blanks and a '+').
 */
static int parse_count(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno == ERANGE || v > max)
		return -ERANGE;
	if (errno || *end)
		return -EINVAL;
	if (v < min)
		return -ERANGE;
	*out = v;
	return 0;
}

static int lookup_name(const char *s, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (names[i] && !strcmp(s, names[i]))
			return i;
	return -1;
}

/* ---- How each option is stored (the table's set functions) ---- */

static int set_format(void *opts, const char *arg, char *err, size_t errlen)
{
	struct reader_opts *o = opts;
	int i = lookup_name(arg, format_names, sizeof(format_names) / sizeof(format_names[0]));

	if (i < 0)
		return cl_error(err, errlen, "--format %s: unknown format; use table, json, ndjson, "
				"csv or prometheus", arg);
	o->format = i;
	o->format_given = true;
	return 0;
}

static int set_top(void *opts, const char *arg, char *err, size_t errlen)
{
	if (parse_count(arg, 1, READER_MAX_TOP, &((struct reader_opts *)opts)->top))
		return cl_error(err, errlen, "--top %s: expected a whole number from 1 to %lu", arg,
				READER_MAX_TOP);
	return 0;
}

static int set_sort(void *opts, const char *arg, char *err, size_t errlen)
{
	struct reader_opts *o = opts;

	if (!strcmp(arg, "packets"))
		o->sort = SORT_PACKETS;
	else if (!strcmp(arg, "bytes"))
		o->sort = SORT_BYTES;
	else if (!strcmp(arg, "rate"))
		o->sort = SORT_RATE;
	else
		return cl_error(err, errlen, "--sort %s: sort by packets, bytes or rate", arg);
	return 0;
}

static int set_interface(void *opts, const char *arg, char *err, size_t errlen)
{
	struct reader_opts *o = opts;

	if (!arg[0])
		return cl_error(err, errlen, "--interface: empty interface name");
	if (o->n_ifnames == READER_MAX_IFACE_FILTERS)
		return cl_error(err, errlen, "--interface given more than %d times",
				READER_MAX_IFACE_FILTERS);
	o->ifnames[o->n_ifnames++] = arg;
	return 0;
}

static int set_watch(void *opts, const char *arg, char *err, size_t errlen)
{
	if (parse_count(arg, 1, READER_MAX_WATCH_S, &((struct reader_opts *)opts)->watch_s))
		return cl_error(err, errlen, "--watch %s: expected whole seconds from 1 to %lu", arg,
				READER_MAX_WATCH_S);
	return 0;
}

static int set_output(void *opts, const char *arg, char *err, size_t errlen)
{
	if (!arg[0])
		return cl_error(err, errlen, "--output: empty file name");
	((struct reader_opts *)opts)->output = arg;
	return 0;
}

static int set_ipfix(void *opts, const char *arg, char *err, size_t errlen)
{
	if (!arg[0])
		return cl_error(err, errlen, "--ipfix: empty collector; give HOST, HOST:PORT or "
				"[IPV6]:PORT");
	((struct reader_opts *)opts)->ipfix = arg;
	return 0;
}

static int set_odid(void *opts, const char *arg, char *err, size_t errlen)
{
	struct reader_opts *o = opts;

	if (parse_count(arg, 0, UINT32_MAX, &o->odid))
		return cl_error(err, errlen, "--odid %s: expected a whole number from 0 to %u", arg,
				UINT32_MAX);
	o->ipfix_tuning[0] = true;
	return 0;
}

static int set_mtu(void *opts, const char *arg, char *err, size_t errlen)
{
	struct reader_opts *o = opts;

	if (parse_count(arg, IPFIX_MIN_MTU, IPFIX_MAX_MTU, &o->mtu))
		return cl_error(err, errlen, "--mtu %s: expected bytes from %d to %d", arg,
				IPFIX_MIN_MTU, IPFIX_MAX_MTU);
	o->ipfix_tuning[1] = true;
	return 0;
}

static int set_ipfix_rate(void *opts, const char *arg, char *err, size_t errlen)
{
	struct reader_opts *o = opts;

	if (parse_count(arg, 0, READER_MAX_IPFIX_RATE, &o->ipfix_rate))
		return cl_error(err, errlen, "--ipfix-rate %s: expected records per second from 0 "
				"(unpaced) to %lu", arg, READER_MAX_IPFIX_RATE);
	o->ipfix_tuning[2] = true;
	return 0;
}

/* ---- The table: parsing and --help ---- */

#define OPT(nm, l, a, sec, fn, text) \
	{ .name = nm, .letter = l, .arg = a, .help = text, .section = sec, .set = fn }
#define STORED(nm, l, a, sec, how, member, text)                                      \
	{ .name = nm, .letter = l, .arg = a, .help = text, .section = sec, .store = how, \
	  .field = offsetof(struct reader_opts, member) }

static const struct cl_option options[] = {
	STORED("pin-path", 'p', "DIR", SECTION_OPTIONS, CL_TEXT, pin_path,
	    "pin folder of the maps (default: $" XDPFLOW_PIN_PATH_ENV ", else\n"
	    XDPFLOW_DEFAULT_PIN_PATH ")"),
	OPT("format", 'f', "FORMAT", SECTION_OPTIONS, set_format,
	    "table (default), json, ndjson (JSON Lines: one object per\n"
	    "record per line, for log shippers), csv or prometheus"),
	OPT("top", 'n', "N", SECTION_OPTIONS, set_top,
	    "only the N largest rows of each list (protocols, sources,\n"
	    "flows), largest first; memory stays bounded by N"),
	OPT("sort", 's', "KEY", SECTION_OPTIONS, set_sort,
	    "packets, bytes or rate: what --top and the order rank by\n"
	    "(default packets); rate (with --watch) ranks by the bits per\n"
	    "second since the last read, so the busiest now comes first;\n"
	    "--sort without --top sorts every flow in memory, while the\n"
	    "default streams flows in table order"),
	OPT("interface", 'i', "IFACE", SECTION_OPTIONS, set_interface,
	    "only what IFACE received (may be repeated)"),
	OPT("watch", 'w', "S", SECTION_OPTIONS, set_watch,
	    "read again every S seconds (whole seconds) and show per-second\n"
	    "rates between the last two reads; Ctrl-C ends it"),
	STORED("prometheus-flows", 0, NULL, SECTION_OPTIONS, CL_TRUE, prometheus_flows,
	    "with --format prometheus: one series per flow as well\n"
	    "(one per flow and counter: mind the cardinality)"),
	STORED("prometheus-sources", 0, NULL, SECTION_OPTIONS, CL_TRUE, prometheus_sources,
	    "with --format prometheus: one series per source address as\n"
	    "well (they grow with the number of sources)"),
	STORED("utc", 0, NULL, SECTION_OPTIONS, CL_TRUE, utc,
	    "tables show times in UTC (default: local time, the zone\n"
	    "named); JSON, JSON Lines and CSV are always UTC"),
	STORED("wide", 0, NULL, SECTION_OPTIONS, CL_TRUE, wide,
	    "the flows table with every column in full: whole addresses,\n"
	    "ports, IP bytes, first and last seen with milliseconds (default:\n"
	    "it fits 120 columns: ADDR:PORT, long IPv6 addresses elided in\n"
	    "the middle with '..', only the last seen, short times)"),
	STORED("verbose", 'v', NULL, SECTION_OPTIONS, CL_COUNT, verbose,
	    "say what is read and how long it took, on stderr, and show\n"
	    "libbpf's log (-vv: debug)"),
	STORED("version", 'V', NULL, SECTION_OPTIONS, CL_TRUE, version,
	    "print the versions of xdpflow, its map layout, libbpf and libxdp"),
	STORED("help", 'h', NULL, SECTION_OPTIONS, CL_TRUE, help, "this text"),
	STORED("drain", 0, NULL, SECTION_EXPORT, CL_TRUE, drain,
	    "report the counts and reset them to zero, exactly once: with\n"
	    "traffic flowing, every frame is in exactly one drain's report\n"
	    "(the counts are what arrived since the previous drain)"),
	OPT("output", 'o', "FILE", SECTION_EXPORT, set_output,
	    "write FILE instead of stdout, atomically: a hidden temporary\n"
	    "file in FILE's folder, renamed over FILE once complete, so a\n"
	    "reader of FILE never sees half of it; mode 0666 less the umask,\n"
	    "or the old FILE's mode"),
	OPT("ipfix", 0, "HOST[:PORT]", SECTION_EXPORT, set_ipfix,
	    "send every flow as IPFIX over UDP to a collector (default port\n"
	    "4739; [IPV6]:PORT for an IPv6 address); total counters, or\n"
	    "delta counters with --drain; VIEWs are then printed only\n"
	    "when named"),
	OPT("odid", 0, "N", SECTION_EXPORT, set_odid, "IPFIX observation domain ID (default 0)"),
	OPT("mtu", 0, "BYTES", SECTION_EXPORT, set_mtu,
	    "largest IPFIX message, 576 to 65507 bytes (default 1400)"),
	STORED("state-dir", 0, "DIR", SECTION_EXPORT, CL_TEXT, state_dir,
	    "where --ipfix keeps its sequence numbers between runs, so a\n"
	    "collector sees one exporter (default $" XDPFLOW_STATE_DIR_ENV ", else\n"
	    XDPFLOW_STATE_DIR ")"),
	OPT("ipfix-rate", 0, "N", SECTION_EXPORT, set_ipfix_rate,
	    "send at most N flow records a second (default 200000; 0: as\n"
	    "fast as the socket takes them, which can overrun a collector)"),
};

#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

static const char help_head[] =
	"Usage: " READER_NAME " [OPTIONS] [VIEW...]\n"
	"Print what xdpflow counted, from its pinned maps, or export it (files, IPFIX).\n"
	"Loads nothing, and changes nothing unless --drain is given.\n"
	"\n"
	"VIEW is any of (default: all four, in this order; with --ipfix: none):\n"
	"  totals      every frame and byte seen, by class (IP, non-IP, malformed) and interface,\n"
	"              and how complete the flow table is\n"
	"  protocols   frames and bytes per interface, IP family and IP protocol\n"
	"  sources     frames and bytes per interface and source address (from the flows)\n"
	"  flows       one row per flow (interface, protocol, addresses, ports)\n"
	"\n";

static const char help_tail[] =
	"With --drain, --format prometheus needs --output FILE: FILE keeps running totals, each\n"
	"drain adding what it read to the counters already in FILE. --drain refuses --top,\n"
	"--interface and --watch (counts they leave out would be reset unreported). Before any\n"
	"counter is reset, --output and --ipfix are opened and checked: when they fail, nothing\n"
	"is drained.\n"
	"\n"
	"Formats: json is one object per read ({\"totals\":{...},\"protocols\":[...],\n"
	"\"sources\":[...],\"flows\":[...]}, one list item per line; times in UTC; \"drained\":true\n"
	"with --drain). csv prints one section per view: a header row, the rows, and a blank line\n"
	"between sections; every row starts with the view's name, so 'grep ^flows,' picks one\n"
	"view. prometheus is the text exposition format for node_exporter's textfile collector\n"
	"or a scrape.\n"
	"\n"
	"Examples:\n"
	"  " READER_NAME "                                  everything, as tables\n"
	"  " READER_NAME " --top 10 --sort bytes flows      the ten biggest flows by bytes\n"
	"  " READER_NAME " -i eth0 -w 2 totals protocols    live rates on eth0, every 2 s\n"
	"  " READER_NAME " --format json flows | jq '.flows[] | select(.proto == 6)'\n"
	"  " READER_NAME " --format prometheus -o /var/lib/node_exporter/xdpflow.prom totals\n"
	"  " READER_NAME " --drain --ipfix collector.example.net     flows since the last drain\n"
	"  " READER_NAME " --drain --ipfix [2001:db8::9]:4739 --format prometheus \\\n"
	"      -o /var/lib/node_exporter/xdpflow.prom totals protocols   both, from one drain\n"
	"\n"
	"Exit status: 0 on success, 1 when the maps cannot be read or the output or collector\n"
	"fails, 2 for a usage error.\n"
	"Needs root, or CAP_BPF and CAP_SYS_ADMIN with read access to the pins (--drain: write\n"
	"access).\n";

void reader_print_help(FILE *f)
{
	fputs(help_head, f);
	fputs("Options:\n", f);
	cl_print_options(f, options, N_OPTIONS, 1, SECTION_OPTIONS, HELP_COLUMN);
	fputs("\nExport (docs/EXPORT.md):\n", f);
	cl_print_options(f, options, N_OPTIONS, 1, SECTION_EXPORT, HELP_COLUMN);
	fputs(help_tail, f);
}

/* ---- After the options: views, and what goes together ---- */

static void set_defaults(struct reader_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->pin_path = pin_path_default();
	o->format = FORMAT_TABLE;
	o->sort = SORT_NONE;
	o->ipfix_rate = READER_DEFAULT_IPFIX_RATE;
	o->state_dir = getenv(XDPFLOW_STATE_DIR_ENV);
	if (!o->state_dir || !*o->state_dir)
		o->state_dir = XDPFLOW_STATE_DIR;
}

static int parse_views(int first, int argc, char **argv, struct reader_opts *o, char *err,
		       size_t errlen)
{
	int i, v;

	for (i = first; i < argc; i++) {
		v = lookup_name(argv[i], reader_view_names, VIEW_COUNT);
		if (v < 0)
			return cl_error(err, errlen, "unknown view '%s'; views are totals, protocols, "
					"sources and flows", argv[i]);
		o->views[v] = true;
		o->views_given = true;
	}
	/* With --ipfix the flows go to the collector; only named views are printed. */
	if (!o->views_given && !o->ipfix)
		for (v = 0; v < VIEW_COUNT; v++)
			o->views[v] = true;
	for (v = 0; v < VIEW_COUNT; v++)
		o->print |= o->views[v];
	return 0;
}

/* What --drain refuses (docs/EXPORT.md). */
static int check_drain(const struct reader_opts *o, char *err, size_t errlen)
{
	if (o->watch_s)
		return cl_error(err, errlen, "--drain does not repeat with --watch: run it from a "
				"timer or cron (docs/EXPORT.md)");
	if (o->top)
		return cl_error(err, errlen, "--drain with --top: the rows beyond the top %lu would "
				"be reset without being reported", o->top);
	if (o->n_ifnames)
		return cl_error(err, errlen, "--drain with --interface: the other interfaces' counts "
				"would be reset without being reported");
	if (o->format == FORMAT_PROMETHEUS && !o->output && o->print)
		return cl_error(err, errlen, "--drain with --format prometheus needs --output FILE "
				"(FILE keeps the running totals; Prometheus counters must not go "
				"back to zero)");
	return 0;
}

/* Options that make sense only together. */
static int check_combination(const struct reader_opts *o, char *err, size_t errlen)
{
	static const char *const ipfix_tuning_names[] = { "--odid", "--mtu", "--ipfix-rate" };
	int i;

	if (o->sort == SORT_RATE && !o->watch_s)
		return cl_error(err, errlen, "--sort rate needs --watch S: a rate is the change between "
				"two reads");
	if (o->prometheus_flows && o->format != FORMAT_PROMETHEUS)
		return cl_error(err, errlen, "--prometheus-flows needs --format prometheus");
	if (o->prometheus_sources && o->format != FORMAT_PROMETHEUS)
		return cl_error(err, errlen, "--prometheus-sources needs --format prometheus");
	if (!o->pin_path[0])
		return cl_error(err, errlen, "--pin-path: empty folder name");
	if (!o->state_dir[0])
		return cl_error(err, errlen, "--state-dir: empty folder name");
	for (i = 0; i < 3; i++)
		if (o->ipfix_tuning[i] && !o->ipfix)
			return cl_error(err, errlen, "%s needs --ipfix HOST[:PORT]",
					ipfix_tuning_names[i]);
	if (o->ipfix && !o->print && (o->format_given || o->output))
		return cl_error(err, errlen, "--ipfix sends the flows to the collector and prints no "
				"view unless named: add the VIEWs to write (e.g. totals protocols)");
	return o->drain ? check_drain(o, err, errlen) : 0;
}

int reader_parse_options(int argc, char **argv, struct reader_opts *o, char *err, size_t errlen)
{
	int first;

	set_defaults(o);
	first = cl_parse(options, N_OPTIONS, 1, false, argc, argv, o, err, errlen);
	if (first == -ENOENT) {
		/* What the options are and take: --help, from the same table. */
		snprintf(err + strlen(err), errlen - strlen(err), " (see --help)");
		return -EINVAL;
	}
	if (first < 0)
		return first;
	if (o->help || o->version)
		return 0;
	if (parse_views(first, argc, argv, o, err, errlen))
		return -EINVAL;
	return check_combination(o, err, errlen);
}
