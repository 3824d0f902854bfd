// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the IPFIX collector string HOST[:PORT] / [IPV6][:PORT] (ipfix_parse_collector). */
// links: reader/export/ipfix.c reader/export/ipfix_exporter.c
#include <errno.h>
#include "fuzz.h"
#include "export/ipfix.h"

/*
 * The pure half of --ipfix: splitting the collector into host and port,
 * before any name is resolved.  Checked against the grammar in ipfix.h:
 * a host that is the text before the port separator (or between the
 * brackets), never empty and never longer than its buffer; a port that
 * is 1-65535 written without leading zeros, the default 4739 when none
 * was given; a one-line reason for every refusal.
 */

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Where the spec's port starts (NULL: none), and its host part, by the grammar. */
static const char *expected_split(const char *spec, const char **host, size_t *hostlen)
{
	const char *colon;

	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');

		*host = spec + 1;
		*hostlen = end ? (size_t)(end - spec - 1) : 0;
		return end && end[1] == ':' ? end + 2 : NULL;
	}
	*host = spec;
	colon = strchr(spec, ':');
	/* Two colons or more: a bare IPv6 address, all host. */
	if (!colon || strchr(colon + 1, ':')) {
		*hostlen = strlen(spec);
		return NULL;
	}
	*hostlen = (size_t)(colon - spec);
	return colon + 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char spec[1024], host[300], port[32], msg[300];
	size_t hostcap, portcap, want_hostlen;
	const char *want_host, *want_port;
	struct fz_in in = { data, size };
	uint8_t caps = fz_u8(&in);
	int ret;

	/* Buffer sizes vary too: the parser must respect the ones it is given. */
	hostcap = 1 + (caps & 0x0f) * 17; /* 1 to 256 */
	portcap = 1 + (caps >> 4); /* 1 to 16 */
	if (in.n >= sizeof(spec))
		return 0;
	memcpy(spec, in.p, in.n);
	spec[in.n] = '\0';
	memset(host, 0x55, sizeof(host));
	memset(port, 0x55, sizeof(port));
	msg[0] = '\0';

	ret = ipfix_parse_collector(spec, host, hostcap, port, portcap, msg, sizeof(msg));
	fz_assert(ret == 0 || ret == -EINVAL, "returned %d", ret);
	/* Nothing written past the sizes given. */
	fz_assert(host[hostcap] == 0x55 || hostcap >= sizeof(host) - 1, "%s", "host overflow");
	fz_assert(port[portcap] == 0x55, "%s", "port overflow");
	if (ret) {
		fz_assert(msg[0], "refused \"%s\" without a reason", spec);
		fz_assert(!strchr(msg, '\n'), "reason of several lines: %s", msg);
		return 0;
	}

	want_port = expected_split(spec, &want_host, &want_hostlen);
	fz_assert(spec[0], "%s", "empty collector accepted");
	fz_assert(want_hostlen > 0, "\"%s\" accepted without a host", spec);
	fz_assert(strlen(host) == want_hostlen && !memcmp(host, want_host, want_hostlen),
		  "\"%s\": host \"%s\"", spec, host);
	fz_assert(want_hostlen < hostcap, "host of %zu bytes in %zu", want_hostlen, hostcap);
	if (spec[0] == '[')
		fz_assert(strchr(spec, ']')[1] == '\0' || strchr(spec, ']')[1] == ':',
			  "\"%s\": text after ]", spec);
	fz_assert(all_digits(port), "\"%s\": port \"%s\"", spec, port);
	if (!want_port) {
		fz_assert(!strcmp(port, "4739"), "\"%s\": default port %s", spec, port);
	} else {
		unsigned long v = strtoul(port, NULL, 10);
		char canon[16];

		fz_assert(all_digits(want_port) && strlen(want_port) <= 5, "\"%s\": port \"%s\" taken",
			  spec, want_port);
		fz_assert(v >= 1 && v <= 65535, "\"%s\": port %lu", spec, v);
		fz_assert(v == strtoul(want_port, NULL, 10), "\"%s\": port %lu", spec, v);
		snprintf(canon, sizeof(canon), "%lu", v);
		fz_assert(!strcmp(canon, port), "\"%s\": port written \"%s\"", spec, port);
	}
	return 0;
}
