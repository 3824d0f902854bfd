// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: xdpflow-loader's command line (commands, options, values) with the commands stubbed. */
// links: loader/commands.c pin/cmdline.c pin/log.c pin/version.c
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include "fuzz.h"
#include "loader.h"

/*
 * loader/commands.c is linked as xdpflow-loader links it, so the whole
 * command line path (loader_main: the tables of commands and options,
 * getopt, --help, dispatch) runs as the tool runs it; the commands
 * themselves (cmd_*) are the stubs below, which check the options they are
 * handed against the ranges --help documents and count the call.  Nothing
 * touches the system: no program is loaded, no interface changed.
 * (--group looks names up in /etc/group.)
 */

static int calls;

static void check_opts(const struct loader_opts *o)
{
	calls++;
	fz_assert(o->pin_dir && o->pin_dir[0], "%s", "empty pin folder");
	fz_assert(strlen(o->pin_dir) < PATH_MAX - 32, "pin folder of %zu bytes", strlen(o->pin_dir));
	fz_assert(o->mode == XDP_MODE_UNSPEC || o->mode == XDP_MODE_NATIVE ||
			  o->mode == XDP_MODE_SKB,
		  "mode %d", o->mode);
	fz_assert(o->prio >= -1 && o->prio <= MAX_PRIO, "prio %d", o->prio);
	fz_assert(o->max_flows <= MAX_FLOWS_LIMIT, "max flows %u", o->max_flows);
	fz_assert(o->interval_ms >= 100 && o->interval_ms <= 86400000u, "interval %u ms",
		  o->interval_ms);
	fz_assert(o->group_set || o->gid == (gid_t)-1, "gid %u without --group", (unsigned)o->gid);
	fz_assert(o->verbose >= 0, "verbose %d", o->verbose);
}

static void check_args(char **args, int n)
{
	int i;

	fz_assert(n >= 0, "%d arguments", n);
	for (i = 0; i < n; i++)
		fz_assert(args[i] != NULL, "argument %d is NULL", i);
}

int cmd_attach(const struct loader_opts *o, char **ifaces, int n)
{
	check_opts(o);
	check_args(ifaces, n);
	fz_assert(n >= 1, "attach with %d interfaces", n);
	return 0;
}

int cmd_detach(const struct loader_opts *o, char **ifaces, int n)
{
	check_opts(o);
	check_args(ifaces, n);
	return 0;
}

int cmd_clean(const struct loader_opts *o, char **ifaces, int n)
{
	check_opts(o);
	check_args(ifaces, n);
	return 0;
}

int cmd_status(const struct loader_opts *o, char **args, int n)
{
	check_opts(o);
	check_args(args, n);
	fz_assert(n == 0, "status with %d arguments", n);
	return 0;
}

int cmd_list(const struct loader_opts *o, char **args, int n)
{
	check_opts(o);
	check_args(args, n);
	fz_assert(n == 0, "list with %d arguments", n);
	return 0;
}

int cmd_run(const struct loader_opts *o, char **args, int n)
{
	check_opts(o);
	check_args(args, n);
	fz_assert(n <= 1, "run with %d interfaces", n);
	return 0;
}

#define MAX_ARGS 32

static FILE *real_stderr;
static char *err_text;
static size_t err_len;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	real_stderr = stderr;
	return 0;
}

/*
 * Usage errors are one line on stderr naming the tool (the bare command
 * line, with no command, prints the main help there instead); a command
 * that ran (stubbed) says nothing.
 */
static void check_stderr(int argc, char **argv, int ret, const char *text, size_t len)
{
	bool no_command = true;
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "-v") && strcmp(argv[i], "--verbose"))
			no_command = false;
	if (ret == EXIT_USAGE && no_command)
		return;
	if (ret != EXIT_USAGE) {
		fz_assert(len == 0, "exit %d with stderr: %.*s", ret, (int)len, text);
		return;
	}
	fz_assert(len > 0 && text[len - 1] == '\n', "usage error of %zu bytes, not a line", len);
	fz_assert(memchr(text, '\n', len) == text + len - 1, "usage error of several lines: %.*s",
		  (int)len, text);
	fz_assert(!strncmp(text, LOADER_NAME ": ", strlen(LOADER_NAME) + 2),
		  "usage error without the tool's name: %.*s", (int)len, text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[1 << 16];
	char *argv[MAX_ARGS + 2];
	struct fz_in in = { data, size };
	int argc, ret;

	if (size >= sizeof(buf))
		return 0;
	argv[0] = "xdpflow-loader";
	argc = 1 + fz_strings(&in, buf, argv + 1, MAX_ARGS);
	argv[argc] = NULL;
	calls = 0;
	err_text = NULL;
	err_len = 0;
	stderr = open_memstream(&err_text, &err_len);
	fz_assert(stderr, "%s", "open_memstream failed");
	ret = loader_main(argc, argv);
	fclose(stderr);
	stderr = real_stderr;
	fz_assert(ret == EXIT_SUCCESS || ret == EXIT_FAILURE || ret == EXIT_USAGE, "exit status %d",
		  ret);
	fz_assert(calls <= 1, "%d commands ran", calls);
	fz_assert(ret != EXIT_USAGE || !calls, "%s", "a command ran, then a usage error");
	check_stderr(argc, argv, ret, err_text, err_len);
	free(err_text);
	return 0;
}
