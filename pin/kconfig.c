// SPDX-License-Identifier: GPL-2.0
/* pin/: the running kernel's CONFIG_HZ, read from its build configuration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <zlib.h>
#include "xdpflow.h"

/* CONFIG_HZ from one configuration file, plain or gzip (zlib reads both); 0 if absent. */
static unsigned int config_hz(const char *path)
{
	unsigned int hz = 0;
	char line[256];
	gzFile f;

	f = gzopen(path, "rb");
	if (!f)
		return 0;
	while (gzgets(f, line, sizeof(line)))
		if (!strncmp(line, "CONFIG_HZ=", 10)) {
			hz = (unsigned int)strtoul(line + 10, NULL, 10);
			break;
		}
	gzclose(f);
	return hz <= 100000 ? hz : 0;
}

unsigned int kernel_config_hz(void)
{
	static int known;
	static unsigned int hz;
	struct utsname u;
	char path[sizeof(u.release) + 16];

	if (known)
		return hz;
	known = 1;
	/* Debian installs /boot/config-RELEASE; kernels with IKCONFIG_PROC also show it. */
	if (!uname(&u)) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		hz = config_hz(path);
	}
	if (!hz)
		hz = config_hz("/proc/config.gz");
	return hz;
}
