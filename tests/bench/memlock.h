/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's own memory figure of a BPF map, for the benchmarks' memory bars. */
#ifndef BENCH_MEMLOCK_H
#define BENCH_MEMLOCK_H

#include <stdio.h>

/* Kernel-reported memory of a map, from its fdinfo "memlock:" line. */
static long long map_memlock(int fd)
{
	char path[64], line[128];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

#endif /* BENCH_MEMLOCK_H */
