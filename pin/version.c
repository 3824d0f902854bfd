// SPDX-License-Identifier: GPL-2.0
/* pin/: what both tools' --version prints: their version, the map layout's, and the libraries'. */
#include <stdio.h>
#include <bpf/libbpf.h>
#include "xdpflow.h"

/* libxdp (1.3) has no call that says its version: the Makefile passes the one built against. */
#ifndef XDPFLOW_LIBXDP_VERSION
#error "XDPFLOW_LIBXDP_VERSION is not defined: build with make"
#endif
#ifndef XDPFLOW_VERSION
#error "XDPFLOW_VERSION is not defined: build with make"
#endif

void print_version(FILE *f, const char *tool)
{
	fprintf(f, "%s %s (map layout version %u, libbpf %u.%u, libxdp %s)\n", tool,
		XDPFLOW_VERSION, XDPFLOW_LAYOUT_VERSION, libbpf_major_version(),
		libbpf_minor_version(), XDPFLOW_LIBXDP_VERSION);
}
