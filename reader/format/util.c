// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the reader's emitters: fast numbers, escaping, addresses, units, flags and times. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "format/format.h"

const struct emitter *emitter_for(enum reader_format format)
{
	switch (format) {
	case FORMAT_JSON:
		return &emit_json;
	case FORMAT_CSV:
		return &emit_csv;
	case FORMAT_PROMETHEUS:
		return &emit_prometheus;
	case FORMAT_NDJSON:
		return &emit_ndjson;
	case FORMAT_TABLE:
		break;
	}
	return &emit_table;
}

void put_u64(FILE *f, __u64 v)
{
	char buf[24], *p = buf + sizeof(buf);

	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	fwrite_unlocked(p, 1, buf + sizeof(buf) - p, f);
}

const char *u64_str(__u64 v, char *buf)
{
	char tmp[24], *p = tmp + sizeof(tmp);

	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	memcpy(buf, p, tmp + sizeof(tmp) - p);
	buf[tmp + sizeof(tmp) - p] = '\0';
	return buf;
}

void line_u64(struct line *l, __u64 v)
{
	char buf[24], *p = buf + sizeof(buf);

	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	line_put(l, p, buf + sizeof(buf) - p);
}

void line_json_str(struct line *l, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	if (!s) {
		LINE_LIT(l, "null");
		return;
	}
	line_char(l, '"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\') {
			line_char(l, '\\');
			line_char(l, c);
		} else if (c < 0x20) {
			LINE_LIT(l, "\\u00");
			line_char(l, hex[c >> 4]);
			line_char(l, hex[c & 15]);
		} else {
			line_char(l, c);
		}
	}
	line_char(l, '"');
}

void line_csv_str(struct line *l, const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		line_put(l, s, strlen(s));
		return;
	}
	line_char(l, '"');
	for (; *s; s++) {
		if (*s == '"')
			line_char(l, '"');
		line_char(l, *s);
	}
	line_char(l, '"');
}

void line_addr(struct line *l, __u8 family, const __u8 *addr)
{
	char buf[INET6_ADDRSTRLEN];

	addr_str(family, addr, buf);
	line_put(l, buf, strlen(buf));
}

void put_json_str(FILE *f, const char *s)
{
	if (!s) {
		put_str(f, "null");
		return;
	}
	putc_unlocked('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\') {
			putc_unlocked('\\', f);
			putc_unlocked(c, f);
		} else if (c < 0x20) {
			fprintf(f, "\\u%04x", c);
		} else {
			putc_unlocked(c, f);
		}
	}
	putc_unlocked('"', f);
}

void put_csv_str(FILE *f, const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		put_str(f, s);
		return;
	}
	putc_unlocked('"', f);
	for (; *s; s++) {
		if (*s == '"')
			putc_unlocked('"', f);
		putc_unlocked(*s, f);
	}
	putc_unlocked('"', f);
}

void put_prom_label(FILE *f, const char *s)
{
	if (!s)
		return;
	for (; *s; s++) {
		if (*s == '\\' || *s == '"') {
			putc_unlocked('\\', f);
			putc_unlocked(*s, f);
		} else if (*s == '\n') {
			put_str(f, "\\n");
		} else {
			putc_unlocked(*s, f);
		}
	}
}

static char *dec8(char *p, unsigned int v)
{
	if (v >= 100)
		*p++ = '0' + v / 100;
	if (v >= 10)
		*p++ = '0' + v / 10 % 10;
	*p++ = '0' + v % 10;
	return p;
}

/* IPv4 by hand: inet_ntop formats it with sprintf, too slow for millions of flows. */
const char *addr_str(__u8 family, const __u8 *addr, char *buf)
{
	char *p = buf;
	int i;

	if (family == 6) {
		if (!inet_ntop(AF_INET6, addr, buf, INET6_ADDRSTRLEN))
			strcpy(buf, "?");
		return buf;
	}
	for (i = 0; i < 4; i++) {
		if (i)
			*p++ = '.';
		p = dec8(p, addr[i]);
	}
	*p = '\0';
	return buf;
}

const char *endpoint_str(__u8 family, const __u8 *addr, const char *port, int width, char *buf)
{
	char a[INET6_ADDRSTRLEN];
	bool brackets = family == 6 && port; /* RFC 5952, section 6 */
	int len = strlen(addr_str(family, addr, a));
	int room = width - (port ? (int)strlen(port) + 1 : 0) - (brackets ? 2 : 0);
	int head, tail;
	char *p = buf;

	if (brackets)
		*p++ = '[';
	if (len > room && room >= 5) {
		/* The prefix (the network) and the end (the host) say most. */
		head = (room - 1) / 2;
		tail = room - 2 - head;
		memcpy(p, a, head);
		memcpy(p + head, "..", 2);
		memcpy(p + head + 2, a + len - tail, tail);
		p += room;
	} else {
		memcpy(p, a, len);
		p += len;
	}
	if (brackets)
		*p++ = ']';
	*p = '\0';
	if (port) {
		*p++ = ':';
		strcpy(p, port);
	}
	return buf;
}

static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };

const char *human_bytes(__u64 bytes, char *buf)
{
	double v = bytes;
	int u = 0;

	if (bytes < 1024) {
		strcat((char *)u64_str(bytes, buf), " B");
		return buf;
	}
	while (v >= 1024 && u < 6) {
		v /= 1024;
		u++;
	}
	snprintf(buf, 16, "%.1f %s", v, units[u]);
	return buf;
}

const char *human_bits(double bytes_per_s, char *buf)
{
	static const char *const prefixes[] = { "", "K", "M", "G", "T", "P", "E" };
	double v = bytes_per_s * 8;
	int u = 0;

	/* 999.95 and up would print as 1000.0 of the smaller unit. */
	while (v >= 999.95 && u < 6) {
		v /= 1000;
		u++;
	}
	snprintf(buf, 24, u ? "%.1f %sbit/s" : "%.0f %sbit/s", v, prefixes[u]);
	return buf;
}

const char *human_pps(double v, char *buf)
{
	snprintf(buf, 24, v < 99.95 ? "%.1f" : "%.0f", v);
	return buf;
}

const char *tcp_flags_str(__u32 flags, char *buf)
{
	static const char letters[] = "FSRPAUEC";
	char *p = buf;
	int i;

	for (i = 0; i < 8; i++)
		if (flags & (1u << i))
			*p++ = letters[i];
	if (p == buf)
		*p++ = '-';
	*p = '\0';
	return buf;
}

static bool broken_down(int64_t wall_ns, bool utc, struct tm *tm)
{
	time_t sec = (time_t)(wall_ns / 1000000000 - (wall_ns % 1000000000 < 0));

	return utc ? gmtime_r(&sec, tm) != NULL : localtime_r(&sec, tm) != NULL;
}

const char *human_time(int64_t wall_ns, int64_t ref_ns, bool utc, char *buf)
{
	struct tm tm, ref;
	int ms = (int)((wall_ns / 1000000) % 1000);

	if (wall_ns < 0 || !broken_down(wall_ns, utc, &tm) || !broken_down(ref_ns, utc, &ref))
		return NULL;
	if (tm.tm_year == ref.tm_year && tm.tm_yday == ref.tm_yday) {
		strftime(buf, 24, "%H:%M:%S", &tm);
		snprintf(buf + 8, 16, ".%03d", ms);
	} else if (!strftime(buf, 24, "%Y-%m-%d %H:%M:%S", &tm)) {
		return NULL;
	}
	return buf;
}

const char *short_time(int64_t wall_ns, int64_t ref_ns, bool utc, char *buf)
{
	struct tm tm, ref;
	const char *fmt;

	if (wall_ns < 0 || !broken_down(wall_ns, utc, &tm) || !broken_down(ref_ns, utc, &ref))
		return NULL;
	if (tm.tm_year != ref.tm_year)
		fmt = "%Y-%m-%d";
	else if (tm.tm_yday != ref.tm_yday)
		fmt = "%m-%d %H:%M";
	else
		fmt = "%H:%M:%S";
	return strftime(buf, 24, fmt, &tm) ? buf : NULL;
}

const char *human_stamp(int64_t wall_ns, bool utc, char *buf)
{
	char zone[16];
	struct tm tm;

	if (wall_ns < 0 || !broken_down(wall_ns, utc, &tm) ||
	    strftime(buf, 48, "%Y-%m-%d %H:%M:%S", &tm) != 19) {
		strcpy(buf, "-");
		return buf;
	}
	snprintf(buf + 19, 29, ".%03d %s", (int)(wall_ns / 1000000 % 1000),
		 zone_name(wall_ns, utc, zone));
	return buf;
}

const char *zone_name(int64_t wall_ns, bool utc, char *buf)
{
	struct tm tm;

	if (utc)
		return strcpy(buf, "UTC"); /* gmtime's %Z says GMT */
	if (!broken_down(wall_ns, utc, &tm) || !strftime(buf, 16, "%Z", &tm))
		strcpy(buf, utc ? "UTC" : "local");
	return buf;
}

const char *flow_time_str(const struct flow_clock *clk, __u64 jiffies, char *buf)
{
	/* Many flows share a second: format the date and time of day once. */
	static int64_t cached_sec = -1;
	static char cached[32];
	int64_t ns, ms, sec;

	if (!clk->valid)
		return NULL;
	ns = flow_clock_wall_ns(clk, jiffies);
	if (ns < 0)
		return NULL;
	ms = ns / 1000000;
	sec = ms / 1000;
	if (sec != cached_sec) {
		format_utc_ms(sec * 1000000000ll, cached);
		cached_sec = sec;
	}
	memcpy(buf, cached, 20); /* "YYYY-MM-DDTHH:MM:SS." */
	buf[20] = '0' + ms % 1000 / 100;
	buf[21] = '0' + ms % 100 / 10;
	buf[22] = '0' + ms % 10;
	buf[23] = 'Z';
	buf[24] = '\0';
	return buf;
}
