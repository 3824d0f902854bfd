/* SPDX-License-Identifier: GPL-2.0 */
/* xdpflow-reader: command-line options, views and output formats shared by its parts. */
#ifndef XDPFLOW_READER_H
#define XDPFLOW_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* XDPFLOW_VERSION comes from the Makefile (debian/changelog's version). */
#ifndef XDPFLOW_VERSION
#error "XDPFLOW_VERSION is not defined: build with make"
#endif

#define READER_NAME "xdpflow-reader"

/* Order here is the order of the output. */
enum reader_view {
	VIEW_TOTALS,
	VIEW_PROTOCOLS,
	VIEW_SOURCES,
	VIEW_FLOWS,
	VIEW_COUNT,
};

enum reader_format {
	FORMAT_TABLE,
	FORMAT_JSON,
	FORMAT_CSV,
	FORMAT_PROMETHEUS,
	FORMAT_NDJSON, /* JSON Lines: one object per record per line */
};

enum reader_sort {
	SORT_NONE, /* protocols by interface and number, sources by packets, flows as read */
	SORT_PACKETS,
	SORT_BYTES,
	SORT_RATE, /* bits per second now (--watch), then packets per second, then bytes */
};

/* --interface may be given this many times. */
#define READER_MAX_IFACE_FILTERS 16
/* --watch at most a day; --top at most this many rows. */
#define READER_MAX_WATCH_S 86400UL
#define READER_MAX_TOP 100000000UL
/* --ipfix-rate: default and largest (records per second). */
#define READER_DEFAULT_IPFIX_RATE 200000UL
#define READER_MAX_IPFIX_RATE 100000000UL

struct reader_opts {
	const char *pin_path;
	enum reader_format format;
	unsigned long top; /* 0: every row */
	enum reader_sort sort;
	const char *ifnames[READER_MAX_IFACE_FILTERS];
	int n_ifnames;
	unsigned long watch_s; /* 0: read once */
	bool views[VIEW_COUNT];
	bool prometheus_flows; /* per-flow series in the Prometheus format */
	bool prometheus_sources; /* per-source series in the Prometheus format */
	bool utc; /* tables show times in UTC, not local time */
	bool wide; /* the flows table shows every column in full, however wide */
	bool views_given; /* VIEWs named on the command line */
	bool print; /* some view goes to the output (stdout or --output) */
	/* Export (docs/EXPORT.md). */
	bool drain; /* report the counts and reset them, exactly once */
	const char *output; /* --output FILE, replaced atomically; NULL: stdout */
	const char *ipfix; /* --ipfix collector, HOST[:PORT]; NULL: none */
	unsigned long odid; /* IPFIX observation domain ID */
	unsigned long mtu; /* IPFIX message size; 0: IPFIX_DEFAULT_MTU */
	unsigned long ipfix_rate; /* records per second; 0: unpaced */
	const char *state_dir; /* the IPFIX sequence numbers between runs (export/ipfix_state.h) */
	int verbose;
	bool help;
	bool version;
	/* Given on the command line, for the checks of what goes together. */
	bool format_given;
	bool ipfix_tuning[3]; /* --odid, --mtu, --ipfix-rate */
};

extern const char *const reader_view_names[VIEW_COUNT];

/*
 * Parse the command line into o (defaults filled in first).  Returns 0, or
 * -EINVAL for a usage error with a one-line reason (no program name, no
 * newline) in err.  Interface names are only collected here; main checks
 * that they exist.
 */
int reader_parse_options(int argc, char **argv, struct reader_opts *o, char *err, size_t errlen);

/* --help, from the table of options. */
void reader_print_help(FILE *f);

#endif /* XDPFLOW_READER_H */
