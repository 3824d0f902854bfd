// SPDX-License-Identifier: GPL-2.0
/* pin/: the tools' messages on stderr, and the one rule for libbpf's and libxdp's own log. */
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "xdpflow.h"

static const char *tool = "xdpflow";
static int verbosity;

void say(enum say_kind kind, const char *fmt, ...)
{
	va_list ap;

	if (kind == SAY_VERBOSE && !verbosity)
		return;
	fprintf(stderr, "%s: %s", tool, kind == SAY_WARNING ? "warning: " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int say_verbosity(void)
{
	return verbosity;
}

/*
 * The libraries' levels both run warn < info < debug.  Their warnings
 * include the errors behind a failure we report ourselves in one line, and
 * chatter such as libxdp's dispatcher fallback: none of it without -v.
 */
static bool library_level_shown(int level)
{
	return verbosity >= 2 || (verbosity == 1 && level <= LIBBPF_INFO);
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return library_level_shown(level) ? vfprintf(stderr, fmt, ap) : 0;
}

static int libxdp_log(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	return library_level_shown(level) ? vfprintf(stderr, fmt, ap) : 0;
}

void say_init(const char *tool_name, int verbose)
{
	_Static_assert((int)LIBXDP_WARN == (int)LIBBPF_WARN && (int)LIBXDP_INFO == (int)LIBBPF_INFO,
		       "libxdp's levels are libbpf's");
	tool = tool_name;
	verbosity = verbose > 0 ? verbose : 0;
	libbpf_set_print(libbpf_log);
	libxdp_set_print(libxdp_log);
}
