// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the reader's report (every view, every format) over map records from the input. */
// links: reader/view/report.c reader/export/testkill.c reader/view/rates.c pin/read.c pin/array.c pin/keyhash.c pin/clock.c pin/kconfig.c pin/topn.c pin/sources.c reader/format/util.c reader/format/json.c reader/format/csv.c reader/format/table.c reader/format/prom.c pin/names.c reader/format/names.c reader/options.c pin/cmdline.c pin/log.c
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
 * The sink sees only flows of the interfaces asked for; every flow printed
 * (JSON, CSV, Prometheus) has the packets and bytes of one of the sink's
 * records, and CSV's and Prometheus' protocol, source and flow rows those
 * of the JSON of the same read (check_values).  (Rows start with their view's name; the
 * header's first column is "view".)
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

/* JSON Lines: every line one complete object, nothing else on it; the text ends a line. */
static void check_ndjson(const char *text, size_t len)
{
	const char *line = text, *nl;
	struct json j;

	fz_assert(!len || text[len - 1] == '\n', "%s", "JSON Lines not ending with a newline");
	for (; line < text + len; line = nl + 1) {
		nl = memchr(line, '\n', text + len - line);
		j = (struct json){ line, nl, 0 };
		fz_assert(*line == '{' && json_value(&j) && j.p == nl,
			  "line at byte %zu is not one JSON object: %.60s", (size_t)(line - text), line);
	}
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

#define MAX_PAIRS (FAKE_MAX_FLOWS + XDPFLOW_FLOWCACHE_ENTRIES * FAKE_MAX_CPUS)

/* A flow's (packets, bytes), as the sink got it or as a format printed it. */
struct pair {
	__u64 packets, bytes;
};

static struct iface_filter sink_filter;
static size_t sink_flows;
static struct pair sink_pairs[MAX_PAIRS];

static int sink(const struct flow_record *f, const struct flow_clock *clk, int64_t wall_ns,
		void *ctx)
{
	(void)clk, (void)wall_ns, (void)ctx;
	fz_assert(iface_filter_match(&sink_filter, f->key.ifindex), "sink got interface %u",
		  f->key.ifindex);
	fz_assert(sink_flows < MAX_PAIRS, "sink got more than %d flows", MAX_PAIRS);
	sink_pairs[sink_flows++] = (struct pair){ f->c.packets, f->c.bytes };
	return 0;
}

/* ---- The values: every flow printed with the sink's packets and bytes ---- */

/*
 * The sink gets the flow records from the read layer, apart from the
 * emitters; so each printed flow's packets and bytes (JSON, CSV,
 * Prometheus) must be one of its (packets, bytes) pairs, every pair once.
 * Well-formed output with two columns swapped, or a row's values taken
 * from another flow, fails here.
 */
static int pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;

	if (x->packets != y->packets)
		return x->packets < y->packets ? -1 : 1;
	return x->bytes < y->bytes ? -1 : x->bytes > y->bytes;
}

static __u64 number_after(const char *p, const char *end, const char *what)
{
	char *nend;
	__u64 v;

	fz_assert(p && p < end && isdigit((unsigned char)*p), "no number after %s", what);
	v = strtoull(p, &nend, 10);
	fz_assert(nend <= end, "number after %s runs past its line", what);
	return v;
}

/* The value of "KEY": in [line, end), or NULL. */
static const char *json_key(const char *line, const char *end, const char *key)
{
	size_t n = strlen(key);
	const char *p;

	for (p = line; p + n <= end; p++)
		if (!memcmp(p, key, n))
			return p + n;
	return NULL;
}

/* Field i (0-based) of the CSV record at line, quotes per RFC 4180. */
static const char *csv_field(const char *line, const char *end, int i)
{
	bool quoted = false;
	const char *p;

	for (p = line; p < end && i; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (*p == ',' && !quoted)
			i--;
	}
	return i ? NULL : p;
}

static int csv_column(const char *line, const char *end, const char *name)
{
	size_t n = strlen(name);
	const char *f;
	int i;

	for (i = 0; (f = csv_field(line, end, i)); i++)
		if (f + n <= end && !memcmp(f, name, n) && (f + n == end || f[n] == ','))
			return i;
	return -1;
}

/* The views whose rows are compared: protocols, sources, flows. */
enum { PV_PROTOCOLS, PV_SOURCES, PV_FLOWS, PV_COUNT };

struct printed {
	struct pair v[PV_COUNT][MAX_PAIRS];
	size_t n[PV_COUNT], nbytes[PV_COUNT];
};

static void add_pair(struct printed *pr, int view, __u64 packets, __u64 bytes)
{
	fz_assert(pr->n[view] < MAX_PAIRS, "%s", "too many rows printed");
	pr->v[view][pr->n[view]++] = (struct pair){ packets, bytes };
}

/* Prometheus: a view's bytes series come in the order of its packets series. */
static void prom_sample(struct printed *pr, const char *p, const char *nl)
{
	static const char *const names[PV_COUNT][2] = {
		{ "xdpflow_packets_total{", "xdpflow_bytes_total{" },
		{ "xdpflow_source_packets_total{", "xdpflow_source_bytes_total{" },
		{ "xdpflow_flow_packets_total{", "xdpflow_flow_bytes_total{" },
	};
	const char *value = memrchr(p, ' ', (size_t)(nl - p));
	int v;

	for (v = 0; v < PV_COUNT; v++) {
		if (!strncmp(p, names[v][0], strlen(names[v][0]))) {
			add_pair(pr, v, number_after(value + 1, nl, "packets"), 0);
		} else if (!strncmp(p, names[v][1], strlen(names[v][1]))) {
			fz_assert(pr->nbytes[v] < pr->n[v], "%s", "more bytes series than packets series");
			pr->v[v][pr->nbytes[v]++].bytes = number_after(value + 1, nl, "bytes");
		}
	}
}

/* Each row's (packets, bytes) of the protocols, sources and flows views, as printed. */
static void printed_pairs(const char *text, size_t len, enum reader_format format,
			  struct printed *pr)
{
	static const char *const json_views[PV_COUNT] = { "\"protocols\":[", "\"sources\":[",
							  "\"flows\":[" };
	static const char *const csv_views[PV_COUNT] = { "protocols,", "sources,", "flows," };
	const char *p = text, *end = text + len, *nl;
	int view = -1, cp = -1, cb = -1, v;

	memset(pr->n, 0, sizeof(pr->n));
	memset(pr->nbytes, 0, sizeof(pr->nbytes));
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (format == FORMAT_PROMETHEUS) {
			prom_sample(pr, p, nl);
			continue;
		}
		if (format == FORMAT_CSV && !strncmp(p, "view,", 5)) {
			cp = csv_column(p, nl, "packets");
			cb = csv_column(p, nl, "bytes");
			continue;
		}
		for (v = 0; v < PV_COUNT; v++) {
			if (format == FORMAT_JSON && !strncmp(p, json_views[v], strlen(json_views[v])))
				view = v;
			if (format == FORMAT_CSV && !strncmp(p, csv_views[v], strlen(csv_views[v]))) {
				fz_assert(cp > 0 && cb > 0, "%s", "a row without packets and bytes columns");
				add_pair(pr, v, number_after(csv_field(p, nl, cp), nl, "packets"),
					 number_after(csv_field(p, nl, cb), nl, "bytes"));
			}
		}
		if (format == FORMAT_JSON && view >= 0 && !strncmp(p, "{\"ifindex\":", 11))
			add_pair(pr, view, number_after(json_key(p, nl, ",\"packets\":"), nl, "packets"),
				 number_after(json_key(p, nl, ",\"bytes\":"), nl, "bytes"));
	}
	for (v = 0; format == FORMAT_PROMETHEUS && v < PV_COUNT; v++)
		fz_assert(pr->nbytes[v] == pr->n[v], "%zu packets series, %zu bytes series", pr->n[v],
			  pr->nbytes[v]);
}

static void same_pairs(struct pair *a, size_t na, struct pair *b, size_t nb, const char *what)
{
	size_t i;

	fz_assert(na == nb, "%s: %zu rows against %zu", what, na, nb);
	qsort(a, na, sizeof(*a), pair_cmp);
	qsort(b, nb, sizeof(*b), pair_cmp);
	for (i = 0; i < na; i++)
		fz_assert(!pair_cmp(&a[i], &b[i]),
			  "%s: a row of %llu packets, %llu bytes against %llu, %llu", what,
			  (unsigned long long)a[i].packets, (unsigned long long)a[i].bytes,
			  (unsigned long long)b[i].packets, (unsigned long long)b[i].bytes);
}

/*
 * What a format printed, row by row, against the sink (flows) and against
 * the JSON of the same read (the reference for the other views: each
 * format has its own emitter).  A swap of two columns in one emitter, or
 * the values of another row, fails here.
 */
static void check_values(const char *text, size_t len, const struct reader_opts *o,
			 const char *json, size_t json_len, bool flows_to_sink)
{
	static struct printed got, ref;
	static const char *const what[PV_COUNT] = {
		"protocols against the JSON of the same read",
		"sources against the JSON of the same read",
		"flows against the JSON of the same read",
	};
	int v;

	printed_pairs(text, len, o->format, &got);
	if (flows_to_sink)
		same_pairs(got.v[PV_FLOWS], got.n[PV_FLOWS], sink_pairs, sink_flows,
			   "flows printed against the read layer's records");
	if (!json)
		return;
	printed_pairs(json, json_len, FORMAT_JSON, &ref);
	for (v = 0; v < PV_COUNT; v++)
		if (o->format != FORMAT_PROMETHEUS ||
		    (v == PV_FLOWS ? o->prometheus_flows :
		     v == PV_SOURCES ? o->prometheus_sources : true))
			same_pairs(got.v[v], got.n[v], ref.v[v], ref.n[v], what[v]);
		else
			fz_assert(!got.n[v], "%s: %zu Prometheus series without their option", what[v],
				  got.n[v]);
}

/* The same read again, as JSON (the reference of check_values); NULL if it failed. */
static char *json_of(const struct reader_opts *o, const struct snapshot_tables *t, size_t *len)
{
	struct reader_opts j = *o;
	struct report r;
	char *text = NULL;
	FILE *out;
	int err;

	j.format = FORMAT_JSON;
	j.prometheus_flows = false;
	out = open_memstream(&text, len);
	fz_assert(out, "%s", "open_memstream failed");
	report_init(&r, &j, out, NULL);
	r.filter = sink_filter;
	fake.calls = 0;
	err = report_run(&r, t, FAKE_CLOCK_FD, fake.ncpus);
	fz_assert(!fflush(out) && !ferror(out), "%s", "write error");
	fclose(out);
	if (!err)
		return text;
	free(text);
	return NULL;
}

/* The fake tables stay the same between --watch rounds (pin/tables.c is not linked). */
int snapshot_tables_ids(const struct snapshot_tables *t, struct snapshot_table_ids *ids)
{
	ids->stats = t->stats_fd;
	ids->flows = t->flows_fd;
	ids->fcache = t->fcache_fd;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char pin_path[64];
	struct fz_in in = { data, size };
	struct snapshot_tables t = { FAKE_STATS_FD, FAKE_FLOWS_FD, FAKE_CACHE_FD, FAKE_REFUSED_FD,
				     -1, -1 };
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
	o.format = (views & 0x10) ? FORMAT_NDJSON : (enum reader_format)(sel & 3);
	o.sort = (enum reader_sort)((sel >> 2) % 3);
	o.top = (sel & 0x10) ? 1 + fz_u8(&in) % 8 : 0;
	o.prometheus_flows = o.format == FORMAT_PROMETHEUS && (sel & 0x20);
	o.prometheus_sources = o.format == FORMAT_PROMETHEUS && (views & 0x20);
	o.wide = o.format == FORMAT_TABLE && (views & 0x40); /* both flows tables' layouts */
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
		else if (o.format == FORMAT_NDJSON)
			check_ndjson(text, len);
		/* The values, one round only: against the sink's records (every flow printed
		 * once: no --top) and, for CSV and Prometheus, against the JSON of the same read. */
		if (!watch && o.format != FORMAT_TABLE && o.format != FORMAT_NDJSON) {
			bool to_sink = with_sink && !o.top && o.views[VIEW_FLOWS] &&
				       (o.format != FORMAT_PROMETHEUS || o.prometheus_flows);
			size_t jlen = 0;
			char *json = o.format != FORMAT_JSON ? json_of(&o, &t, &jlen) : NULL;

			check_values(text, len, &o, json, jlen, to_sink);
			free(json);
		}
	}
	free(text);
	return 0;
}
