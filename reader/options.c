// SPDX-License-Identifier: GPL-2.0
/* xdpflow-reader: the command line, parsed into struct reader_opts without touching the system. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include "ipfix.h"
#include "xdpflow.h"
#include "reader.h"

const char *const reader_view_names[VIEW_COUNT] = {
	[VIEW_TOTALS] = "totals",
	[VIEW_PROTOCOLS] = "protocols",
	[VIEW_SOURCES] = "sources",
	[VIEW_FLOWS] = "flows",
};

const char reader_usage[] =
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
	"\n"
	"Options:\n"
	"  -p, --pin-path DIR       pin folder of the maps (default " XDPFLOW_DEFAULT_PIN_PATH ")\n"
	"  -f, --format FORMAT      table (default), json, csv or prometheus\n"
	"  -n, --top N              only the N largest rows of each list (protocols, sources,\n"
	"                           flows), largest first; memory stays bounded by N\n"
	"  -s, --sort KEY           packets or bytes: what --top and the order rank by\n"
	"                           (default packets); --sort without --top sorts every flow in\n"
	"                           memory, while the default streams flows in table order\n"
	"  -i, --interface IFACE    only what IFACE received (may be repeated)\n"
	"  -w, --watch S            read again every S seconds (whole seconds) and show per-second\n"
	"                           rates between the last two reads; Ctrl-C ends it\n"
	"      --prometheus-flows   with --format prometheus: one series per flow as well\n"
	"                           (one per flow and counter: mind the cardinality)\n"
	"  -v, --verbose            say what is read and how long it took, on stderr, and show\n"
	"                           libbpf's log (-vv: debug)\n"
	"  -V, --version            print the version and the map layout version\n"
	"  -h, --help               this text\n"
	"\n"
	"Export (docs/EXPORT.md):\n"
	"      --drain              report the counts and reset them to zero, exactly once: with\n"
	"                           traffic flowing, every frame is in exactly one drain's report\n"
	"                           (the counts are what arrived since the previous drain)\n"
	"  -o, --output FILE        write FILE instead of stdout, atomically: a hidden temporary\n"
	"                           file in FILE's folder, renamed over FILE once complete, so a\n"
	"                           reader of FILE never sees half of it; mode 0666 less the umask,\n"
	"                           or the old FILE's mode\n"
	"      --ipfix HOST[:PORT]  send every flow as IPFIX over UDP to a collector (default port\n"
	"                           4739; [IPV6]:PORT for an IPv6 address); total counters, or\n"
	"                           delta counters with --drain; VIEWs are then printed only\n"
	"                           when named\n"
	"      --odid N             IPFIX observation domain ID (default 0)\n"
	"      --mtu BYTES          largest IPFIX message, 512 to 65507 bytes (default 1400)\n"
	"      --ipfix-rate N       send at most N flow records a second (default 200000; 0: as\n"
	"                           fast as the socket takes them, which can overrun a collector)\n"
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

enum {
	OPT_PROMETHEUS_FLOWS = 256,
	OPT_VERSION,
	OPT_DRAIN,
	OPT_IPFIX,
	OPT_ODID,
	OPT_MTU,
	OPT_IPFIX_RATE,
};

static const struct option long_options[] = {
	{ "pin-path", required_argument, NULL, 'p' },
	{ "format", required_argument, NULL, 'f' },
	{ "top", required_argument, NULL, 'n' },
	{ "sort", required_argument, NULL, 's' },
	{ "interface", required_argument, NULL, 'i' },
	{ "watch", required_argument, NULL, 'w' },
	{ "prometheus-flows", no_argument, NULL, OPT_PROMETHEUS_FLOWS },
	{ "drain", no_argument, NULL, OPT_DRAIN },
	{ "output", required_argument, NULL, 'o' },
	{ "ipfix", required_argument, NULL, OPT_IPFIX },
	{ "odid", required_argument, NULL, OPT_ODID },
	{ "mtu", required_argument, NULL, OPT_MTU },
	{ "ipfix-rate", required_argument, NULL, OPT_IPFIX_RATE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char *const format_names[] = {
	[FORMAT_TABLE] = "table",
	[FORMAT_JSON] = "json",
	[FORMAT_CSV] = "csv",
	[FORMAT_PROMETHEUS] = "prometheus",
};

static int usage_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	/* Arguments are echoed: whatever they hold, the reason stays one printable line. */
	for (p = err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return -EINVAL;
}

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

static void set_defaults(struct reader_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->pin_path = XDPFLOW_DEFAULT_PIN_PATH;
	o->format = FORMAT_TABLE;
	o->sort = SORT_NONE;
	o->ipfix_rate = READER_DEFAULT_IPFIX_RATE;
}

/* Options that make sense only together. */
static int check_combination(struct reader_opts *o, bool format_given, bool any_view,
			     const bool *ipfix_opt, char *err, size_t errlen)
{
	static const char *const ipfix_opt_names[] = { "--odid", "--mtu", "--ipfix-rate" };
	int v;

	o->views_given = any_view;
	/* With --ipfix the flows go to the collector; only named views are printed. */
	if (!any_view && !o->ipfix)
		for (v = 0; v < VIEW_COUNT; v++)
			o->views[v] = true;
	for (v = 0; v < VIEW_COUNT; v++)
		o->print |= o->views[v];
	if (o->prometheus_flows && o->format != FORMAT_PROMETHEUS)
		return usage_error(err, errlen, "--prometheus-flows needs --format prometheus");
	if (!o->pin_path[0])
		return usage_error(err, errlen, "--pin-path: empty folder name");
	for (v = 0; v < 3; v++)
		if (ipfix_opt[v] && !o->ipfix)
			return usage_error(err, errlen, "%s needs --ipfix HOST[:PORT]",
					   ipfix_opt_names[v]);
	if (o->ipfix && !o->print && (format_given || o->output))
		return usage_error(err, errlen, "--ipfix sends the flows to the collector and prints "
				   "no view unless named: add the VIEWs to write (e.g. totals protocols)");
	if (!o->drain)
		return 0;
	if (o->watch_s)
		return usage_error(err, errlen, "--drain does not repeat with --watch: run it from a "
				   "timer or cron (docs/EXPORT.md)");
	if (o->top)
		return usage_error(err, errlen, "--drain with --top: the rows beyond the top %lu "
				   "would be reset without being reported", o->top);
	if (o->n_ifnames)
		return usage_error(err, errlen, "--drain with --interface: the other interfaces' "
				   "counts would be reset without being reported");
	if (o->format == FORMAT_PROMETHEUS && !o->output && o->print)
		return usage_error(err, errlen, "--drain with --format prometheus needs --output FILE "
				   "(FILE keeps the running totals; Prometheus counters must not "
				   "go back to zero)");
	return 0;
}

static int parse_option(int opt, const char *arg, struct reader_opts *o, char *err, size_t errlen)
{
	int i, ret;

	switch (opt) {
	case 'p':
		o->pin_path = arg;
		return 0;
	case 'f':
		i = lookup_name(arg, format_names, 4);
		if (i < 0)
			return usage_error(err, errlen, "--format %s: unknown format; use table, json, "
					   "csv or prometheus", arg);
		o->format = i;
		return 0;
	case 'n':
		ret = parse_count(arg, 1, READER_MAX_TOP, &o->top);
		if (ret)
			return usage_error(err, errlen, "--top %s: expected a whole number from 1 to %lu",
					   arg, READER_MAX_TOP);
		return 0;
	case 's':
		if (!strcmp(arg, "packets"))
			o->sort = SORT_PACKETS;
		else if (!strcmp(arg, "bytes"))
			o->sort = SORT_BYTES;
		else
			return usage_error(err, errlen, "--sort %s: sort by packets or bytes", arg);
		return 0;
	case 'i':
		if (!arg[0])
			return usage_error(err, errlen, "--interface: empty interface name");
		if (o->n_ifnames == READER_MAX_IFACE_FILTERS)
			return usage_error(err, errlen, "--interface given more than %d times",
					   READER_MAX_IFACE_FILTERS);
		o->ifnames[o->n_ifnames++] = arg;
		return 0;
	case 'w':
		ret = parse_count(arg, 1, READER_MAX_WATCH_S, &o->watch_s);
		if (ret)
			return usage_error(err, errlen, "--watch %s: expected whole seconds from 1 to %lu",
					   arg, READER_MAX_WATCH_S);
		return 0;
	case OPT_PROMETHEUS_FLOWS:
		o->prometheus_flows = true;
		return 0;
	case OPT_DRAIN:
		o->drain = true;
		return 0;
	case 'o':
		if (!arg[0])
			return usage_error(err, errlen, "--output: empty file name");
		o->output = arg;
		return 0;
	case OPT_IPFIX:
		if (!arg[0])
			return usage_error(err, errlen, "--ipfix: empty collector; give HOST, HOST:PORT "
					   "or [IPV6]:PORT");
		o->ipfix = arg;
		return 0;
	case OPT_ODID:
		if (parse_count(arg, 0, UINT32_MAX, &o->odid))
			return usage_error(err, errlen, "--odid %s: expected a whole number from 0 "
					   "to %u", arg, UINT32_MAX);
		return 0;
	case OPT_MTU:
		if (parse_count(arg, IPFIX_MIN_MTU, IPFIX_MAX_MTU, &o->mtu))
			return usage_error(err, errlen, "--mtu %s: expected bytes from %d to %d", arg,
					   IPFIX_MIN_MTU, IPFIX_MAX_MTU);
		return 0;
	case OPT_IPFIX_RATE:
		if (parse_count(arg, 0, READER_MAX_IPFIX_RATE, &o->ipfix_rate))
			return usage_error(err, errlen, "--ipfix-rate %s: expected records per second "
					   "from 0 (unpaced) to %lu", arg, READER_MAX_IPFIX_RATE);
		return 0;
	case 'v':
		o->verbose++;
		return 0;
	case 'V':
	case OPT_VERSION:
		o->version = true;
		return 0;
	case 'h':
		o->help = true;
		return 0;
	}
	return -EINVAL;
}

int reader_parse_options(int argc, char **argv, struct reader_opts *o, char *err, size_t errlen)
{
	bool any_view = false, format_given = false, ipfix_opt[3] = { false, false, false };
	int opt, ret, v;

	set_defaults(o);
	err[0] = '\0';
	/* optind 0 makes glibc start over, so this can run more than once (tests). */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":p:f:n:s:i:w:o:vVh", long_options, NULL)) != -1) {
		if (opt == '?') {
			if (optopt)
				return usage_error(err, errlen, "unknown option -%c (see --help)", optopt);
			return usage_error(err, errlen, "unknown option %s (see --help)",
					   argv[optind - 1]);
		}
		if (opt == ':')
			return usage_error(err, errlen, "%s needs a value (see --help)",
					   argv[optind - 1]);
		ret = parse_option(opt, optarg, o, err, errlen);
		if (ret)
			return ret;
		format_given |= opt == 'f';
		if (opt >= OPT_ODID && opt <= OPT_IPFIX_RATE)
			ipfix_opt[opt - OPT_ODID] = true;
	}
	if (o->help || o->version)
		return 0;
	for (; optind < argc; optind++) {
		v = lookup_name(argv[optind], reader_view_names, VIEW_COUNT);
		if (v < 0)
			return usage_error(err, errlen, "unknown view '%s'; views are totals, "
					   "protocols, sources and flows", argv[optind]);
		o->views[v] = true;
		any_view = true;
	}
	return check_combination(o, format_given, any_view, ipfix_opt, err, errlen);
}
