/* SPDX-License-Identifier: GPL-2.0 */
/* Header-only helpers for xdpflow's C unit tests: reporting, frames, pcap, the program, maps. */
#ifndef XDPFLOW_TESTLIB_H
#define XDPFLOW_TESTLIB_H

/*
 * Everything here is "static inline" so that a test including this header
 * but using only part of it still builds with -Wall -Werror.  State that
 * must be shared (counters, pins to remove on exit) lives in tl_state().
 *
 * Sections:
 *   1. Reporting: tl_init(), tl_pass()/tl_fail()/tl_skip(), struct
 *      tl_check (collect several expectations into one PASS/FAIL line),
 *      tl_summary().
 *   2. Frame builder: struct tl_frame and tl_put_*() appending Ethernet,
 *      VLAN, IPv4, IPv6, IPv6 extension headers, TCP, UDP, ICMP, ARP;
 *      tl_frame_finish() fills in lengths and the IPv4 checksum.
 *   3. pcap reader: tl_pcap_open()/tl_pcap_next()/tl_pcap_close(), both
 *      byte orders, microsecond and nanosecond files.
 *   4. The XDP program: tl_xdp_open() loads build/xdpflow.bpf.o with its
 *      maps pinned in a fresh folder under /sys/fs/bpf (removed again by
 *      tl_xdp_close() or at exit), tl_xdp_run() runs one frame through
 *      BPF_PROG_TEST_RUN, tl_xdp_reset() empties the maps.
 *   5. Reading the maps back through pin/, as the tools read them:
 *      tl_read_stats() (one ifindex summed over CPUs and slots),
 *      tl_read_counts() (stats plus flow-cache entries: protocol counts
 *      and totals), tl_read_flows() (flow table merged with every CPU's
 *      flow-cache entries).
 *   6. Paths and interfaces: tl_project_root(), tl_corpus_dir(),
 *      tl_netns_private(), tl_veth_add(), tl_link_del().
 *
 * Functions return 0 or a negative errno; those that can fail for a
 * reason worth showing also leave a one-line explanation in tl_errmsg().
 *
 * Typical use (root; see test_xdp_rules.c for more):
 *
 *	struct tl_xdp xdp;
 *	struct tl_frame f;
 *	struct tl_counts counts;
 *	struct tl_flows flows;
 *	__u32 verdict;
 *
 *	tl_init(argv[0]);
 *	if (tl_xdp_open(&xdp, 0)) {
 *		tl_fail("load", "%s", tl_errmsg());
 *		return tl_summary();
 *	}
 *	tl_frame_init(&f);
 *	tl_put_eth(&f, TL_ETH_IPV4);
 *	tl_put_ipv4(&f, &(struct tl_ipv4){ .proto = IPPROTO_UDP });
 *	tl_put_udp(&f, 1000, 53);
 *	tl_frame_finish(&f);
 *	tl_xdp_run(&xdp, f.data, f.len, 0, &verdict);
 *	tl_read_counts(&xdp, 1, &counts);	// lo: BPF_PROG_TEST_RUN's default
 *	tl_read_flows(&xdp, &flows);
 *	...
 *	tl_flows_free(&flows);
 *	tl_xdp_close(&xdp);
 *	return tl_summary();
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xdpflow.h"
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/common_interface_defs.h>
#endif

#define TL_MAX_XDP 8 /* objects open at once (each has its own pin folder) */
#define TL_BPFFS "/sys/fs/bpf"
#define TL_PIN_PREFIX "xdpflow-ctest-" /* + pid + "-XXXXXX": only testlib makes these */
#define TL_PIN_COUNT 7 /* maps the object pins by name */

struct tl_state {
	const char *prog;
	unsigned int passed, failed, skipped;
	char errmsg[512];
	/* Pin paths to remove from a signal handler or atexit, preformatted. */
	char pins[TL_MAX_XDP][TL_PIN_COUNT + 1][PATH_MAX]; /* and a drain's counter */
	char pending_dirs[TL_MAX_XDP][PATH_MAX]; /* where drains keep their records */
	char pin_dirs[TL_MAX_XDP][PATH_MAX];
	volatile sig_atomic_t pin_used[TL_MAX_XDP];
};

static inline struct tl_state *tl_state(void)
{
	static struct tl_state state;

	return &state;
}

/* The explanation left by the last failing helper ("" if none). */
static inline const char *tl_errmsg(void)
{
	return tl_state()->errmsg;
}

static inline int tl_seterr(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int tl_seterr(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tl_state()->errmsg, sizeof(tl_state()->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

/* ===================================================================== */
/* 1. Reporting                                                          */
/* ===================================================================== */

static inline void tl_report(const char *tag, const char *name, const char *fmt, va_list ap)
{
	char text[4096] = "";

	if (fmt)
		vsnprintf(text, sizeof(text), fmt, ap);
	/* PASS details go in parentheses, FAIL/SKIP reasons after a colon. */
	if (!text[0])
		printf("%s: %s\n", tag, name);
	else if (!strcmp(tag, "PASS"))
		printf("%s: %s (%s)\n", tag, name, text);
	else
		printf("%s: %s: %s\n", tag, name, text);
	fflush(stdout);
}

/* "PASS: name" or "PASS: name (details)". */
static inline void tl_pass(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void tl_pass(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tl_report("PASS", name, fmt, ap);
	va_end(ap);
	tl_state()->passed++;
}

/* "FAIL: name: why". */
static inline void tl_fail(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void tl_fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tl_report("FAIL", name, fmt, ap);
	va_end(ap);
	tl_state()->failed++;
}

/* "SKIP: name: why". */
static inline void tl_skip(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void tl_skip(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tl_report("SKIP", name, fmt, ap);
	va_end(ap);
	tl_state()->skipped++;
}

/*
 * One check = one PASS/FAIL line made of any number of expectations:
 *
 *	struct tl_check c;
 *
 *	tl_begin(&c, "vlan_8021q");
 *	tl_expect_u64(&c, "non_ip packets", got, 0);
 *	tl_expect(&c, ok, "flow %s missing", name);
 *	tl_end(&c, "%u frames", n);
 *
 * The FAIL line lists the first failed expectations (and how many more).
 */
struct tl_check {
	const char *name;
	char why[768];
	unsigned int failures;
};

static inline void tl_begin(struct tl_check *c, const char *name)
{
	c->name = name;
	c->why[0] = '\0';
	c->failures = 0;
}

static inline bool tl_expect(struct tl_check *c, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline bool tl_expect(struct tl_check *c, bool ok, const char *fmt, ...)
{
	size_t used = strlen(c->why);
	va_list ap;

	if (ok)
		return true;
	/* Keep the line readable: the first few reasons, then a count. */
	if (c->failures++ < 4 && used + 8 < sizeof(c->why)) {
		if (used)
			used += snprintf(c->why + used, sizeof(c->why) - used, "; ");
		va_start(ap, fmt);
		vsnprintf(c->why + used, sizeof(c->why) - used, fmt, ap);
		va_end(ap);
	}
	return false;
}

static inline bool tl_expect_u64(struct tl_check *c, const char *what, unsigned long long got,
				 unsigned long long want)
{
	return tl_expect(c, got == want, "%s: got %llu, expected %llu", what, got, want);
}

/* Print the check's line; details (fmt, may be NULL) only on PASS. True if it passed. */
static inline bool tl_end(struct tl_check *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline bool tl_end(struct tl_check *c, const char *fmt, ...)
{
	char details[4096] = "";
	va_list ap;

	if (c->failures) {
		if (c->failures > 4)
			tl_fail(c->name, "%s; and %u more", c->why, c->failures - 4);
		else
			tl_fail(c->name, "%s", c->why);
		return false;
	}
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(details, sizeof(details), fmt, ap);
		va_end(ap);
	}
	tl_pass(c->name, "%s", details);
	return true;
}

/* Final line (not a PASS/FAIL line) and the exit status: 0 only if nothing failed. */
static inline int tl_summary(void)
{
	struct tl_state *s = tl_state();

	printf("%s: %u passed, %u failed, %u skipped\n", s->prog ? s->prog : "test", s->passed,
	       s->failed, s->skipped);
	fflush(stdout);
	return s->failed ? 1 : 0;
}

static inline void tl_remove_pins(int i)
{
	struct tl_state *s = tl_state();
	int j;

	if (!s->pin_used[i])
		return;
	/* Only async-signal-safe calls: this also runs from a signal handler. */
	for (j = 0; j <= TL_PIN_COUNT; j++)
		unlink(s->pins[i][j]);
	rmdir(s->pending_dirs[i]);
	rmdir(s->pin_dirs[i]);
	s->pin_used[i] = 0;
}

static inline void tl_cleanup_all(void)
{
	int i;

	for (i = 0; i < TL_MAX_XDP; i++)
		tl_remove_pins(i);
}

static inline void tl_on_signal(int sig)
{
	tl_cleanup_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

static inline int tl_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's debug chatter only with TL_VERBOSE set; warnings always. */
	if (level == LIBBPF_WARN || getenv("TL_VERBOSE"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

/* Remove every file in dir, then dir. */
static inline void tl_remove_dir(const char *dir)
{
	char path[PATH_MAX + 256];
	struct dirent *d;
	DIR *dp = opendir(dir);

	if (!dp)
		return;
	while ((d = readdir(dp)))
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..") &&
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, d->d_name) < sizeof(path))
			unlink(path);
	closedir(dp);
	rmdir(dir);
}

/*
 * Pin folders of test processes that died without cleaning up (SIGKILL,
 * a sanitizer abort): ours by name, and their process is gone.
 */
static inline void tl_sweep_stale_pins(void)
{
	char path[PATH_MAX + 256];
	struct dirent *d;
	DIR *dp = opendir(TL_BPFFS);
	int pid, end;

	if (!dp)
		return;
	while ((d = readdir(dp))) {
		end = 0;
		if (sscanf(d->d_name, TL_PIN_PREFIX "%d-%*6[A-Za-z0-9]%n", &pid, &end) != 1 ||
		    !end || d->d_name[end] || pid <= 0 || !kill(pid, 0) || errno != ESRCH)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", TL_BPFFS, d->d_name) <
		    sizeof(path))
			tl_remove_dir(path);
	}
	closedir(dp);
}

/*
 * Call first in main(): names the summary line, makes stdout line-buffered
 * (the runner interleaves our output with others) and removes pins left by
 * tl_xdp_open() at exit and on SIGINT, SIGTERM and fatal signals.  Pin
 * folders left by earlier test processes that were killed are removed.
 */
static inline void tl_init(const char *prog)
{
	const char *slash = strrchr(prog, '/');
	static const int fatal[] = { SIGINT, SIGTERM, SIGHUP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE };
	struct sigaction old;
	size_t i;

	tl_state()->prog = slash ? slash + 1 : prog;
	setvbuf(stdout, NULL, _IOLBF, 0);
	atexit(tl_cleanup_all);
	/* Leave handlers others installed alone (ASan's SIGSEGV report). */
	for (i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		if (!sigaction(fatal[i], NULL, &old) && old.sa_handler == SIG_DFL)
			signal(fatal[i], tl_on_signal);
#ifdef __SANITIZE_ADDRESS__
	/* A sanitizer report ends the process without running atexit handlers. */
	__sanitizer_set_death_callback(tl_cleanup_all);
#endif
	libbpf_set_print(tl_libbpf_print);
	tl_sweep_stale_pins();
}

/* ===================================================================== */
/* 2. Frame builder                                                      */
/* ===================================================================== */

#define TL_FRAME_MAX 16384

#define TL_ETH_IPV4 0x0800
#define TL_ETH_IPV6 0x86dd
#define TL_ETH_ARP 0x0806
#define TL_ETH_8021Q 0x8100
#define TL_ETH_8021AD 0x88a8

/*
 * A frame under construction.  tl_put_*() append headers in wire order;
 * the caller names every "next protocol" field itself, so a test can build
 * inconsistent frames on purpose.  src/dst hold the IP addresses written,
 * laid out as in struct xdpflow_flow_key, to build expected keys from.
 */
struct tl_frame {
	__u8 data[TL_FRAME_MAX];
	size_t len;
	size_t l3; /* offset of the IP header; 0: none */
	size_t l4; /* offset of the L4 header; 0: none */
	int family; /* 4 or 6 once an IP header is in */
	__u8 src[16], dst[16];
	__u16 vlan[2]; /* VLAN IDs of the first two tags, host order; 0: none */
	int vlans; /* tags put */
};

/* IPv4 header fields; zero means the default noted. */
struct tl_ipv4 {
	__u8 proto;
	__u8 ihl; /* 0: 5; 6..15 add NOP options */
	__u8 version; /* 0: 4 */
	__u16 frag; /* flags and fragment offset, host order (0x2000 MF, 0x4000 DF) */
	__u32 src, dst; /* host order; 0: 192.0.2.1 and 198.51.100.2 */
};

/* IPv6 header fields; zero means the default noted. */
struct tl_ipv6 {
	__u8 nexthdr;
	__u8 version; /* 0: 6 */
	__u8 src[16], dst[16]; /* all zero: 2001:db8::1 and 2001:db8::2 */
};

static inline void tl_frame_init(struct tl_frame *f)
{
	memset(f, 0, sizeof(*f));
}

/* Room for n more bytes, zeroed; a frame too big for the builder is a test bug. */
static inline __u8 *tl_frame_room(struct tl_frame *f, size_t n)
{
	__u8 *p;

	if (n > TL_FRAME_MAX - f->len) {
		fprintf(stderr, "testlib: frame of %zu bytes exceeds TL_FRAME_MAX\n", f->len + n);
		abort();
	}
	p = f->data + f->len;
	memset(p, 0, n);
	f->len += n;
	return p;
}

static inline void tl_put_be16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline __u16 tl_get_be16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

/* Ethernet header: dst 02:00:00:00:00:02, src 02:00:00:00:00:01, then type. */
static inline void tl_put_eth(struct tl_frame *f, __u16 type)
{
	__u8 *p = tl_frame_room(f, 14);

	p[0] = 0x02, p[5] = 0x02;
	p[6] = 0x02, p[11] = 0x01;
	tl_put_be16(p + 12, type);
}

/* The 4 bytes a VLAN tag adds after the TPID: TCI, then the next type. */
static inline void tl_put_vlan(struct tl_frame *f, __u16 tci, __u16 next_type)
{
	__u8 *p = tl_frame_room(f, 4);

	tl_put_be16(p, tci);
	tl_put_be16(p + 2, next_type);
	if (f->vlans < 2)
		f->vlan[f->vlans] = tci & 0x0fff;
	f->vlans++;
}

static inline void tl_put_ipv4(struct tl_frame *f, const struct tl_ipv4 *h)
{
	__u8 ihl = h->ihl ? h->ihl : 5;
	__u32 src = htonl(h->src ? h->src : 0xc0000201); /* 192.0.2.1 */
	__u32 dst = htonl(h->dst ? h->dst : 0xc6336402); /* 198.51.100.2 */
	__u8 *p;

	f->l3 = f->len;
	f->family = 4;
	p = tl_frame_room(f, ihl * 4u);
	p[0] = (__u8)((h->version ? h->version : 4) << 4 | (ihl & 0xf));
	tl_put_be16(p + 4, 0x1234); /* identification */
	tl_put_be16(p + 6, h->frag);
	p[8] = 64;
	p[9] = h->proto;
	memcpy(p + 12, &src, 4);
	memcpy(p + 16, &dst, 4);
	memset(p + 20, 0x01, ihl * 4u - 20); /* NOP options */
	memset(f->src, 0, 16);
	memset(f->dst, 0, 16);
	memcpy(f->src, &src, 4);
	memcpy(f->dst, &dst, 4);
}

static inline void tl_put_ipv6(struct tl_frame *f, const struct tl_ipv6 *h)
{
	static const __u8 zero[16];
	__u8 *p;

	f->l3 = f->len;
	f->family = 6;
	p = tl_frame_room(f, 40);
	p[0] = (__u8)((h->version ? h->version : 6) << 4);
	p[6] = h->nexthdr;
	p[7] = 64;
	if (memcmp(h->src, zero, 16)) {
		memcpy(p + 8, h->src, 16);
	} else {
		p[8] = 0x20, p[9] = 0x01, p[10] = 0x0d, p[11] = 0xb8, p[23] = 1;
	}
	if (memcmp(h->dst, zero, 16)) {
		memcpy(p + 24, h->dst, 16);
	} else {
		p[24] = 0x20, p[25] = 0x01, p[26] = 0x0d, p[27] = 0xb8, p[39] = 2;
	}
	memcpy(f->src, p + 8, 16);
	memcpy(f->dst, p + 24, 16);
}

/*
 * An IPv6 extension header of type with the given next header and header
 * length field.  Its size follows RFC 8200/4302: AH (51) is
 * (hdrlen + 2) * 4 bytes, the others (hdrlen + 1) * 8.  The body is filled
 * with 0xee so a parser that gets the length wrong reads ports 0xeeee.
 * Use tl_put_ip6_frag() for fragment headers.
 */
static inline void tl_put_ip6_ext(struct tl_frame *f, __u8 type, __u8 nexthdr, __u8 hdrlen)
{
	size_t size = type == 51 ? (hdrlen + 2u) * 4 : (hdrlen + 1u) * 8;
	__u8 *p = tl_frame_room(f, size);

	memset(p, 0xee, size);
	p[0] = nexthdr;
	p[1] = hdrlen;
	if (type == 51)
		tl_put_be16(p + 2, 0); /* AH reserved field */
}

/* IPv6 fragment header: offset in 8-byte units, more = the M flag. */
static inline void tl_put_ip6_frag(struct tl_frame *f, __u8 nexthdr, __u16 offset, bool more)
{
	__u8 *p = tl_frame_room(f, 8);

	p[0] = nexthdr;
	tl_put_be16(p + 2, (__u16)(offset << 3 | (more ? 1 : 0)));
	p[4] = 0xab, p[7] = 0xcd; /* identification */
}

static inline void tl_put_tcp(struct tl_frame *f, __u16 sport, __u16 dport, __u8 flags)
{
	__u8 *p;

	f->l4 = f->len;
	p = tl_frame_room(f, 20);
	tl_put_be16(p, sport);
	tl_put_be16(p + 2, dport);
	p[7] = 1; /* sequence number */
	p[12] = 5 << 4; /* data offset */
	p[13] = flags;
	tl_put_be16(p + 14, 65535);
}

/* UDP header; tl_frame_finish() fills in the length. */
static inline void tl_put_udp(struct tl_frame *f, __u16 sport, __u16 dport)
{
	__u8 *p;

	f->l4 = f->len;
	p = tl_frame_room(f, 8);
	tl_put_be16(p, sport);
	tl_put_be16(p + 2, dport);
}

/* Any L4 header that starts with two ports (SCTP: size 12, UDP-Lite: 8). */
static inline void tl_put_ports(struct tl_frame *f, __u16 sport, __u16 dport, size_t size)
{
	__u8 *p;

	f->l4 = f->len;
	p = tl_frame_room(f, size < 4 ? 4 : size);
	tl_put_be16(p, sport);
	tl_put_be16(p + 2, dport);
}

/* ICMP or ICMPv6 header (8 bytes: type, code, checksum 0, rest 0). */
static inline void tl_put_icmp(struct tl_frame *f, __u8 type, __u8 code)
{
	__u8 *p;

	f->l4 = f->len;
	p = tl_frame_room(f, 8);
	p[0] = type;
	p[1] = code;
}

/* ARP request for Ethernet/IPv4 (28 bytes); the frame's type must be 0x0806. */
static inline void tl_put_arp(struct tl_frame *f)
{
	__u8 *p = tl_frame_room(f, 28);

	tl_put_be16(p, 1);
	tl_put_be16(p + 2, TL_ETH_IPV4);
	p[4] = 6, p[5] = 4;
	tl_put_be16(p + 6, 1);
	p[8] = 0x02, p[13] = 0x01;
	p[14] = 192, p[16] = 2, p[17] = 1;
	p[24] = 198, p[25] = 51, p[26] = 100, p[27] = 2;
}

static inline void tl_put_bytes(struct tl_frame *f, size_t n, __u8 fill)
{
	memset(tl_frame_room(f, n), fill, n);
}

static inline __u16 tl_ipv4_checksum(const __u8 *p, size_t len)
{
	__u32 sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += tl_get_be16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/*
 * Fill in the lengths from the frame as built: IPv4 total length and
 * header checksum, IPv6 payload length, UDP length.  Call it before
 * cutting a frame short (tl_frame_cut) so the length fields still describe
 * the full packet, as they do in a truncated capture.
 */
static inline void tl_frame_finish(struct tl_frame *f)
{
	__u8 *ip = f->data + f->l3;

	if (f->family == 4) {
		size_t ihl = (ip[0] & 0xf) * 4u;

		tl_put_be16(ip + 2, (__u16)(f->len - f->l3));
		tl_put_be16(ip + 10, 0);
		if (ihl >= 20 && f->l3 + ihl <= f->len)
			tl_put_be16(ip + 10, tl_ipv4_checksum(ip, ihl));
	} else if (f->family == 6) {
		tl_put_be16(ip + 4, (__u16)(f->len - f->l3 - 40));
	}
	if (f->l4 && f->l4 + 8 <= f->len && f->family && ip[f->family == 4 ? 9 : 6] == IPPROTO_UDP)
		tl_put_be16(f->data + f->l4 + 4, (__u16)(f->len - f->l4));
}

/* Overwrite the IP length field (IPv4 total length, IPv6 payload length). */
static inline void tl_frame_set_ip_len(struct tl_frame *f, __u16 v)
{
	tl_put_be16(f->data + f->l3 + (f->family == 4 ? 2 : 4), v);
}

/* Cut the frame to len bytes (len <= f->len). */
static inline void tl_frame_cut(struct tl_frame *f, size_t len)
{
	if (len < f->len)
		f->len = len;
}

/*
 * The flow key a frame built here should get: addresses from the IP header
 * written, the rest as given (ports and ICMP type<<8|code in host order).
 */
static inline void tl_frame_key(const struct tl_frame *f, struct xdpflow_flow_key *k, __u32 ifindex,
				__u8 proto, __u16 sport, __u16 dport)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->src, f->src, 16);
	memcpy(k->dst, f->dst, 16);
	k->ifindex = ifindex;
	k->family = (__u8)f->family;
	k->proto = proto;
	k->sport = htons(sport);
	k->dport = htons(dport);
	k->vlan_outer = htons(f->vlan[0]);
	k->vlan_inner = htons(f->vlan[1]);
}

/* ===================================================================== */
/* 3. pcap reader                                                        */
/* ===================================================================== */

#define TL_PCAP_MAX_FRAME (256u * 1024) /* larger records mean a corrupt file */

struct tl_pcap {
	__u8 *buf;
	size_t size, off;
	bool swapped; /* file written in the other byte order */
	bool nsec; /* nanosecond timestamps */
	__u32 linktype; /* whole field; the low 16 bits are the link type */
	__u32 snaplen;
};

struct tl_pcap_rec {
	const __u8 *data; /* valid until tl_pcap_close() */
	__u32 caplen, origlen;
	__u64 ts_ns;
};

static inline __u32 tl_pcap_u32(const struct tl_pcap *p, const __u8 *b)
{
	__u32 v;

	memcpy(&v, b, 4);
	return p->swapped ? __builtin_bswap32(v) : v;
}

/* Read a whole pcap file; -EPROTO (and tl_errmsg) when it is not one. */
static inline int tl_pcap_open(struct tl_pcap *p, const char *path)
{
	__u32 magic;
	struct stat st;
	FILE *fp;
	int err = 0;

	memset(p, 0, sizeof(*p));
	fp = fopen(path, "rb");
	if (!fp)
		return tl_seterr(-errno, "%s: %s", path, strerror(errno));
	if (fstat(fileno(fp), &st) || st.st_size < 24) {
		err = tl_seterr(-EPROTO, "%s: too short for a pcap file header", path);
		goto out;
	}
	p->size = (size_t)st.st_size;
	p->buf = malloc(p->size);
	if (!p->buf) {
		err = tl_seterr(-ENOMEM, "%s: out of memory", path);
		goto out;
	}
	if (fread(p->buf, 1, p->size, fp) != p->size) {
		err = tl_seterr(-EIO, "%s: short read", path);
		goto out;
	}
	memcpy(&magic, p->buf, 4);
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) {
		p->swapped = false;
	} else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) {
		p->swapped = true;
	} else {
		err = tl_seterr(-EPROTO, "%s: not a pcap file (magic %08x)", path, magic);
		goto out;
	}
	p->nsec = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
	p->snaplen = tl_pcap_u32(p, p->buf + 16);
	p->linktype = tl_pcap_u32(p, p->buf + 20);
	p->off = 24;
out:
	fclose(fp);
	if (err) {
		free(p->buf);
		p->buf = NULL;
	}
	return err;
}

/* Link type 1 (Ethernet); the upper bits may carry the FCS length. */
static inline bool tl_pcap_is_ethernet(const struct tl_pcap *p)
{
	return (p->linktype & 0xffff) == 1;
}

/* Next record: 1 with r filled, 0 at the end, -EPROTO if the file is cut or corrupt. */
static inline int tl_pcap_next(struct tl_pcap *p, struct tl_pcap_rec *r)
{
	const __u8 *h = p->buf + p->off;
	__u32 sec, frac;

	memset(r, 0, sizeof(*r));
	if (p->off == p->size)
		return 0;
	if (p->size - p->off < 16)
		return tl_seterr(-EPROTO, "pcap record header cut off at offset %zu", p->off);
	sec = tl_pcap_u32(p, h);
	frac = tl_pcap_u32(p, h + 4);
	r->caplen = tl_pcap_u32(p, h + 8);
	r->origlen = tl_pcap_u32(p, h + 12);
	if (r->caplen > TL_PCAP_MAX_FRAME || r->caplen > p->size - p->off - 16)
		return tl_seterr(-EPROTO, "pcap record at offset %zu claims %u bytes", p->off,
				 r->caplen);
	r->ts_ns = sec * 1000000000ull + (p->nsec ? frac : frac * 1000ull);
	r->data = h + 16;
	p->off += 16 + (size_t)r->caplen;
	return 1;
}

static inline void tl_pcap_close(struct tl_pcap *p)
{
	free(p->buf);
	p->buf = NULL;
}

/* ===================================================================== */
/* 6. Paths and interfaces (used by section 4)                           */
/* ===================================================================== */

static inline bool tl_is_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode);
}

static inline bool tl_is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/*
 * The project root: the current directory if it holds xdp/xdpflow.bpf.c,
 * else the nearest parent of this executable that does (tests run from
 * build/tests/ or build/asan/tests/ whatever the current directory).
 */
static inline int tl_project_root(char *buf, size_t size)
{
	char path[PATH_MAX], probe[PATH_MAX + 32], *slash;
	ssize_t n;
	int up;

	if (tl_is_file("xdp/xdpflow.bpf.c") && getcwd(buf, size))
		return 0;
	n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (n < 0)
		return -errno;
	path[n] = '\0';
	for (up = 0; up < 6 && (slash = strrchr(path, '/')) && slash != path; up++) {
		*slash = '\0';
		snprintf(probe, sizeof(probe), "%s/xdp/xdpflow.bpf.c", path);
		if (tl_is_file(probe))
			return (size_t)snprintf(buf, size, "%s", path) < size ? 0 : -ENAMETOOLONG;
	}
	return -ENOENT;
}

/*
 * The XDP object to test: $XDPFLOW_BPF_OBJ, else xdpflow.bpf.o in the
 * build folder this executable was built into (BUILD=... respected), else
 * <project root>/build/xdpflow.bpf.o.
 */
static inline int tl_bpf_object_path(char *buf, size_t size)
{
	static const char *const rel[] = { "/../xdpflow.bpf.o", "/../../xdpflow.bpf.o" };
	const char *env = getenv("XDPFLOW_BPF_OBJ");
	char exe[PATH_MAX], root[PATH_MAX], *slash;
	ssize_t n;
	size_t i;

	if (env && *env) {
		snprintf(buf, size, "%s", env);
		return tl_is_file(buf) ? 0
				       : tl_seterr(-ENOENT, "%s (XDPFLOW_BPF_OBJ) not found", env);
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
			if ((size_t)snprintf(buf, size, "%s%s", exe, rel[i]) < size &&
			    tl_is_file(buf))
				return 0;
		}
	}
	if (!tl_project_root(root, sizeof(root)) &&
	    (size_t)snprintf(buf, size, "%s/build/xdpflow.bpf.o", root) < size && tl_is_file(buf))
		return 0;
	return tl_seterr(-ENOENT, "xdpflow.bpf.o not found: run make, or set XDPFLOW_BPF_OBJ");
}

/* The tcpdump capture corpus: $XDPFLOW_CORPUS, else <root>/tests/corpus/tcpdump (committed). */
static inline int tl_corpus_dir(char *buf, size_t size)
{
	const char *env = getenv("XDPFLOW_CORPUS");
	char root[PATH_MAX];

	if (env && *env) {
		snprintf(buf, size, "%s", env);
		return tl_is_dir(buf)
			       ? 0
			       : tl_seterr(-ENOENT, "%s (XDPFLOW_CORPUS) is not a folder", env);
	}
	if (tl_project_root(root, sizeof(root)))
		return tl_seterr(-ENOENT, "project root not found; set XDPFLOW_CORPUS");
	if ((size_t)snprintf(buf, size, "%s/tests/corpus/tcpdump", root) >= size)
		return -ENAMETOOLONG;
	return tl_is_dir(buf) ? 0 : tl_seterr(-ENOENT, "%s not found; set XDPFLOW_CORPUS", buf);
}

/*
 * Move this process into a network namespace of its own, so interfaces
 * created here vanish with the process however it ends.  BPF_PROG_TEST_RUN
 * then resolves ifindexes (and its default ifindex 1, lo) in that namespace.
 */
static inline int tl_netns_private(void)
{
	if (unshare(CLONE_NEWNET))
		return tl_seterr(-errno, "unshare(CLONE_NEWNET): %s", strerror(errno));
	return 0;
}

struct tl_nlreq {
	struct nlmsghdr nh;
	struct ifinfomsg ifi;
	char attrs[512];
};

static inline struct rtattr *tl_nl_attr(struct nlmsghdr *nh, unsigned short type, const void *data,
					size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
	return rta;
}

/* Close a nested attribute opened with tl_nl_attr(nh, type, NULL, 0). */
static inline void tl_nl_nest_end(struct nlmsghdr *nh, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)((char *)nh + nh->nlmsg_len - (char *)nest);
}

/* Send one rtnetlink request and wait for its acknowledgement: 0 or -errno. */
static inline int tl_nl_talk(struct nlmsghdr *nh)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	union {
		struct nlmsghdr nh;
		char buf[4096];
	} ack;
	struct nlmsgerr *e;
	ssize_t n;
	int fd, err;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	nh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nh->nlmsg_seq = 1;
	if (sendto(fd, nh, nh->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		goto out;
	}
	n = recv(fd, &ack, sizeof(ack), 0);
	if (n < 0) {
		err = -errno;
		goto out;
	}
	err = -EPROTO;
	if ((size_t)n >= NLMSG_LENGTH(sizeof(*e)) && ack.nh.nlmsg_type == NLMSG_ERROR) {
		e = NLMSG_DATA(&ack.nh);
		err = e->error;
	}
out:
	close(fd);
	return err;
}

/* Create a veth pair name <-> peer (both down); *ifindex = name's ifindex. */
static inline int tl_veth_add(const char *name, const char *peer, __u32 *ifindex)
{
	struct rtattr *linkinfo, *data, *peer_attr;
	struct ifinfomsg *peer_ifi;
	struct tl_nlreq req;
	int err;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi));
	req.nh.nlmsg_type = RTM_NEWLINK;
	req.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	req.ifi.ifi_family = AF_UNSPEC;
	tl_nl_attr(&req.nh, IFLA_IFNAME, name, strlen(name) + 1);
	linkinfo = tl_nl_attr(&req.nh, IFLA_LINKINFO, NULL, 0);
	tl_nl_attr(&req.nh, IFLA_INFO_KIND, "veth", 5);
	data = tl_nl_attr(&req.nh, IFLA_INFO_DATA, NULL, 0);
	peer_attr = tl_nl_attr(&req.nh, VETH_INFO_PEER, NULL, 0);
	/* The peer's attributes start with its own struct ifinfomsg (zeroed above). */
	peer_ifi = (struct ifinfomsg *)((char *)&req + req.nh.nlmsg_len);
	peer_ifi->ifi_family = AF_UNSPEC;
	req.nh.nlmsg_len += NLMSG_ALIGN(sizeof(*peer_ifi));
	tl_nl_attr(&req.nh, IFLA_IFNAME, peer, strlen(peer) + 1);
	tl_nl_nest_end(&req.nh, peer_attr);
	tl_nl_nest_end(&req.nh, data);
	tl_nl_nest_end(&req.nh, linkinfo);
	err = tl_nl_talk(&req.nh);
	if (err)
		return tl_seterr(err, "creating veth %s/%s: %s", name, peer, strerror(-err));
	*ifindex = if_nametoindex(name);
	return *ifindex ? 0 : tl_seterr(-ENODEV, "veth %s vanished after creation", name);
}

/* Delete an interface (a veth's peer goes with it). */
static inline int tl_link_del(const char *name)
{
	struct tl_nlreq req;
	int err;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi));
	req.nh.nlmsg_type = RTM_DELLINK;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = (int)if_nametoindex(name);
	if (!req.ifi.ifi_index)
		return tl_seterr(-ENODEV, "%s: no such interface", name);
	err = tl_nl_talk(&req.nh);
	return err ? tl_seterr(err, "deleting %s: %s", name, strerror(-err)) : 0;
}

/* ===================================================================== */
/* 4. The XDP program                                                    */
/* ===================================================================== */

struct tl_xdp {
	struct bpf_object *obj;
	int prog_fd;
	/* Outer maps (slot 0 = the current table), the generation words and the clock array. */
	int stats_fd, flows_fd, fcache_fd, refused_fd, fgen_fd, clock_fd;
	int ncpus; /* possible CPUs: values per per-CPU map element */
	int slot; /* index in tl_state()'s pin registry */
	char pin_dir[PATH_MAX]; /* the pin folder */
	struct pin_maps pm; /* its pins, opened read-only by pin/ (section 5 reads through it) */
	char obj_path[PATH_MAX];
};

/* Mount bpffs on /sys/fs/bpf if it is not mounted yet. */
static inline int tl_bpffs_ensure(void)
{
	struct statfs st;

	if (!statfs(TL_BPFFS, &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", TL_BPFFS, "bpf", 0, NULL))
		return tl_seterr(-errno, "mounting bpffs on /sys/fs/bpf: %s", strerror(errno));
	return 0;
}

static inline int tl_pin_register(struct tl_xdp *x)
{
	static const char *const names[TL_PIN_COUNT + 1] = {
		XDPFLOW_MAP_LAYOUT,  XDPFLOW_MAP_STATS,	     XDPFLOW_MAP_FLOWS, XDPFLOW_MAP_FLOWCACHE,
		XDPFLOW_MAP_REFUSED, XDPFLOW_MAP_FLOWCACHE_GEN, XDPFLOW_MAP_CLOCK, PENDING_FOLDER "/last_id",
	};
	struct tl_state *s = tl_state();
	int i, j;

	for (i = 0; i < TL_MAX_XDP && s->pin_used[i]; i++)
		;
	if (i == TL_MAX_XDP)
		return tl_seterr(-EMFILE, "more than %d XDP objects open at once", TL_MAX_XDP);
	snprintf(s->pin_dirs[i], PATH_MAX, "%s", x->pin_dir);
	for (j = 0; j <= TL_PIN_COUNT; j++)
		snprintf(s->pins[i][j], PATH_MAX, "%.*s/%s", PATH_MAX - 32, x->pin_dir, names[j]);
	snprintf(s->pending_dirs[i], PATH_MAX, "%.*s/" PENDING_FOLDER, PATH_MAX - 32, x->pin_dir);
	s->pin_used[i] = 1;
	x->slot = i;
	return 0;
}

static inline int tl_map_fd(struct tl_xdp *x, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(x->obj, name);

	return m ? bpf_map__fd(m) : -ENOENT;
}

/* Unload the program, close the maps and remove the pin folder. */
static inline void tl_xdp_close(struct tl_xdp *x)
{
	pin_close(&x->pm);
	bpf_object__close(x->obj);
	x->obj = NULL;
	if (x->slot >= 0)
		tl_remove_pins(x->slot);
	x->slot = -1;
}

/*
 * Limit the flow table before load.  Only the epoch-0 table is resized:
 * libbpf 1.1 (and later, which never set the template's object) crashes in
 * bpf_map__set_max_entries() on bpf_map__inner_map(xdpflow_flows), and the
 * kernel accepts a hash table of any max_entries in the outer map's slot.
 */
static inline int tl_set_max_flows(struct tl_xdp *x, __u32 max_flows)
{
	struct bpf_map *table = bpf_object__find_map_by_name(x->obj, "flows_epoch0");

	if (!table)
		return tl_seterr(-ENOENT, "%s: no map flows_epoch0", x->obj_path);
	if (bpf_map__set_max_entries(table, max_flows))
		return tl_seterr(-EINVAL, "%s: cannot set the flow table size", x->obj_path);
	return 0;
}

/*
 * Load the xdpflow object (see tl_bpf_object_path) with its maps pinned in
 * a new folder /sys/fs/bpf/xdpflow-ctest-<pid>-XXXXXX.  max_flows != 0
 * sizes the flow table.  On failure everything is undone and tl_errmsg()
 * says why.
 */
static inline int tl_xdp_open(struct tl_xdp *x, __u32 max_flows)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct bpf_program *prog;
	int i, err;

	memset(x, 0, sizeof(*x));
	x->slot = -1;
	for (i = 0; i < PIN_MAP_COUNT; i++)
		x->pm.fd[i] = -1;
	err = tl_bpf_object_path(x->obj_path, sizeof(x->obj_path));
	if (err)
		return err;
	err = tl_bpffs_ensure();
	if (err)
		return err;
	snprintf(x->pin_dir, sizeof(x->pin_dir), "%s/%s%d-XXXXXX", TL_BPFFS, TL_PIN_PREFIX,
		 (int)getpid());
	if (!mkdtemp(x->pin_dir))
		return tl_seterr(-errno, "creating a pin folder under /sys/fs/bpf: %s",
				 strerror(errno));
	err = tl_pin_register(x);
	if (err) {
		rmdir(x->pin_dir);
		return err;
	}
	opts.pin_root_path = x->pin_dir;
	x->obj = bpf_object__open_file(x->obj_path, &opts);
	if (!x->obj) {
		err = tl_seterr(-errno, "%s: cannot open: %s", x->obj_path, strerror(errno));
		goto fail;
	}
	if (max_flows) {
		err = tl_set_max_flows(x, max_flows);
		if (err)
			goto fail;
	}
	err = bpf_object__load(x->obj);
	if (err) {
		err = tl_seterr(-errno, "%s: load failed: %s (TL_VERBOSE=1 shows libbpf's log)",
				x->obj_path, strerror(errno));
		goto fail;
	}
	prog = bpf_object__find_program_by_name(x->obj, "xdpflow");
	x->prog_fd = prog ? bpf_program__fd(prog) : -ENOENT;
	x->stats_fd = tl_map_fd(x, XDPFLOW_MAP_STATS);
	x->flows_fd = tl_map_fd(x, XDPFLOW_MAP_FLOWS);
	x->fcache_fd = tl_map_fd(x, XDPFLOW_MAP_FLOWCACHE);
	x->refused_fd = tl_map_fd(x, XDPFLOW_MAP_REFUSED);
	x->fgen_fd = tl_map_fd(x, XDPFLOW_MAP_FLOWCACHE_GEN);
	x->clock_fd = tl_map_fd(x, XDPFLOW_MAP_CLOCK);
	x->ncpus = libbpf_num_possible_cpus();
	if (x->prog_fd < 0 || x->stats_fd < 0 || x->flows_fd < 0 || x->fcache_fd < 0 ||
	    x->clock_fd < 0 || x->ncpus <= 0) {
		err = tl_seterr(-ENOENT, "%s: program xdpflow or one of its maps is missing",
				x->obj_path);
		goto fail;
	}
	err = pin_open(x->pin_dir, false, &x->pm, tl_state()->errmsg, sizeof(tl_state()->errmsg));
	if (err)
		goto fail;
	return 0;
fail:
	tl_xdp_close(x);
	return err;
}

/*
 * Run one frame through the program with BPF_PROG_TEST_RUN.  ifindex 0
 * keeps the kernel's default (the namespace's lo, ifindex 1); another
 * ifindex is passed as xdp_md.ingress_ifindex and must be a real interface
 * of this network namespace.  Frames longer than the kernel's linear
 * buffer (a page less head- and tailroom) go in as multi-buffer frames.
 * Returns 0 with *verdict set, or -errno from the kernel (frames shorter
 * than 14 bytes give -EINVAL, frames needing more than MAX_SKB_FRAGS
 * pages -ENOMEM).
 */
static inline int tl_xdp_run(struct tl_xdp *x, const void *frame, size_t len, __u32 ifindex,
			     __u32 *verdict)
{
	struct xdp_md ctx = { .data_end = (__u32)len, .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = (__u32)len,
		    .repeat = 1);

	*verdict = (__u32)-1;
	if (ifindex) {
		opts.ctx_in = &ctx;
		opts.ctx_size_in = sizeof(ctx);
	}
	if (bpf_prog_test_run_opts(x->prog_fd, &opts))
		return -errno;
	*verdict = opts.retval;
	return 0;
}

/* A new fd of the table in slot 0 of an outer map (the one the program writes now). */
static inline int tl_current_table(int outer_fd)
{
	__u32 zero = 0, id = 0;
	int fd;

	if (bpf_map_lookup_elem(outer_fd, &zero, &id))
		return tl_seterr(-errno, "reading slot 0 of an outer map: %s", strerror(errno));
	fd = bpf_map_get_fd_by_id(id);
	return fd < 0 ? tl_seterr(-errno, "map id %u: %s", id, strerror(errno)) : fd;
}

/* Values of one per-CPU map element: ncpus copies, each rounded up to 8 bytes. */
static inline size_t tl_percpu_stride(size_t value_size)
{
	return (value_size + 7) & ~(size_t)7;
}

static inline int tl_zero_percpu(int fd, int ncpus, __u32 entries, size_t value_size)
{
	void *zeros = calloc((size_t)ncpus, tl_percpu_stride(value_size));
	int err = 0;
	__u32 k;

	if (!zeros)
		return -ENOMEM;
	for (k = 0; k < entries && !err; k++)
		if (bpf_map_update_elem(fd, &k, zeros, BPF_ANY))
			err = -errno;
	free(zeros);
	return err;
}

/* Delete every entry of a hash map whose keys are at most 64 bytes. */
static inline int tl_clear_hash(int fd)
{
	__u8 k[64];

	while (!bpf_map_get_next_key(fd, NULL, k))
		if (bpf_map_delete_elem(fd, k))
			return -errno;
	return errno == ENOENT ? 0 : -errno;
}

/* Empty the current tables, the generation words and the clock: the next check starts from zero. */
static inline int tl_xdp_reset(struct tl_xdp *x)
{
	int stats = tl_current_table(x->stats_fd);
	int flows = tl_current_table(x->flows_fd);
	int cache = tl_current_table(x->fcache_fd);
	int refused = tl_current_table(x->refused_fd);
	int err = -EBADF;

	if (stats >= 0 && flows >= 0 && cache >= 0 && refused >= 0) {
		err = tl_zero_percpu(stats, x->ncpus, XDPFLOW_STATS_ENTRIES,
				     sizeof(struct xdpflow_iface_stats));
		if (!err)
			err = tl_zero_percpu(cache, x->ncpus, XDPFLOW_FLOWCACHE_SETS,
					     sizeof(struct xdpflow_flowcache_set));
		if (!err)
			err = tl_clear_hash(flows);
		if (!err)
			err = tl_clear_hash(refused);
		if (!err)
			err = tl_zero_percpu(x->fgen_fd, x->ncpus, 1,
					     sizeof(struct xdpflow_flowcache_gens));
		if (!err)
			err = tl_zero_percpu(x->clock_fd, x->ncpus, 1,
					     sizeof(struct xdpflow_clock_anchor));
	}
	if (stats >= 0)
		close(stats);
	if (flows >= 0)
		close(flows);
	if (cache >= 0)
		close(cache);
	if (refused >= 0)
		close(refused);
	return err ? tl_seterr(err, "resetting the maps: %s", strerror(-err)) : 0;
}

/* ===================================================================== */
/* 5. Reading the maps back                                              */
/* ===================================================================== */

#define TL_ANY_IFINDEX 0 /* tl_read_stats/tl_read_counts: every interface together */

/*
 * The maps are read through pin/, the library both tools read them with
 * (snapshot_take, snapshot_walk_flows): the ground truth of a test is what
 * it sent, never what xdpflow's code computes.  x->pm is opened by
 * tl_xdp_open().
 */

static inline void tl_counter_add(struct xdpflow_counter *to, const struct xdpflow_counter *c)
{
	to->packets += c->packets;
	to->bytes += c->bytes;
}

static inline int tl_snapshot(struct tl_xdp *x, struct snapshot_tables *t, struct snapshot *s)
{
	int err = snapshot_take(&x->pm, false, t, s);

	return err ? tl_seterr(err, "reading the maps at %s: %s", x->pin_dir, strerror(-err)) : 0;
}

/*
 * The raw stats of one interface: every slot on every CPU whose owner is
 * ifindex, added up (TL_ANY_IFINDEX: all slots).  IP frames are not in
 * them; tl_read_counts() gives the full picture.
 */
static inline int tl_read_stats(struct tl_xdp *x, __u32 ifindex, struct xdpflow_iface_stats *out)
{
	struct iface_set set = {};
	const struct iface_counts *ic;
	size_t i;
	int fd, err;

	memset(out, 0, sizeof(*out));
	out->ifindex = ifindex;
	fd = pin_open_current(&x->pm, PIN_STATS);
	if (fd < 0)
		return tl_seterr(fd, "opening the stats table: %s", strerror(-fd));
	err = snapshot_read_stats(fd, x->pm.ncpus, &set);
	close(fd);
	for (i = 0; !err && i < set.n; i++) {
		ic = &set.v[i];
		if (ifindex != TL_ANY_IFINDEX && ic->ifindex != ifindex)
			continue;
		tl_counter_add(&out->non_ip, &ic->non_ip);
		tl_counter_add(&out->malformed, &ic->malformed);
		tl_counter_add(&out->unrecorded, &ic->unrecorded);
	}
	iface_set_free(&set);
	return err ? tl_seterr(err, "reading the stats: %s", strerror(-err)) : 0;
}

/*
 * The frames the full flow table refused, by protocol, of ifindex
 * (TL_ANY_IFINDEX: all), added into proto[family index][protocol].
 */
static inline int tl_read_refused(struct tl_xdp *x, __u32 ifindex,
				  struct xdpflow_counter proto[2][256])
{
	struct iface_set set = {};
	const struct iface_counts *ic;
	size_t i;
	int fd, err, f;

	fd = pin_open_current(&x->pm, PIN_REFUSED);
	if (fd < 0)
		return tl_seterr(fd, "opening the refused frames: %s", strerror(-fd));
	err = snapshot_read_refused(fd, &set);
	close(fd);
	for (i = 0; !err && i < set.n; i++) {
		ic = &set.v[i];
		if (ifindex != TL_ANY_IFINDEX && ic->ifindex != ifindex)
			continue;
		for (f = 0; f < 2 * 256; f++)
			tl_counter_add(&proto[f / 256][f % 256], &ic->proto[f / 256][f % 256]);
	}
	iface_set_free(&set);
	return err ? tl_seterr(err, "reading the refused frames: %s", strerror(-err)) : 0;
}

/*
 * What a reader reports for one interface (TL_ANY_IFINDEX: all of them):
 * protocol counts = its flows (table and caches) of that family and
 * protocol + its refused frames; ip = the sum of those; total = non_ip +
 * malformed + ip.
 */
struct tl_counts {
	struct xdpflow_counter non_ip, malformed, unrecorded;
	struct xdpflow_counter proto[2][256]; /* [XDPFLOW_FAMILY_*][IP protocol] */
	struct xdpflow_counter ip, total;
};

static inline int tl_read_counts(struct tl_xdp *x, __u32 ifindex, struct tl_counts *c)
{
	const struct iface_counts *ic;
	struct snapshot_tables t;
	struct xdpflow_counter ip;
	struct snapshot s;
	size_t i;
	int err, f;

	memset(c, 0, sizeof(*c));
	err = tl_snapshot(x, &t, &s);
	if (err)
		return err;
	/* Protocol counts come from the flows: one walk completes them. */
	err = snapshot_walk_flows(&t, &s, NULL, NULL, NULL);
	if (err) {
		snapshot_release(&t, &s);
		return tl_seterr(err, "walking the flows: %s", strerror(-err));
	}
	for (i = 0; i < s.ifaces.n; i++) {
		ic = &s.ifaces.v[i];
		if (ifindex != TL_ANY_IFINDEX && ic->ifindex != ifindex)
			continue;
		tl_counter_add(&c->non_ip, &ic->non_ip);
		tl_counter_add(&c->malformed, &ic->malformed);
		tl_counter_add(&c->unrecorded, &ic->unrecorded);
		for (f = 0; f < 2 * 256; f++)
			tl_counter_add(&c->proto[f / 256][f % 256], &ic->proto[f / 256][f % 256]);
		ip = iface_counts_ip(ic);
		tl_counter_add(&c->ip, &ip);
	}
	tl_counter_add(&c->total, &c->non_ip);
	tl_counter_add(&c->total, &c->malformed);
	tl_counter_add(&c->total, &c->ip);
	snapshot_release(&t, &s);
	return 0;
}

/* One flow as a reader must report it: table entry and cache entries merged. */
struct tl_flow {
	struct xdpflow_flow_key key;
	struct xdpflow_flow_counters c;
	bool in_table; /* it has a flow-table entry */
};

struct tl_flows {
	struct tl_flow *v; /* sorted by key (memcmp) */
	size_t n, max;
	size_t table_entries; /* entries read from the flow table */
	size_t cache_entries; /* non-empty flow-cache entries, all CPUs */
};

static inline int tl_flow_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct xdpflow_flow_key));
}

/*
 * Two counts of one flow together, written here from DESIGN.md's rule
 * (tests build their expectations with it, so not with pin/'s merge):
 * packets, bytes, ip_bytes add; first_seen min, last_seen max; flags OR.
 */
static inline void tl_flow_merge(struct tl_flow *to, const struct tl_flow *f)
{
	to->c.packets += f->c.packets;
	to->c.bytes += f->c.bytes;
	to->c.ip_bytes += f->c.ip_bytes;
	to->c.tcp_flags |= f->c.tcp_flags;
	if (f->c.first_seen < to->c.first_seen)
		to->c.first_seen = f->c.first_seen;
	if (f->c.last_seen > to->c.last_seen)
		to->c.last_seen = f->c.last_seen;
	to->in_table |= f->in_table;
}

static inline int tl_collect_flow(const struct flow_record *r, void *ctx)
{
	struct tl_flows *fl = ctx;
	struct tl_flow *v;

	if (fl->n == fl->max) {
		v = realloc(fl->v, (fl->max * 2 + 64) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		fl->v = v;
		fl->max = fl->max * 2 + 64;
	}
	memset(&fl->v[fl->n], 0, sizeof(fl->v[0]));
	fl->v[fl->n].key = r->key;
	fl->v[fl->n++].c = r->c;
	return 0;
}

/*
 * All flows as the reader walks them: the flow table's entries merged with
 * every CPU's flow-cache entries of the same key, then the flows only in a
 * cache (so the first table_entries are in the table).  Free with
 * tl_flows_free().
 */
static inline int tl_read_flows(struct tl_xdp *x, struct tl_flows *fl)
{
	struct snapshot_tables t;
	struct walk_counts wc;
	struct snapshot s;
	size_t i;
	int err;

	memset(fl, 0, sizeof(*fl));
	err = tl_snapshot(x, &t, &s);
	if (err)
		return err;
	err = snapshot_walk_flows(&t, &s, tl_collect_flow, fl, &wc);
	fl->table_entries = wc.table_entries;
	fl->cache_entries = s.cache.n;
	snapshot_release(&t, &s);
	if (err) {
		free(fl->v);
		memset(fl, 0, sizeof(*fl));
		return tl_seterr(err, "walking the flows: %s", strerror(-err));
	}
	for (i = 0; i < fl->n; i++)
		fl->v[i].in_table = i < fl->table_entries;
	if (fl->n)
		qsort(fl->v, fl->n, sizeof(*fl->v), tl_flow_cmp);
	return 0;
}

static inline void tl_flows_free(struct tl_flows *fl)
{
	free(fl->v);
	memset(fl, 0, sizeof(*fl));
}

static inline const struct tl_flow *tl_flows_find(const struct tl_flows *fl,
						  const struct xdpflow_flow_key *k)
{
	return fl->n ? bsearch(k, fl->v, fl->n, sizeof(*fl->v), tl_flow_cmp) : NULL;
}

/* Sum of packets and bytes over all flows. */
static inline void tl_flows_sum(const struct tl_flows *fl, struct xdpflow_counter *sum)
{
	size_t i;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < fl->n; i++) {
		sum->packets += fl->v[i].c.packets;
		sum->bytes += fl->v[i].c.bytes;
	}
}

/* "4/17 192.0.2.1:1000 > 198.51.100.2:53 if 1" for failure messages. */
static inline const char *tl_key_str(const struct xdpflow_flow_key *k, char *buf, size_t size)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int af = k->family == 6 ? AF_INET6 : AF_INET;

	inet_ntop(af, k->src, s, sizeof(s));
	inet_ntop(af, k->dst, d, sizeof(d));
	snprintf(buf, size, "%u/%u %s:%u > %s:%u if %u vlan %u/%u", k->family, k->proto, s,
		 ntohs(k->sport), d, ntohs(k->dport), k->ifindex, ntohs(k->vlan_outer),
		 ntohs(k->vlan_inner));
	return buf;
}

#endif /* XDPFLOW_TESTLIB_H */
