/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the libFuzzer targets: reading typed values from the input, failing loudly. */
#ifndef XDPFLOW_FUZZ_H
#define XDPFLOW_FUZZ_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Every target checks properties of the code under test against values it
 * computes itself; fz_assert() prints what broke and aborts, which
 * libFuzzer reports as a crash and saves the input for.
 */
#define fz_assert(cond, ...)                                                                       \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                           \
	} while (0)

static inline void fz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
	__attribute__((format(printf, 4, 5), noreturn));
static inline void fz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: check failed: %s: ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* The input, consumed front to back; past its end every value reads as zero. */
struct fz_in {
	const uint8_t *p;
	size_t n;
};

static inline bool fz_left(const struct fz_in *in)
{
	return in->n > 0;
}

static inline void fz_bytes(struct fz_in *in, void *out, size_t len)
{
	size_t take = len < in->n ? len : in->n;

	memcpy(out, in->p, take);
	memset((uint8_t *)out + take, 0, len - take);
	in->p += take;
	in->n -= take;
}

static inline uint8_t fz_u8(struct fz_in *in)
{
	uint8_t v;

	fz_bytes(in, &v, 1);
	return v;
}

static inline uint16_t fz_u16(struct fz_in *in)
{
	uint16_t v;

	fz_bytes(in, &v, 2);
	return v;
}

static inline uint32_t fz_u32(struct fz_in *in)
{
	uint32_t v;

	fz_bytes(in, &v, 4);
	return v;
}

static inline uint64_t fz_u64(struct fz_in *in)
{
	uint64_t v;

	fz_bytes(in, &v, 8);
	return v;
}

/* Mostly small, sometimes any: values near the edges find more than uniform ones. */
static inline uint64_t fz_u64_edgy(struct fz_in *in)
{
	uint8_t kind = fz_u8(in);

	switch (kind & 3) {
	case 0:
		return fz_u8(in);
	case 1:
		return fz_u32(in);
	case 2:
		return UINT64_MAX - fz_u8(in);
	default:
		return fz_u64(in);
	}
}

/*
 * Split the rest of the input at NUL bytes into at most max strings (the
 * last one NUL-terminated by us); they point into buf, which must hold
 * in->n + 1 bytes.  Returns how many.
 */
static inline int fz_strings(struct fz_in *in, char *buf, char **out, int max)
{
	size_t i, start = 0;
	int n = 0;

	memcpy(buf, in->p, in->n);
	buf[in->n] = '\0';
	for (i = 0; i <= in->n && n < max; i++) {
		if (buf[i])
			continue;
		out[n++] = buf + start;
		start = i + 1;
	}
	in->p += in->n;
	in->n = 0;
	return n;
}

#endif /* XDPFLOW_FUZZ_H */
