// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: xdpflow-reader's command line (reader_parse_options) with argv built from the input. */
// links: reader/format/names.c reader/options.c pin/cmdline.c
#include <errno.h>
#include "fuzz.h"
#include "export/ipfix.h"
#include "xdpflow.h"
#include "reader.h"

/*
 * The input is argv[1..]: strings separated by NUL bytes.  Whatever they
 * are, parsing must return 0 or -EINVAL, explain a usage error in one
 * line, leave only values in their documented ranges, point every string
 * it keeps into argv, and give the same answer when run again (getopt's
 * state is reset on every call).
 */

#define MAX_ARGS 48

static bool in_argv(const char *s, char **argv, int argc)
{
	int i;

	for (i = 0; i < argc; i++)
		if (s == argv[i] || (s > argv[i] && s <= argv[i] + strlen(argv[i])))
			return true;
	return false;
}

static void check_opts(const struct reader_opts *o, char **argv, int argc)
{
	bool any = false;
	int v, i;

	fz_assert(o->format >= FORMAT_TABLE && o->format <= FORMAT_NDJSON, "format %d",
		  o->format);
	fz_assert(o->sort >= SORT_NONE && o->sort <= SORT_RATE, "sort %d", o->sort);
	fz_assert(o->top <= READER_MAX_TOP, "top %lu", o->top);
	fz_assert(o->watch_s <= READER_MAX_WATCH_S, "watch %lu", o->watch_s);
	fz_assert(o->n_ifnames >= 0 && o->n_ifnames <= READER_MAX_IFACE_FILTERS, "%d interfaces",
		  o->n_ifnames);
	fz_assert(o->pin_path, "%s", "no pin path");
	fz_assert(!strcmp(o->pin_path, XDPFLOW_DEFAULT_PIN_PATH) || in_argv(o->pin_path, argv, argc),
		  "pin path %s from nowhere", o->pin_path);
	for (i = 0; i < o->n_ifnames; i++) {
		fz_assert(o->ifnames[i] && o->ifnames[i][0], "empty interface name accepted");
		fz_assert(in_argv(o->ifnames[i], argv, argc), "interface %s from nowhere",
			  o->ifnames[i]);
	}
	/* --help and --version end parsing before the combination checks. */
	if (o->help || o->version)
		return;
	fz_assert(o->pin_path[0], "%s", "empty pin path accepted");
	for (v = 0; v < VIEW_COUNT; v++)
		any |= o->views[v];
	/* Every view by default; with --ipfix only those named. */
	fz_assert(any || (o->ipfix && !o->views_given), "%s", "no view selected");
	fz_assert(o->print == any, "print %d with views %d", o->print, any);
	fz_assert(!o->prometheus_flows || o->format == FORMAT_PROMETHEUS,
		  "--prometheus-flows with format %d", o->format);
	fz_assert(!o->output || (o->output[0] && in_argv(o->output, argv, argc)),
		  "output \"%s\"", o->output);
	fz_assert(!o->ipfix || (o->ipfix[0] && in_argv(o->ipfix, argv, argc)), "ipfix \"%s\"",
		  o->ipfix);
	fz_assert(o->odid <= UINT32_MAX, "odid %lu", o->odid);
	fz_assert(!o->mtu || (o->mtu >= IPFIX_MIN_MTU && o->mtu <= IPFIX_MAX_MTU), "mtu %lu",
		  o->mtu);
	fz_assert(o->ipfix_rate <= READER_MAX_IPFIX_RATE, "ipfix rate %lu", o->ipfix_rate);
	fz_assert(o->ipfix || (!o->odid && !o->mtu && o->ipfix_rate == READER_DEFAULT_IPFIX_RATE),
		  "%s", "IPFIX settings without --ipfix");
	/* What --help says --drain refuses. */
	if (o->drain) {
		fz_assert(!o->watch_s && !o->top && !o->n_ifnames,
			  "--drain with watch %lu, top %lu, %d interfaces", o->watch_s, o->top,
			  o->n_ifnames);
		fz_assert(o->format != FORMAT_PROMETHEUS || o->output || !o->print, "%s",
			  "--drain --format prometheus to stdout");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[1 << 16], err[256], err2[256];
	char *argv[MAX_ARGS + 2], *copy[MAX_ARGS + 2];
	struct reader_opts o, o2;
	struct fz_in in = { data, size };
	int argc, ret, ret2;

	if (size >= sizeof(buf))
		return 0;
	argv[0] = "xdpflow-reader";
	argc = 1 + fz_strings(&in, buf, argv + 1, MAX_ARGS);
	argv[argc] = NULL;
	/* getopt_long permutes argv: keep the original order for the second run. */
	memcpy(copy, argv, sizeof(argv[0]) * (argc + 1));

	memset(err, 'x', sizeof(err));
	ret = reader_parse_options(argc, argv, &o, err, sizeof(err));
	fz_assert(ret == 0 || ret == -EINVAL, "returned %d", ret);
	fz_assert(memchr(err, '\0', sizeof(err)), "error text not terminated");
	if (ret) {
		fz_assert(err[0], "usage error without a reason");
		fz_assert(!strchr(err, '\n'), "reason of more than one line: %s", err);
	} else {
		fz_assert(!err[0], "success with an error text: %s", err);
		check_opts(&o, copy, argc);
	}

	ret2 = reader_parse_options(argc, copy, &o2, err2, sizeof(err2));
	fz_assert(ret2 == ret, "second parse returned %d, first %d", ret2, ret);
	fz_assert(!strcmp(err, err2), "second parse said \"%s\", first \"%s\"", err2, err);
	if (!ret) {
		fz_assert(o.format == o2.format && o.top == o2.top && o.sort == o2.sort &&
				  o.watch_s == o2.watch_s && o.n_ifnames == o2.n_ifnames &&
				  o.verbose == o2.verbose && o.help == o2.help &&
				  o.version == o2.version && !strcmp(o.pin_path, o2.pin_path) &&
				  !memcmp(o.views, o2.views, sizeof(o.views)) && o.drain == o2.drain &&
				  o.odid == o2.odid && o.mtu == o2.mtu &&
				  o.ipfix_rate == o2.ipfix_rate,
			  "%s", "second parse gave other options");
	}
	return 0;
}
