// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the reader's report (every view, every format) over map records from the input. */
// links: reader/view/report.c reader/export/testkill.c reader/view/rates.c pin/read.c pin/keyhash.c pin/clock.c pin/kconfig.c pin/topn.c pin/sources.c reader/format/util.c reader/format/json.c reader/format/csv.c reader/format/table.c reader/format/prom.c pin/names.c reader/format/names.c reader/options.c pin/cmdline.c
#include <ctype.h>
#include <math.h>
#include "fakemaps.h"
#include "view/report.h"

/*
 * The maps hold whatever the input says (fakemaps.h); the options (format,
 * views, --top, --sort, interface filter, --prometheus-flows, a pin path of
 * any bytes, a --watch second round with rates, a flow sink as --ipfix
 * uses) too.  Whatever they are, the output must parse in its format:
 *   json        a sequence of JSON values (RFC 8259 grammar, no raw
 *               control characters in strings);
 *   csv         sections of rows with as many fields as their header, every
 *               row starting with its view's name;
 *   prometheus  comment lines and samples "name{label="v",...} value" with
 *               valid names, escaped label values and numeric values;
 *   table       anything (no crash, no sanitizer report).
 * The sink sees only flows of the interfaces asked for.  (Rows start with
 * their view's name; the header's first column is "view".)
 */

/* ---- JSON ---- */

struct json {
	const char *p, *end;
	int depth;
};

static void json_ws(struct json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r'))
		j->p++;
}

static bool json_value(struct json *j);

static bool json_string(struct json *j)
{
	if (j->p >= j->end || *j->p != '"')
		return false;
	for (j->p++; j->p < j->end; j->p++) {
		unsigned char c = (unsigned char)*j->p;

		if (c == '"') {
			j->p++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c != '\\')
			continue;
		if (++j->p >= j->end)
			return false;
		if (*j->p == 'u') {
			int i;

			for (i = 1; i <= 4; i++)
				if (j->p + i >= j->end || !isxdigit((unsigned char)j->p[i]))
					return false;
			j->p += 4;
		} else if (!strchr("\"\\/bfnrt", *j->p)) {
			return false;
		}
	}
	return false;
}

static bool json_number(struct json *j)
{
	const char *s = j->p;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p >= j->end || !isdigit((unsigned char)*j->p))
		return false;
	if (*j->p == '0')
		j->p++;
	else
		while (j->p < j->end && isdigit((unsigned char)*j->p))
			j->p++;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (j->p >= j->end || !isdigit((unsigned char)*j->p))
			return false;
		while (j->p < j->end && isdigit((unsigned char)*j->p))
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || !isdigit((unsigned char)*j->p))
			return false;
		while (j->p < j->end && isdigit((unsigned char)*j->p))
			j->p++;
	}
	return j->p > s;
}

static bool json_word(struct json *j, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n))
		return false;
	j->p += n;
	return true;
}

static bool json_members(struct json *j, char close, bool object)
{
	j->p++;
	json_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return true;
	}
	for (;;) {
		if (object) {
			json_ws(j);
			if (!json_string(j))
				return false;
			json_ws(j);
			if (j->p >= j->end || *j->p++ != ':')
				return false;
		}
		if (!json_value(j))
			return false;
		json_ws(j);
		if (j->p >= j->end)
			return false;
		if (*j->p == close) {
			j->p++;
			return true;
		}
		if (*j->p++ != ',')
			return false;
	}
}

static bool json_value(struct json *j)
{
	bool ok;

	json_ws(j);
	if (j->p >= j->end || ++j->depth > 64)
		return false;
	switch (*j->p) {
	case '{':
		ok = json_members(j, '}', true);
		break;
	case '[':
		ok = json_members(j, ']', false);
		break;
	case '"':
		ok = json_string(j);
		break;
	case 't':
		ok = json_word(j, "true");
		break;
	case 'f':
		ok = json_word(j, "false");
		break;
	case 'n':
		ok = json_word(j, "null");
		break;
	default:
		ok = json_number(j);
		break;
	}
	j->depth--;
	return ok;
}

static void check_json(const char *text, size_t len)
{
	struct json j = { text, text + len, 0 };
	int docs = 0;

	for (;;) {
		json_ws(&j);
		if (j.p == j.end)
			break;
		fz_assert(json_value(&j), "invalid JSON at byte %zu of %zu: %.60s",
			  (size_t)(j.p - text), len, j.p);
		docs++;
	}
	fz_assert(docs >= 1, "%s", "no JSON document");
}

/* ---- CSV ---- */

/* Fields of one record starting at *p (quotes per RFC 4180); *p moves past its line end. */
static int csv_fields(const char **p, const char *end)
{
	int fields = 1;
	bool quoted = false;

	for (; *p < end; (*p)++) {
		char c = **p;

		if (quoted) {
			if (c == '"') {
				if (*p + 1 < end && (*p)[1] == '"')
					(*p)++;
				else
					quoted = false;
			}
			continue;
		}
		if (c == '"')
			quoted = true;
		else if (c == ',')
			fields++;
		else if (c == '\n') {
			(*p)++;
			return fields;
		}
	}
	fz_assert(!quoted, "%s", "CSV quote not closed");
	return fields;
}

static void check_csv(const char *text, size_t len)
{
	const char *p = text, *end = text + len, *line, *comma;
	int header = 0, n;
	char view[32];

	while (p < end) {
		if (*p == '\n') { /* a blank line ends a section */
			header = 0;
			p++;
			continue;
		}
		line = p;
		comma = memchr(line, ',', (size_t)(end - line));
		n = csv_fields(&p, end);
		fz_assert(comma && comma - line < (long)sizeof(view), "CSV row without a view: %.40s",
			  line);
		if (!header) {
			fz_assert(!strncmp(line, "view,", 5), "CSV header not starting with view: %.40s",
				  line);
			header = n;
			view[0] = '\0';
			continue;
		}
		fz_assert(n == header, "CSV row of %d fields under a header of %d: %.60s", n, header,
			  line);
		if (!view[0])
			snprintf(view, sizeof(view), "%.*s", (int)(comma - line), line);
		fz_assert(!strncmp(line, view, strlen(view)) && line[strlen(view)] == ',',
			  "CSV row of another view in section %s: %.40s", view, line);
	}
}

/* ---- Prometheus text format ---- */

static bool prom_name(const char **p, const char *end, bool label)
{
	const char *s = *p;

	while (*p < end && (isalnum((unsigned char)**p) || **p == '_' || (!label && **p == ':')))
		(*p)++;
	return *p > s && !isdigit((unsigned char)*s);
}

static void check_prom_line(const char *line, const char *end)
{
	const char *p = line;
	char num[64], *nend;
	size_t n;

	if (*p == '#')
		return; /* HELP and TYPE lines */
	fz_assert(prom_name(&p, end, false), "bad metric name: %.60s", line);
	if (p < end && *p == '{') {
		p++;
		while (p < end && *p != '}') {
			fz_assert(prom_name(&p, end, true), "bad label name: %.60s", line);
			fz_assert(p + 1 < end && p[0] == '=' && p[1] == '"', "bad label: %.60s", line);
			for (p += 2; p < end && *p != '"'; p++) {
				if (*p == '\\') {
					p++;
					fz_assert(p < end && strchr("\\\"n", *p), "bad escape: %.60s",
						  line);
				}
			}
			fz_assert(p < end, "label value not closed: %.60s", line);
			p++;
			if (p < end && *p == ',')
				p++;
		}
		fz_assert(p < end, "labels not closed: %.60s", line);
		p++;
	}
	fz_assert(p < end && *p == ' ', "no value: %.60s", line);
	p++;
	n = (size_t)(end - p);
	fz_assert(n > 0 && n < sizeof(num), "value of %zu bytes", n);
	memcpy(num, p, n);
	num[n] = '\0';
	if (strchr(num, ' ')) /* a timestamp may follow */
		*strchr(num, ' ') = '\0';
	(void)strtod(num, &nend);
	fz_assert(!*nend && nend != num, "value \"%s\" is not a number", num);
}

static void check_prom(const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		fz_assert(nl, "%s", "last line without a newline");
		if (nl > p)
			check_prom_line(p, nl);
		p = nl + 1;
	}
}

/* ---- The sink (what --ipfix and --drain export) ---- */

static struct iface_filter sink_filter;
static size_t sink_flows;

static int sink(const struct flow_record *f, const struct flow_clock *clk, int64_t wall_ns,
		void *ctx)
{
	(void)clk, (void)wall_ns, (void)ctx;
	fz_assert(iface_filter_match(&sink_filter, f->key.ifindex), "sink got interface %u",
		  f->key.ifindex);
	sink_flows++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char pin_path[64];
	struct fz_in in = { data, size };
	struct snapshot_tables t = { FAKE_STATS_FD, FAKE_FLOWS_FD, FAKE_CACHE_FD };
	struct rate_memory rates;
	struct reader_opts o;
	struct report r;
	uint8_t sel = fz_u8(&in), views = fz_u8(&in), nfilter = fz_u8(&in) % 4;
	bool watch = sel & 0x40, with_sink = sel & 0x80;
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	int i, err, rounds;

	memset(&o, 0, sizeof(o));
	fz_bytes(&in, pin_path, sizeof(pin_path) - 1); /* any bytes, NUL-terminated */
	o.pin_path = pin_path[0] ? pin_path : XDPFLOW_DEFAULT_PIN_PATH;
	o.format = (enum reader_format)(sel & 3);
	o.sort = (enum reader_sort)((sel >> 2) % 3);
	o.top = (sel & 0x10) ? 1 + fz_u8(&in) % 8 : 0;
	o.prometheus_flows = o.format == FORMAT_PROMETHEUS && (sel & 0x20);
	o.watch_s = watch ? 1 : 0;
	for (i = 0; i < VIEW_COUNT; i++)
		o.views[i] = views & (1u << i);
	o.print = views & 0x0f;
	o.views_given = true;
	memset(&sink_filter, 0, sizeof(sink_filter));
	for (i = 0; i < nfilter; i++)
		sink_filter.ifindex[sink_filter.n++] = fake_ifindex(&in);
	fake_fill(&in);

	out = open_memstream(&text, &len);
	fz_assert(out, "%s", "open_memstream failed");
	if (watch)
		fz_assert(!rate_memory_init(&rates), "%s", "rate_memory_init failed");
	report_init(&r, &o, out, watch ? &rates : NULL);
	r.filter = sink_filter;
	if (with_sink) {
		r.sink = sink;
		sink_flows = 0;
	}
	/* --watch: a second round gives every row a rate. */
	for (rounds = watch ? 2 : 1; rounds--;) {
		fake.calls = 0;
		err = report_run(&r, &t, FAKE_CLOCK_FD, fake.ncpus);
		fz_assert(!err || (fake.fail_call && err == -fake.fail_errno), "report_run: %d", err);
		if (err)
			break;
	}
	if (watch)
		rate_memory_free(&rates);
	fz_assert(!fflush(out) && !ferror(out), "%s", "write error");
	fclose(out);
	if (!err && o.print) {
		if (o.format == FORMAT_JSON)
			check_json(text, len);
		else if (o.format == FORMAT_CSV)
			check_csv(text, len);
		else if (o.format == FORMAT_PROMETHEUS)
			check_prom(text, len);
	}
	free(text);
	return 0;
}
