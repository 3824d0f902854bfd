// SPDX-License-Identifier: GPL-2.0
/* A test aid: XDPFLOW_TEST_KILL_AT=STEP[:N] makes the reader SIGKILL itself at a step of a drain. */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "export/testkill.h"

#define KILL_ENV "XDPFLOW_TEST_KILL_AT"

static struct {
	int state; /* 0 not read, 1 no step, 2 armed */
	char step[32];
	long count; /* times to pass the step before the kill */
} armed;

static bool due(const char *step)
{
	const char *v, *colon;
	size_t len;

	if (!armed.state) {
		v = getenv(KILL_ENV);
		armed.state = 1;
		if (v && *v) {
			colon = strchr(v, ':');
			len = colon ? (size_t)(colon - v) : strlen(v);
			if (len < sizeof(armed.step)) {
				memcpy(armed.step, v, len);
				armed.count = colon ? strtol(colon + 1, NULL, 10) : 1;
				armed.state = 2;
			}
		}
	}
	if (armed.state != 2 || strcmp(step, armed.step))
		return false;
	return --armed.count <= 0;
}

void test_kill_point(const char *step)
{
	if (due(step))
		raise(SIGKILL);
}

void test_kill_point_flush(const char *step, FILE *f)
{
	if (due(step)) {
		fflush(f);
		raise(SIGKILL);
	}
}
