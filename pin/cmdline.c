// SPDX-License-Identifier: GPL-2.0
/* pin/: command lines from a table of options: the same rows drive getopt_long and print --help. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xdpflow.h"

#define CL_MAX_OPTIONS 64
#define CL_LONG_ONLY 256 /* getopt_long's value for row i without a letter: CL_LONG_ONLY + i */

/* One line, whatever the arguments echoed into it hold. */
int cl_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	for (p = err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return -EINVAL;
}

static bool takes(const struct cl_option *o, unsigned int command)
{
	return !o->commands || (o->commands & command);
}

/* getopt_long's tables for every row (options of other commands are refused after parsing). */
static void build(const struct cl_option *table, size_t n, bool in_order, struct option *longs,
		  char *shorts)
{
	char *s = shorts;
	size_t i;

	/* '+': stop at the first operand; ':': a missing value is told apart. */
	if (in_order)
		*s++ = '+';
	*s++ = ':';
	for (i = 0; i < n; i++) {
		longs[i].name = table[i].name;
		longs[i].has_arg = table[i].arg ? required_argument : no_argument;
		longs[i].flag = NULL;
		longs[i].val = table[i].letter ? table[i].letter : CL_LONG_ONLY + (int)i;
		if (table[i].letter) {
			*s++ = (char)table[i].letter;
			if (table[i].arg)
				*s++ = ':';
		}
	}
	memset(&longs[n], 0, sizeof(longs[n]));
	*s = '\0';
}

static const struct cl_option *row_of(const struct cl_option *table, size_t n, int val)
{
	size_t i;

	if (val >= CL_LONG_ONLY && (size_t)(val - CL_LONG_ONLY) < n)
		return &table[val - CL_LONG_ONLY];
	for (i = 0; i < n; i++)
		if (table[i].letter && table[i].letter == val)
			return &table[i];
	return NULL;
}

/* What getopt_long stopped at, as the user wrote it. */
static const char *written(char **argv)
{
	static char shown[3];

	if (optopt && optopt < CL_LONG_ONLY && argv[optind - 1][1] != '-') {
		snprintf(shown, sizeof(shown), "-%c", optopt);
		return shown;
	}
	return argv[optind - 1];
}

static int store(const struct cl_option *row, void *opts, const char *arg, char *err,
		 size_t errlen)
{
	char *at = (char *)opts + row->field;

	switch (row->store) {
	case CL_TRUE:
		*(bool *)at = true;
		return 0;
	case CL_COUNT:
		(*(int *)at)++;
		return 0;
	case CL_TEXT:
		*(const char **)at = arg;
		return 0;
	default:
		return row->set(opts, arg, err, errlen);
	}
}

/* -ENOENT: the command line does not fit the table (cl_parse). */
static int misfit(char *err, size_t errlen, const char *fmt, const char *what)
{
	cl_error(err, errlen, fmt, what);
	return -ENOENT;
}

int cl_parse(const struct cl_option *table, size_t n, unsigned int command, bool in_order,
	     int argc, char **argv, void *opts, char *err, size_t errlen)
{
	struct option longs[CL_MAX_OPTIONS + 1];
	char shorts[3 * CL_MAX_OPTIONS + 3];
	const struct cl_option *row;
	int val, ret;

	if (n > CL_MAX_OPTIONS)
		return cl_error(err, errlen, "too many options in the table");
	build(table, n, in_order, longs, shorts);
	err[0] = '\0';
	/* 0 makes glibc start over, also inside a group of short options. */
	optind = 0;
	opterr = 0;
	while ((val = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		row = val == '?' || val == ':' ? NULL : row_of(table, n, val);
		if (val == ':')
			return misfit(err, errlen, "%s needs a value", written(argv));
		if (!row)
			return misfit(err, errlen, "unknown option %s", written(argv));
		if (!takes(row, command))
			return misfit(err, errlen, "--%s is not an option of this command", row->name);
		ret = store(row, opts, optarg, err, errlen);
		if (ret)
			return ret;
	}
	return optind;
}

/* "  -p, --pin-path DIR" */
static int option_names(const struct cl_option *o, char *buf, size_t size)
{
	char letter[8] = "    ";

	if (o->letter)
		snprintf(letter, sizeof(letter), "-%c, ", o->letter);
	return snprintf(buf, size, "  %s--%s%s%s", letter, o->name, o->arg ? " " : "",
			o->arg ? o->arg : "");
}

void cl_print_options(FILE *f, const struct cl_option *table, size_t n, unsigned int command,
		      int section, int column)
{
	const char *line, *next;
	char names[96];
	size_t i;
	int len;

	for (i = 0; i < n; i++) {
		if (!takes(&table[i], command) || table[i].section != section)
			continue;
		len = option_names(&table[i], names, sizeof(names));
		/* Names too long for the column: the text follows two blanks. */
		fprintf(f, "%s%*s", names, len + 2 > column ? 2 : column - len, "");
		for (line = table[i].help; line; line = next) {
			next = strchr(line, '\n');
			if (line != table[i].help)
				fprintf(f, "%*s", column, "");
			fprintf(f, "%.*s\n", next ? (int)(next - line) : (int)strlen(line), line);
			if (next)
				next++;
		}
	}
}

const char *pin_path_default(void)
{
	const char *env = getenv(XDPFLOW_PIN_PATH_ENV);

	return env && *env ? env : XDPFLOW_DEFAULT_PIN_PATH;
}
