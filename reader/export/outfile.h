/* SPDX-License-Identifier: GPL-2.0 */
/* --output FILE: write a hidden temporary file next to FILE, then fsync and rename it over FILE. */
#ifndef XDPFLOW_OUTFILE_H
#define XDPFLOW_OUTFILE_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

/*
 * A reader of FILE (node_exporter's textfile collector, a log shipper)
 * sees the old FILE or the new one, never a part: the output goes to
 * ".NAME.XXXXXX" in FILE's folder (hidden, and not ending in ".prom", so
 * a textfile collector ignores it), is flushed and fsync'ed, renamed over
 * FILE, and the folder fsync'ed.  On any failure the temporary file is
 * removed and FILE is left as it was.  A process killed while writing
 * leaves its hidden temporary file behind (only that; FILE is intact).
 *
 * The new FILE gets the old FILE's permission bits (and, when allowed, its
 * owner and group); a new FILE gets 0666 less the umask, as a shell's
 * redirection would (0644 with the usual umask 022).
 */
struct out_file {
	char path[PATH_MAX];
	char tmp[PATH_MAX];
	FILE *f; /* the temporary file; NULL when not open */
	char *buf; /* its stdio buffer */
};

/*
 * Create the temporary file: this is the check that FILE's folder exists
 * and takes files, made before anything changes.  -errno with one line in
 * msg on failure.
 */
int out_file_open(struct out_file *o, const char *path, char *msg, size_t msglen);

/* Flush, fsync, rename over FILE; -errno with one line in msg (then FILE is unchanged). */
int out_file_commit(struct out_file *o, char *msg, size_t msglen);

/* Remove the temporary file; FILE stays as it was.  Safe on a closed out_file. */
void out_file_abort(struct out_file *o);

#endif /* XDPFLOW_OUTFILE_H */
