// SPDX-License-Identifier: GPL-2.0
/* Unit tests of xdpflow-reader's option parsing: defaults, every number check, usage errors. */
// links: reader/options.c reader/format/names.c
#include "testlib.h"
#include "reader.h"

#define MAX_ARGS 16

/* Parse a NULL-terminated argument list (without the program name). */
static int parse(struct reader_opts *o, char *err, const char *first, ...)
{
	char *argv[MAX_ARGS + 2] = { "xdpflow-reader" };
	const char *a;
	int argc = 1;
	va_list ap;

	va_start(ap, first);
	for (a = first; a && argc <= MAX_ARGS; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	return reader_parse_options(argc, argv, o, err, 256);
}

static void test_defaults(void)
{
	struct reader_opts o;
	struct tl_check c;
	char err[256];
	int v;

	tl_begin(&c, "options_defaults");
	tl_expect_u64(&c, "status", parse(&o, err, NULL), 0);
	tl_expect(&c, !strcmp(o.pin_path, "/sys/fs/bpf/xdpflow"), "pin path %s", o.pin_path);
	tl_expect_u64(&c, "format", o.format, FORMAT_TABLE);
	tl_expect_u64(&c, "top", o.top, 0);
	tl_expect_u64(&c, "sort", o.sort, SORT_NONE);
	tl_expect_u64(&c, "watch", o.watch_s, 0);
	tl_expect_u64(&c, "interfaces", o.n_ifnames, 0);
	for (v = 0; v < VIEW_COUNT; v++)
		tl_expect(&c, o.views[v], "view %s not on by default", reader_view_names[v]);
	tl_end(&c, NULL);
}

static void test_values(void)
{
	struct reader_opts o;
	struct tl_check c;
	char err[256];
	int ret;

	tl_begin(&c, "options_values");
	ret = parse(&o, err, "--pin-path", "/sys/fs/bpf/x", "--format", "json", "--top", "25",
		    "--sort", "bytes", "-i", "eth0", "--interface", "eth1", "--watch", "3", "flows",
		    "sources", NULL);
	tl_expect(&c, ret == 0, "status %d (%s)", ret, err);
	tl_expect(&c, !strcmp(o.pin_path, "/sys/fs/bpf/x"), "pin path %s", o.pin_path);
	tl_expect_u64(&c, "format", o.format, FORMAT_JSON);
	tl_expect_u64(&c, "top", o.top, 25);
	tl_expect_u64(&c, "sort", o.sort, SORT_BYTES);
	tl_expect_u64(&c, "watch", o.watch_s, 3);
	tl_expect_u64(&c, "interfaces", o.n_ifnames, 2);
	tl_expect(&c, o.n_ifnames == 2 && !strcmp(o.ifnames[1], "eth1"), "second interface");
	tl_expect(&c, !o.views[VIEW_TOTALS] && !o.views[VIEW_PROTOCOLS] && o.views[VIEW_SOURCES] &&
			      o.views[VIEW_FLOWS],
		  "views: only sources and flows expected");
	ret = parse(&o, err, "-f", "prometheus", "--prometheus-flows", "-n", "1", "-s", "packets",
		    "-w", "86400", "-v", "-v", "totals", NULL);
	tl_expect(&c, ret == 0, "short options: status %d (%s)", ret, err);
	tl_expect_u64(&c, "format", o.format, FORMAT_PROMETHEUS);
	tl_expect(&c, o.prometheus_flows, "--prometheus-flows");
	tl_expect_u64(&c, "verbose", o.verbose, 2);
	tl_expect_u64(&c, "watch max", o.watch_s, 86400);
	ret = parse(&o, err, "--format", "ndjson", NULL);
	tl_expect(&c, ret == 0 && o.format == FORMAT_NDJSON, "--format ndjson: status %d (%s)", ret,
		  err);
	ret = parse(&o, err, "--sort", "rate", "--watch", "2", NULL);
	tl_expect(&c, ret == 0 && o.sort == SORT_RATE, "--sort rate with --watch: status %d (%s)",
		  ret, err);
	ret = parse(&o, err, "--format=csv", "--top=100000000", NULL);
	tl_expect(&c, ret == 0 && o.format == FORMAT_CSV && o.top == 100000000,
		  "--opt=value forms: status %d", ret);
	ret = parse(&o, err, "--help", "bogus-view", NULL);
	tl_expect(&c, ret == 0 && o.help, "--help wins over what follows");
	ret = parse(&o, err, "--version", NULL);
	tl_expect(&c, ret == 0 && o.version, "--version");
	ret = parse(&o, err, "-V", NULL);
	tl_expect(&c, ret == 0 && o.version, "-V");
	tl_end(&c, NULL);
}

struct bad_case {
	const char *name;
	const char *args[4];
	const char *message; /* a part of the one-line reason */
};

static const struct bad_case bad_cases[] = {
	{ "top_negative", { "--top", "-5" }, "--top -5" },
	{ "top_zero", { "--top", "0" }, "from 1" },
	{ "top_word", { "--top", "ten" }, "--top ten" },
	{ "top_trailing", { "--top", "10x" }, "--top 10x" },
	{ "top_plus", { "--top", "+10" }, "--top +10" },
	{ "top_blank", { "--top", " 10" }, "--top" },
	{ "top_empty", { "--top", "" }, "--top" },
	{ "top_overflow", { "--top", "99999999999999999999999" }, "--top" },
	{ "top_too_big", { "--top", "100000001" }, "--top" },
	{ "format_xml", { "--format", "xml" }, "--format xml" },
	{ "format_case", { "--format", "JSON" }, "--format JSON" },
	{ "sort_time", { "--sort", "time" }, "--sort time" },
	{ "sort_rate_once", { "--sort", "rate" }, "--sort rate needs --watch" },
	{ "prometheus_sources_json", { "--prometheus-sources", "--format", "json" },
	  "--prometheus-sources needs --format prometheus" },
	{ "watch_zero", { "--watch", "0" }, "--watch 0" },
	{ "watch_fraction", { "--watch", "1.5" }, "--watch 1.5" },
	{ "watch_negative", { "--watch", "-1" }, "--watch -1" },
	{ "watch_too_long", { "--watch", "86401" }, "--watch 86401" },
	{ "unknown_view", { "bogus" }, "unknown view 'bogus'" },
	{ "unknown_option", { "--frobnicate" }, "--frobnicate" },
	{ "unknown_short", { "-x" }, "-x" },
	{ "missing_value", { "--top" }, "--top needs a value" },
	{ "missing_value_short", { "-f" }, "-f needs a value" },
	{ "prometheus_flows_alone", { "--prometheus-flows" }, "needs --format prometheus" },
	{ "empty_pin_path", { "--pin-path", "" }, "--pin-path" },
	{ "empty_interface", { "--interface", "" }, "--interface" },
};

static void test_bad(void)
{
	struct reader_opts o;
	struct tl_check c;
	char err[256], name[64];
	size_t i;
	int ret;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *b = &bad_cases[i];

		snprintf(name, sizeof(name), "options_rejects_%s", b->name);
		tl_begin(&c, name);
		ret = parse(&o, err, b->args[0], b->args[1], b->args[2], NULL);
		tl_expect(&c, ret == -EINVAL, "status %d, expected -EINVAL", ret);
		tl_expect(&c, strstr(err, b->message) != NULL, "message '%s' lacks '%s'", err,
			  b->message);
		tl_expect(&c, !strchr(err, '\n'), "message has a newline");
		tl_end(&c, "%s", err);
	}
}

static void test_too_many_interfaces(void)
{
	char *argv[2 * READER_MAX_IFACE_FILTERS + 4] = { "xdpflow-reader" };
	struct reader_opts o;
	struct tl_check c;
	char err[256];
	int i, argc = 1, ret;

	for (i = 0; i <= READER_MAX_IFACE_FILTERS; i++) {
		argv[argc++] = "-i";
		argv[argc++] = "eth0";
	}
	tl_begin(&c, "options_rejects_too_many_interfaces");
	ret = reader_parse_options(argc, argv, &o, err, sizeof(err));
	tl_expect(&c, ret == -EINVAL, "status %d", ret);
	tl_end(&c, "%s", err);
}

int main(int argc, char **argv)
{
	(void)argc;
	tl_init(argv[0]);
	test_defaults();
	test_values();
	test_bad();
	test_too_many_interfaces();
	return tl_summary();
}
