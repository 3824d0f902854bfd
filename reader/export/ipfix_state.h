/* SPDX-License-Identifier: GPL-2.0 */
/* --ipfix: the sequence number kept per (collector, observation domain) in the state folder, so runs make one stream. */
#ifndef XDPFLOW_IPFIX_STATE_H
#define XDPFLOW_IPFIX_STATE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include "export/ipfix.h"

/*
 * RFC 7011's sequence number counts the data records an exporter sent in
 * an observation domain.  The reader is a new process on every run, so
 * the number is kept in STATE_DIR/ipfix/ADDR_port_PORT-odid-N.seq (one
 * line, the next number), locked for the run: the runs of a cron job are
 * one exporter to the collector (nfcapd counts no sequence failure), and
 * two readers exporting to one stream take turns instead of mixing
 * numbers.  The state folder is --state-dir, else $XDPFLOW_STATE_DIR if set
 * and not empty, else /var/lib/xdpflow.
 */
#define XDPFLOW_STATE_DIR "/var/lib/xdpflow"
#define XDPFLOW_STATE_DIR_ENV "XDPFLOW_STATE_DIR"

struct ipfix_state {
	int fd; /* the locked file, -1: none */
	char path[PATH_MAX];
};

/*
 * Open (creating the folders and the file) and lock exp's stream's file and
 * read the next sequence number into *next (0 for a new stream).  -errno
 * with one line in msg.
 */
int ipfix_state_open(struct ipfix_state *st, const char *state_dir,
		     const struct ipfix_exporter *exp, uint32_t *next, char *msg, size_t msglen);

/* Write the next sequence number and fsync it; 0 or -errno. */
int ipfix_state_save(struct ipfix_state *st, uint32_t next);

void ipfix_state_close(struct ipfix_state *st);

#endif /* XDPFLOW_IPFIX_STATE_H */
