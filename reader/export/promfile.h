/* SPDX-License-Identifier: GPL-2.0 */
/* --drain --format prometheus --output FILE: FILE keeps running totals, each drain adds its counts. */
#ifndef XDPFLOW_PROMFILE_H
#define XDPFLOW_PROMFILE_H

#include <stddef.h>
#include <stdio.h>

/*
 * Prometheus counters must only grow, but a drain reports what arrived
 * since the previous drain.  So a drain writing the Prometheus format to
 * FILE adds its counts to the ones FILE already holds: every series of
 * type counter is the sum of every drain since FILE was started (series
 * this drain did not see keep their value), while gauges (the flow
 * table's fill and size) take this drain's value.  The first line of
 * such a file marks it; a FILE without that line (e.g. written by a reader
 * without --drain, whose counters are totals already) is refused rather
 * than added to.  A missing or empty FILE starts at zero.
 */
#define PROMFILE_MARK "# xdpflow-reader --drain: running totals of every drain since this file was started"

struct prom_sample {
	const char *series; /* name{labels}, not NUL-terminated */
	size_t len;
	unsigned long long value;
};

struct prom_family {
	const char *name; /* not NUL-terminated */
	size_t name_len;
	const char *help, *type; /* whole "# HELP"/"# TYPE" lines (to the newline), or NULL */
	size_t help_len, type_len;
	int counter; /* TYPE counter */
	struct prom_sample *v;
	size_t n, cap;
	int sorted;
};

struct prom_text {
	char *buf; /* owned copy of the text; everything above points into it */
	size_t len;
	struct prom_family *fam;
	size_t n, cap;
};

/*
 * Read FILE (its previous contents).  ENOENT or an empty file: nothing.
 * -errno (-EPROTO: not a running-totals file, or a line this reader would
 * not write) with one line in msg.
 */
int promfile_load(struct prom_text *t, const char *path, char *msg, size_t msglen);

/* Parse text (this drain's Prometheus output); takes a copy. */
int promfile_parse(struct prom_text *t, const char *text, size_t len, char *msg, size_t msglen);

/* Write the mark, then old + new as described above. */
int promfile_merge(struct prom_text *old, struct prom_text *new, FILE *out);

/* The value of the sample without labels of family name (a gauge such as xdpflow_drain_id); -ENOENT. */
int promfile_value(struct prom_text *t, const char *name, unsigned long long *value);

void promfile_free(struct prom_text *t);

#endif /* XDPFLOW_PROMFILE_H */
