/* SPDX-License-Identifier: GPL-2.0 */
/* --ipfix: the reader's flows as IPFIX records (export/ipfix.c sends them). */
#ifndef XDPFLOW_EXPORT_H
#define XDPFLOW_EXPORT_H

#include <stdint.h>
#include "xdpflow.h"
#include "export/ipfix.h"

/*
 * One flow as an IPFIX record: addresses as in the key, ports in host
 * order (ICMP: type << 8 | code in the destination port, as the key
 * holds it), IP octets from ip_bytes and layer-2 octets from bytes, TCP
 * flags, the ingress interface, and the first and last frame's times in
 * Unix milliseconds (the read's own time when the program has recorded no
 * clock anchor yet).
 */
void flow_to_ipfix(const struct flow_record *f, const struct flow_clock *clk, int64_t read_wall_ns,
		   struct ipfix_flow *out);

/*
 * A report sink (struct report .sink) that queues every flow on an
 * exporter.  A report resumed after a crash skips the flows its walk sent
 * before (a frozen table walks in the same order every time); progress,
 * if set, is called after every flow queued, to note what went out.
 */
struct ipfix_sink {
	struct ipfix_exporter *exp;
	uint64_t flows; /* handed to the exporter */
	uint64_t skip; /* the walk's first flows, sent already */
	uint64_t seen; /* flows of the walk so far, skipped ones included */
	void (*progress)(void *ctx);
	void *progress_ctx;
};

int ipfix_sink_flow(const struct flow_record *f, const struct flow_clock *clk, int64_t read_wall_ns,
		    void *ctx);

#endif /* XDPFLOW_EXPORT_H */
