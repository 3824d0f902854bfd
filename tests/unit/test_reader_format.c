// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the reader's formatting: numbers, units, escaping, addresses, flags, times and whole rows. */
// links: reader/format/util.c reader/format/json.c reader/format/csv.c reader/format/table.c reader/format/prom.c reader/format/names.c reader/options.c reader/view/rates.c
#include "testlib.h"
#include <arpa/inet.h>
#include <stdlib.h>
#include <time.h>
#include "format/format.h"
#include "view/rates.h"
#include "xdpflow.h"

/* Output of fn(f) as a string (caller frees). */
#define CAPTURE(var, stmt)                                               \
	do {                                                             \
		size_t cap_len_;                                         \
		FILE *f = open_memstream(&(var), &cap_len_);             \
		stmt;                                                    \
		fclose(f);                                               \
	} while (0)

static void test_units(void)
{
	static const struct {
		unsigned long long v;
		const char *want;
	} cases[] = {
		{ 0, "0 B" },
		{ 1023, "1023 B" },
		{ 1024, "1.0 KiB" },
		{ 1536, "1.5 KiB" },
		{ 1048575, "1024.0 KiB" },
		{ 1048576, "1.0 MiB" },
		{ 5ull << 30, "5.0 GiB" },
		{ 3ull << 40, "3.0 TiB" },
		{ 18446744073709551615ull, "16.0 EiB" },
	};
	struct tl_check c;
	char buf[24];
	size_t i;

	tl_begin(&c, "format_human_bytes");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		human_bytes(cases[i].v, buf);
		tl_expect(&c, !strcmp(buf, cases[i].want), "%llu: '%s', expected '%s'", cases[i].v,
			  buf, cases[i].want);
	}
	tl_end(&c, NULL);

	/* Bits per second in decimal SI units, as iftop and nload show them. */
	static const struct {
		double bytes_per_s;
		const char *want;
	} bits[] = {
		{ 0, "0 bit/s" },
		{ 100, "800 bit/s" },
		{ 124.9, "999 bit/s" },
		{ 125, "1.0 Kbit/s" },
		{ 1536, "12.3 Kbit/s" },
		{ 117.5e6, "940.0 Mbit/s" },
		{ 124.99e6, "999.9 Mbit/s" },
		{ 124.999e6, "1.0 Gbit/s" },
		{ 1.25e9, "10.0 Gbit/s" },
		{ 5e12, "40.0 Tbit/s" },
	};
	static const struct {
		double pps;
		const char *want;
	} pps[] = { { 0, "0.0" }, { 0.25, "0.2" }, { 35, "35.0" }, { 99.94, "99.9" },
		    { 99.96, "100" }, { 14880952.4, "14880952" } };

	tl_begin(&c, "format_rates_bits_and_packets_per_second");
	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		human_bits(bits[i].bytes_per_s, buf);
		tl_expect(&c, !strcmp(buf, bits[i].want), "%g B/s: '%s', expected '%s'",
			  bits[i].bytes_per_s, buf, bits[i].want);
	}
	for (i = 0; i < sizeof(pps) / sizeof(pps[0]); i++) {
		human_pps(pps[i].pps, buf);
		tl_expect(&c, !strcmp(buf, pps[i].want), "%g packets/s: '%s', expected '%s'",
			  pps[i].pps, buf, pps[i].want);
	}
	tl_end(&c, NULL);
}

static void test_numbers_and_escaping(void)
{
	struct tl_check c;
	char *s;

	tl_begin(&c, "format_numbers_and_escaping");
	CAPTURE(s, (put_u64(f, 0), putc(' ', f), put_u64(f, 18446744073709551615ull)));
	tl_expect(&c, !strcmp(s, "0 18446744073709551615"), "u64 '%s'", s);
	free(s);
	CAPTURE(s, (put_json_str(f, "a\"b\\c\n\x01z"), put_json_str(f, NULL)));
	tl_expect(&c, !strcmp(s, "\"a\\\"b\\\\c\\u000a\\u0001z\"null"), "json '%s'", s);
	free(s);
	CAPTURE(s, (put_csv_str(f, "plain"), putc('|', f), put_csv_str(f, "a,b"), putc('|', f),
		    put_csv_str(f, "x\"y"), putc('|', f), put_csv_str(f, NULL)));
	tl_expect(&c, !strcmp(s, "plain|\"a,b\"|\"x\"\"y\"|"), "csv '%s'", s);
	free(s);
	CAPTURE(s, put_prom_label(f, "a\"b\\c\nd"));
	tl_expect(&c, !strcmp(s, "a\\\"b\\\\c\\nd"), "prometheus label '%s'", s);
	free(s);
	tl_end(&c, NULL);
}

static void test_addresses_flags_names(void)
{
	__u8 v4[16] = { 192, 0, 2, 1 };
	__u8 v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	__u8 v6b[16] = { 0xfe, 0x80, [8] = 0, [9] = 0, [10] = 0, [11] = 0, [12] = 0, [13] = 0,
			 [14] = 0xab, [15] = 0xcd };
	char buf[INET6_ADDRSTRLEN], fl[9];
	struct tl_check c;

	tl_begin(&c, "format_addresses_flags_names");
	tl_expect(&c, !strcmp(addr_str(4, v4, buf), "192.0.2.1"), "v4 '%s'", buf);
	tl_expect(&c, !strcmp(addr_str(6, v6, buf), "2001:db8::1"), "v6 '%s'", buf);
	tl_expect(&c, !strcmp(addr_str(6, v6b, buf), "fe80::abcd"), "v6 '%s'", buf);
	tl_expect(&c, !strcmp(tcp_flags_str(0x12, fl), "SA"), "flags 0x12 '%s'", fl);
	tl_expect(&c, !strcmp(tcp_flags_str(0, fl), "-"), "flags 0 '%s'", fl);
	tl_expect(&c, !strcmp(tcp_flags_str(0xff, fl), "FSRPAUEC"), "flags 0xff '%s'", fl);
	tl_expect(&c, proto_name(6) && !strcmp(proto_name(6), "tcp"), "protocol 6");
	tl_expect(&c, proto_name(58) && !strcmp(proto_name(58), "ipv6-icmp"), "protocol 58");
	tl_expect(&c, proto_name(253) == NULL, "protocol 253 has a name");
	tl_expect(&c, ifname_of(1) && !strcmp(ifname_of(1), "lo"), "ifindex 1");
	tl_expect(&c, !strcmp(ifname_of(XDPFLOW_IFINDEX_OTHER), "other"), "other slot");
	tl_expect(&c, ifname_of(0x7ffffff0) == NULL, "a missing interface has a name");
	tl_end(&c, NULL);
}

/* A clock where jiffies 1000 is 2026-11-26T16:39:00.120Z, HZ 250. */
static void test_clock(struct flow_clock *clk)
{
	memset(clk, 0, sizeof(*clk));
	clk->valid = true;
	clk->n = 1;
	clk->p[0].jiffies = 1000;
	clk->p[0].wall_ns = 1795711140120ll * 1000000;
	clk->tick_num = 4000000;
	clk->tick_den = 1;
	clk->hz = 250;
}

static struct flow_row icmp_flow(void)
{
	struct flow_row r;
	__u32 src = htonl(0x0a000001), dst = htonl(0x0a000002);

	memset(&r, 0, sizeof(r));
	memcpy(r.f.key.src, &src, 4);
	memcpy(r.f.key.dst, &dst, 4);
	r.f.key.ifindex = 1;
	r.f.key.family = 4;
	r.f.key.proto = 1;
	r.f.key.dport = htons(8 << 8 | 0); /* echo request */
	r.f.c = (struct xdpflow_flow_counters){ .packets = 3, .bytes = 294, .ip_bytes = 252,
						.first_seen = 999, .last_seen = 1000 };
	return r;
}

static void emit_ctx_init(struct emit_ctx *ec, FILE *f, const struct reader_opts *o,
			  const struct flow_clock *clk)
{
	memset(ec, 0, sizeof(*ec));
	ec->out = f;
	ec->opts = o;
	ec->clock = clk;
	ec->first_section = true;
	ec->ifname_width = 9;
}

static void test_rows(void)
{
	struct reader_opts o = { .pin_path = "/sys/fs/bpf/xdpflow" };
	struct flow_row r = icmp_flow(), u = icmp_flow();
	struct protocol_row p = { .ifindex = 0x7ffffff0, .family = 6, .proto = 58,
				  .c = { 4, 400 } };
	struct flow_clock clk;
	struct emit_ctx ec;
	struct tl_check c;
	char *s;

	test_clock(&clk);
	/* QinQ: outer tag 300, inner 10, in network order as the flow key holds them. */
	r.f.key.vlan_outer = htons(300);
	r.f.key.vlan_inner = htons(10);
	tl_begin(&c, "format_json_icmp_flow");
	CAPTURE(s, (emit_ctx_init(&ec, f, &o, &clk), ec.first_row = true, emit_json.flow(&ec, &r)));
	tl_expect(&c,
		  !strcmp(s, "\n{\"ifindex\":1,\"ifname\":\"lo\",\"vlan\":300,\"inner_vlan\":10,"
			     "\"family\":4,\"src\":\"10.0.0.1\","
			     "\"dst\":\"10.0.0.2\",\"proto\":1,\"sport\":0,\"dport\":2048,"
			     "\"icmp_type\":8,\"icmp_code\":0,\"packets\":3,\"bytes\":294,"
			     "\"ip_bytes\":252,\"tcp_flags\":0,"
			     "\"first_seen\":\"2026-11-26T16:39:00.116Z\","
			     "\"last_seen\":\"2026-11-26T16:39:00.120Z\"}"),
		  "got %s", s);
	free(s);
	tl_end(&c, NULL);

	tl_begin(&c, "format_csv_flow");
	CAPTURE(s, (emit_ctx_init(&ec, f, &o, &clk), emit_csv.list_begin(&ec, VIEW_FLOWS),
		    emit_csv.flow(&ec, &r)));
	tl_expect(&c,
		  !strcmp(s, "view,ifindex,ifname,vlan,inner_vlan,family,src,dst,proto,sport,dport,"
			     "packets,bytes,ip_bytes,tcp_flags,first_seen,last_seen\n"
			     "flows,1,lo,300,10,4,10.0.0.1,10.0.0.2,1,0,2048,3,294,252,0,"
			     "2026-11-26T16:39:00.116Z,2026-11-26T16:39:00.120Z\n"),
		  "got %s", s);
	free(s);
	tl_end(&c, NULL);

	tl_begin(&c, "format_prometheus_protocol");
	o.format = FORMAT_PROMETHEUS;
	CAPTURE(s, (emit_ctx_init(&ec, f, &o, &clk), emit_prometheus.list_begin(&ec, VIEW_PROTOCOLS),
		    emit_prometheus.protocol(&ec, &p), emit_prometheus.list_end(&ec, VIEW_PROTOCOLS)));
	tl_expect(&c, strstr(s, "# TYPE xdpflow_packets_total counter\n") != NULL, "TYPE line");
	tl_expect(&c, strstr(s, "xdpflow_packets_total{device=\"\",ifindex=\"2147483632\","
				"family=\"ipv6\",protocol=\"ipv6-icmp\"} 4\n") != NULL,
		  "packets sample in %s", s);
	tl_expect(&c, strstr(s, "# TYPE xdpflow_bytes_total counter\nxdpflow_bytes_total{") != NULL,
		  "bytes family after the packets family");
	tl_expect(&c, strstr(s, "} 400\n") != NULL, "bytes sample");
	free(s);
	tl_end(&c, NULL);

	tl_begin(&c, "format_table_flow_row_narrow");
	o.format = FORMAT_TABLE;
	o.utc = true; /* read on the flow's day: its times of day, in UTC */
	CAPTURE(s, (emit_ctx_init(&ec, f, &o, &clk),
		    ec.read_wall_ns = flow_clock_wall_ns(&clk, u.f.c.last_seen),
		    emit_table.list_begin(&ec, VIEW_FLOWS),
		    emit_table.flow(&ec, &u), emit_table.list_end(&ec, VIEW_FLOWS)));
	tl_expect(&c, strstr(s, "Flows\nINTERFACE  PROTO      SOURCE                 DESTINATION    ")
			      == s, "title and header, 21 columns an IPv4 end, no VLAN column: %s", s);
	tl_expect(&c, !strstr(s, "FIRST") && !strstr(s, "IP BYTES") && !strstr(s, "PORT"),
		  "no first seen, IP bytes or port columns: %s", s);
	tl_expect(&c, strstr(s, "\nlo         icmp       10.0.0.1               10.0.0.2:8/0     ") != NULL,
		  "ICMP source without a port, type/code after the destination: %s", s);
	tl_expect(&c, strstr(s, "   3  ") && strstr(s, "294 B") && strstr(s, "  16:39:00\n") &&
			      !strstr(s, "16:39:00.1"),
		  "packets, bytes, the last seen without milliseconds: %s", s);
	free(s);
	tl_end(&c, NULL);

	/* A read with a QinQ flow: the VLAN column, as wide as "4095.4095", also in 120 columns. */
	tl_begin(&c, "format_table_flow_row_narrow_vlan");
	CAPTURE(s, (emit_ctx_init(&ec, f, &o, &clk), ec.vlan_width = VLAN_CELL_QINQ,
		    ec.read_wall_ns = flow_clock_wall_ns(&clk, r.f.c.last_seen),
		    emit_table.list_begin(&ec, VIEW_FLOWS),
		    emit_table.flow(&ec, &r), emit_table.list_end(&ec, VIEW_FLOWS)));
	tl_expect(&c, strstr(s, "Flows\nINTERFACE       VLAN  PROTO      SOURCE                 "
				"DESTINATION    ") == s, "title and header: %s", s);
	tl_expect(&c, strstr(s, "\nlo            300.10  icmp       10.0.0.1               "
				"10.0.0.2:8/0     ") != NULL, "outer.inner in the VLAN column: %s", s);
	free(s);
	tl_end(&c, NULL);

	tl_begin(&c, "format_table_flow_row_wide");
	o.wide = true;
	CAPTURE(s, (emit_ctx_init(&ec, f, &o, &clk), ec.vlan_width = VLAN_CELL_QINQ,
		    ec.read_wall_ns = flow_clock_wall_ns(&clk, r.f.c.last_seen),
		    emit_table.list_begin(&ec, VIEW_FLOWS),
		    emit_table.flow(&ec, &r), emit_table.list_end(&ec, VIEW_FLOWS)));
	tl_expect(&c, strstr(s, "Flows\nINTERFACE       VLAN  PROTO ") == s &&
			      strstr(s, "  IP BYTES  FLAGS "),
		  "title and header: %s", s);
	tl_expect(&c, strstr(s, "lo            300.10  icmp       10.0.0.1             -  10.0.0.2") != NULL,
		  "row start: %s", s);
	tl_expect(&c, strstr(s, "  8/0  ") && strstr(s, "   3  ") && strstr(s, "294 B") &&
			      strstr(s, "252 B") && strstr(s, "  16:39:00.116  ") &&
			      strstr(s, "  16:39:00.120\n"),
		  "type/code, packets, bytes, IP bytes, times: %s", s);
	free(s);
	tl_end(&c, NULL);

	/* --wide always has the VLAN column: '-' for an untagged flow. */
	tl_begin(&c, "format_table_flow_row_wide_untagged");
	CAPTURE(s, (emit_ctx_init(&ec, f, &o, &clk),
		    ec.read_wall_ns = flow_clock_wall_ns(&clk, u.f.c.last_seen),
		    emit_table.list_begin(&ec, VIEW_FLOWS),
		    emit_table.flow(&ec, &u), emit_table.list_end(&ec, VIEW_FLOWS)));
	tl_expect(&c, strstr(s, "Flows\nINTERFACE  VLAN  PROTO ") == s, "title and header: %s", s);
	tl_expect(&c, strstr(s, "\nlo            -  icmp       10.0.0.1             -  10.0.0.2") != NULL,
		  "row start: %s", s);
	free(s);
	tl_end(&c, NULL);
}

/* A flow's ends as narrow tables show them: ADDR:PORT, long addresses elided to fit. */
static void test_endpoints(void)
{
	static const struct {
		__u8 family;
		const char *addr, *port;
		int width;
		const char *want;
	} cases[] = {
		{ 4, "192.0.2.1", "80", 21, "192.0.2.1:80" },
		{ 4, "255.255.255.255", "65535", 21, "255.255.255.255:65535" },
		{ 4, "10.0.0.1", NULL, 21, "10.0.0.1" },
		{ 6, "2001:db8::1", "443", 47, "[2001:db8::1]:443" },
		{ 6, "2001:db8::1", "128/0", 21, "[2001:db8::1]:128/0" },
		/* 39 characters in 23 with "[]:443": 8 of the start, "..", 7 of the end. */
		{ 6, "2a02:8108:1234:5678:a1b2:c3d4:e5f6:7890", "443", 23, "[2a02:810..f6:7890]:443" },
		{ 6, "2a02:8108:1234:5678:a1b2:c3d4:e5f6:7890", NULL, 21, "2a02:8108:..e5f6:7890" },
		{ 6, "2a02:8108:1234:5678:a1b2:c3d4:e5f6:7890", "65535", 47,
		  "[2a02:8108:1234:5678:a1b2:c3d4:e5f6:7890]:65535" },
	};
	struct tl_check c;
	__u8 raw[16];
	char buf[64];
	size_t i;

	tl_begin(&c, "format_endpoints_elided_to_width");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(raw, 0, sizeof(raw));
		inet_pton(cases[i].family == 6 ? AF_INET6 : AF_INET, cases[i].addr, raw);
		endpoint_str(cases[i].family, raw, cases[i].port, cases[i].width, buf);
		tl_expect(&c, !strcmp(buf, cases[i].want) && (int)strlen(buf) <= cases[i].width,
			  "%s port %s in %d: '%s', expected '%s'", cases[i].addr,
			  cases[i].port ? cases[i].port : "none", cases[i].width, buf, cases[i].want);
	}
	tl_end(&c, NULL);
}

/* One --watch round of one row: its rate, given the tables read (NULL: unknown). */
static struct rate watch_round(struct rate_memory *rm, const struct snapshot_table_ids *ids,
			       __u64 packets, __u64 bytes)
{
	const struct timespec pause = { .tv_nsec = 2000000 };
	struct rate r;

	nanosleep(&pause, NULL); /* rounds a little apart: a rate needs time between them */
	rate_round_begin(rm, ids, clock_now_ns(CLOCK_MONOTONIC));
	rate_track(rm, VIEW_FLOWS, "row", 3, packets, bytes, &r);
	rate_round_end(rm);
	return r;
}

/*
 * --watch across a drain: other tables than the last read's mean the counts
 * were reset, whether they are now lower or higher; that round has no rate,
 * the next is measured from it.  Counts a little lower in the same tables
 * (a live read's double count undone) give 0, never a negative rate.
 */
static void test_rates_across_reset(void)
{
	const struct snapshot_table_ids before = { 11, 12, 13 }, after = { 21, 22, 23 };
	struct tl_check c;
	struct rate_memory rm;
	struct rate r;

	tl_begin(&c, "rates_reset_by_new_tables");
	if (!tl_expect(&c, !rate_memory_init(&rm), "rate_memory_init: out of memory")) {
		tl_end(&c, NULL);
		return;
	}
	r = watch_round(&rm, &before, 100, 1000);
	tl_expect(&c, !r.valid && !rm.reset, "first read: no rate, no reset");
	r = watch_round(&rm, &before, 150, 1500);
	tl_expect(&c, r.valid && r.packets > 0 && r.bytes > 0 && !rm.reset,
		  "same tables, counts up: a rate (%g/s)", r.packets);
	r = watch_round(&rm, &after, 400, 4000);
	tl_expect(&c, !r.valid && rm.reset, "new tables, counts up: reset, no rate (valid %d)",
		  r.valid);
	r = watch_round(&rm, &after, 390, 3900);
	tl_expect(&c, r.valid && r.packets == 0 && r.bytes == 0 && !rm.reset,
		  "same tables, counts a little down: rate 0 (%g/s), no reset", r.packets);
	r = watch_round(&rm, &before, 5, 50);
	tl_expect(&c, !r.valid && rm.reset, "new tables, counts down: reset, no rate");
	r = watch_round(&rm, NULL, 10, 100);
	tl_expect(&c, r.valid && !rm.reset && r.packets > 0, "tables unknown: no reset claimed");
	rate_memory_free(&rm);
	tl_end(&c, NULL);
}

/*
 * Times for people: the time of day on the read's day, else the date too;
 * local time (TZ) unless utc; the zone named.  Expectations computed by
 * hand for 1764500000 s = 2025-11-30 10:53:20 UTC, 16:23:20 at UTC+5:30.
 */
static void test_human_times(void)
{
	const int64_t s = 1000000000, ref = 1764500000 * s + s / 2;
	static const struct {
		int64_t t;
		bool utc;
		const char *want;
	} cases[] = {
		{ 1764500000 * s + 123000000, true, "10:53:20.123" },
		{ 1764500000 * s + 123000000, false, "16:23:20.123" },
		{ 1764413600 * s, true, "2025-11-29 10:53:20" },
		{ 1764413600 * s, false, "2025-11-29 16:23:20" },
		/* The same instant is still the read's day in UTC, the next day at +5:30. */
		{ 1764544000 * s, true, "23:06:40.000" },
		{ 1764544000 * s, false, "2025-12-01 04:36:40" },
	};
	struct tl_check c;
	char buf[48];
	const char *got;
	size_t i;

	tl_begin(&c, "format_human_times_local_utc_date");
	setenv("TZ", "IST-5:30", 1);
	tzset();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = human_time(cases[i].t, ref, cases[i].utc, buf);
		tl_expect(&c, got && !strcmp(got, cases[i].want), "%lld %s: '%s', expected '%s'",
			  (long long)(cases[i].t / s), cases[i].utc ? "utc" : "local", got ? got : "(null)",
			  cases[i].want);
	}
	human_stamp(1764500000 * s + 123000000, false, buf);
	tl_expect(&c, !strcmp(buf, "2025-11-30 16:23:20.123 IST"), "local stamp '%s'", buf);
	human_stamp(1764500000 * s + 123000000, true, buf);
	tl_expect(&c, !strcmp(buf, "2025-11-30 10:53:20.123 UTC"), "utc stamp '%s'", buf);
	tl_expect(&c, !strcmp(zone_name(ref, false, buf), "IST"), "zone '%s'", buf);
	tl_expect(&c, human_time(-1, ref, true, buf) == NULL, "a time before 1970 shown");
	/* Short (narrow tables): no milliseconds; another day without seconds; another year, its date. */
	got = short_time(1764500000 * s + 123000000, ref, false, buf);
	tl_expect(&c, got && !strcmp(got, "16:23:20"), "short, the read's day: '%s'", got);
	got = short_time(1764413600 * s, ref, false, buf);
	tl_expect(&c, got && !strcmp(got, "11-29 16:23"), "short, another day: '%s'", got);
	got = short_time(1764544000 * s, ref, false, buf);
	tl_expect(&c, got && !strcmp(got, "12-01 04:36"), "short, the next day at +5:30: '%s'", got);
	got = short_time((1764500000 - 366 * 86400) * s, ref, false, buf);
	tl_expect(&c, got && !strcmp(got, "2024-11-29"), "short, another year: '%s'", got);
	tl_expect(&c, short_time(-1, ref, true, buf) == NULL, "a short time before 1970 shown");
	unsetenv("TZ");
	tzset();
	tl_end(&c, NULL);
}

int main(int argc, char **argv)
{
	(void)argc;
	tl_init(argv[0]);
	test_units();
	test_numbers_and_escaping();
	test_addresses_flags_names();
	test_rows();
	test_rates_across_reset();
	test_human_times();
	test_endpoints();
	return tl_summary();
}
