/* SPDX-License-Identifier: GPL-2.0 */
/* A test aid: XDPFLOW_TEST_KILL_AT=STEP[:N] makes the reader SIGKILL itself at a step of a drain. */
#ifndef XDPFLOW_TESTKILL_H
#define XDPFLOW_TESTKILL_H

#include <stdio.h>

/*
 * The crash tests (tests/test-drains.sh) stop the reader at every step of
 * a drain where a crash could lose or repeat a report.  Compiled in always
 * and harmless: without XDPFLOW_TEST_KILL_AT in the environment a step
 * costs one comparison.  The steps, in the order a drain reaches them
 * (docs/DESIGN.md, "Exactly-once drains"): fresh (empty tables made),
 * recorded (the tables about to leave service pinned in a pending
 * record), swap1, swap2, swap3 (after each swap), writing (part of the
 * report written and flushed), written (the report in place, not yet
 * marked), sent (a batch of IPFIX messages sent, not yet marked), sending
 * (that batch marked), marked (every output marked, the record not yet
 * forgotten), forgotten.  STEP:N stops at the N-th time (default 1).
 */
void test_kill_point(const char *step);

/* The same, with f flushed first: the output so far reaches its file or pipe. */
void test_kill_point_flush(const char *step, FILE *f);

#endif /* XDPFLOW_TESTKILL_H */
