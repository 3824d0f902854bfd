/* SPDX-License-Identifier: GPL-2.0 */
/* --drain: deliver the reports earlier drains left pending, then drain anew; a report goes once every output has it. */
#ifndef XDPFLOW_DELIVER_H
#define XDPFLOW_DELIVER_H

#include "export/outputs.h"
#include "view/report.h"
#include "reader.h"

/*
 * A drain, crash-safe (docs/DESIGN.md, "Exactly-once drains"): under
 * DIR/pending's lock, every report an earlier drain left pending is
 * delivered first, oldest first (its tables were pinned before they left
 * service); then, if all went out, --output and --ipfix are checked, the
 * tables swapped (drain_take, which pins them first) and this report
 * delivered.  Each output that has a report is marked in its record
 * (printed: stdout flushed or FILE renamed into place; IPFIX: every
 * record sent, the stream's next sequence number kept), and the record
 * is forgotten once this run's outputs all have it.  A report that cannot
 * be delivered stays pending, and no new drain is taken while one does.
 * Messages on stderr; 0 or -errno.
 */
int drain_deliver(struct report *r, const struct reader_opts *o, struct outputs *out);

#endif /* XDPFLOW_DELIVER_H */
