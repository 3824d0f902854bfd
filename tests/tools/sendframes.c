// SPDX-License-Identifier: GPL-2.0
/* Test tool: write exact frames (hex lines or a pcap) to an interface with an AF_PACKET socket. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Records up to pcap's usual snaplen are read; the interface's MTU decides what it sends. */
#define MAX_FRAME (256 * 1024)
#define RETRY_SLEEP_NS 200000L
#define MAX_RETRIES 20000

static const char usage[] =
	"Usage: sendframes IFACE [FILE]\n"
	"Write every frame of FILE (default stdin) unchanged to IFACE through an AF_PACKET\n"
	"socket, retrying a frame the interface refused (ENOBUFS) so none is lost, then\n"
	"print: sent N frames, B bytes on IFACE (R retries, D tx_dropped).\n"
	"FILE is a classic pcap file, or text lines 'COUNT HEXBYTES' (send COUNT copies;\n"
	"'#' starts a comment).\n"
	"Example: echo '3 ffffffffffff020000000001 0800 4500...' | sendframes veth0\n";

struct totals {
	unsigned long long frames, bytes, retries;
};

static int sock = -1;
static struct sockaddr_ll dest;

static unsigned long long tx_dropped(const char *ifname)
{
	struct ifaddrs *all, *a;
	unsigned long long dropped = 0;

	/* getifaddrs() asks netlink: right for the namespace we run in. */
	if (getifaddrs(&all))
		return 0;
	for (a = all; a; a = a->ifa_next) {
		if (a->ifa_addr && a->ifa_addr->sa_family == AF_PACKET && a->ifa_data &&
		    !strcmp(a->ifa_name, ifname))
			dropped = ((struct rtnl_link_stats *)a->ifa_data)->tx_dropped;
	}
	freeifaddrs(all);
	return dropped;
}

static int send_frame(const unsigned char *frame, size_t len, struct totals *t)
{
	struct timespec pause = { 0, RETRY_SLEEP_NS };
	int tries;

	for (tries = 0; tries < MAX_RETRIES; tries++) {
		if (sendto(sock, frame, len, 0, (struct sockaddr *)&dest, sizeof(dest)) ==
		    (ssize_t)len) {
			t->frames++;
			t->bytes += len;
			return 0;
		}
		/* The peer's queue is full: the frame never reached it; wait and resend. */
		if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR)
			return -errno;
		t->retries++;
		nanosleep(&pause, NULL);
	}
	return -ENOBUFS;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex digits to bytes, ignoring spaces, ':' and '.'; -1 on anything else. */
static long parse_hex(const char *s, unsigned char *out, size_t max)
{
	size_t n = 0;
	int hi = -1, v;

	for (; *s && *s != '\n' && *s != '#'; s++) {
		if (*s == ' ' || *s == '\t' || *s == ':' || *s == '.' || *s == '\r')
			continue;
		v = hexval(*s);
		if (v < 0 || n >= max)
			return -1;
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = hi << 4 | v;
			hi = -1;
		}
	}
	return hi < 0 ? (long)n : -1;
}

static int send_text(FILE *f, struct totals *t)
{
	static unsigned char frame[MAX_FRAME];
	char *line = NULL, *p, *end;
	size_t cap = 0;
	unsigned long count, i, lineno = 0;
	long len;
	int err = 0;

	while (!err && getline(&line, &cap, f) > 0) {
		lineno++;
		p = line + strspn(line, " \t");
		if (*p == '#' || *p == '\n' || *p == '\r' || !*p)
			continue;
		errno = 0;
		count = strtoul(p, &end, 10);
		if (errno || end == p || (*end != ' ' && *end != '\t')) {
			fprintf(stderr, "sendframes: line %lu: expected 'COUNT HEXBYTES'\n", lineno);
			err = -EINVAL;
			break;
		}
		len = parse_hex(end, frame, sizeof(frame));
		if (len <= 0) {
			fprintf(stderr, "sendframes: line %lu: bad hex bytes\n", lineno);
			err = -EINVAL;
			break;
		}
		for (i = 0; i < count && !err; i++)
			err = send_frame(frame, len, t);
	}
	free(line);
	return err;
}

static uint32_t swap32(uint32_t v, bool swap)
{
	return swap ? __builtin_bswap32(v) : v;
}

static int send_pcap(FILE *f, uint32_t magic, struct totals *t)
{
	static unsigned char frame[MAX_FRAME];
	uint32_t hdr[5], rec[4], len;
	int err;
	bool swap = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;

	if (fread(hdr, sizeof(hdr), 1, f) != 1) {
		fprintf(stderr, "sendframes: truncated pcap header\n");
		return -EINVAL;
	}
	/* hdr[4] is the link type: only Ethernet frames make sense here. */
	if (swap32(hdr[4], swap) != 1) {
		fprintf(stderr, "sendframes: pcap link type %u is not Ethernet\n", swap32(hdr[4], swap));
		return -EINVAL;
	}
	while (fread(rec, sizeof(rec), 1, f) == 1) {
		len = swap32(rec[2], swap);
		if (len > sizeof(frame) || fread(frame, 1, len, f) != len) {
			fprintf(stderr, "sendframes: truncated or oversized pcap record\n");
			return -EINVAL;
		}
		err = send_frame(frame, len, t);
		if (err)
			return err;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct totals t = {};
	unsigned long long dropped;
	unsigned int ifindex;
	uint32_t magic = 0;
	FILE *f = stdin;
	int c, err;

	if (argc < 2 || argc > 3 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage, argc == 2 ? stdout : stderr);
		return argc == 2 ? 0 : 2;
	}
	ifindex = if_nametoindex(argv[1]);
	if (!ifindex) {
		fprintf(stderr, "sendframes: no interface %s\n", argv[1]);
		return 1;
	}
	if (argc == 3 && !(f = fopen(argv[2], "r"))) {
		fprintf(stderr, "sendframes: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	/* Protocol 0: this socket only sends, it never receives a copy. */
	sock = socket(AF_PACKET, SOCK_RAW, 0);
	if (sock < 0) {
		fprintf(stderr, "sendframes: AF_PACKET socket: %s (needs CAP_NET_RAW)\n",
			strerror(errno));
		return 1;
	}
	dest.sll_family = AF_PACKET;
	dest.sll_ifindex = ifindex;
	dropped = tx_dropped(argv[1]);
	c = fgetc(f);
	if (c != EOF)
		ungetc(c, f);
	if (c == 0xd4 || c == 0xa1 || c == 0x4d) {
		if (fread(&magic, sizeof(magic), 1, f) != 1)
			magic = 0;
	}
	if (magic == 0xa1b2c3d4 || magic == 0xd4c3b2a1 || magic == 0xa1b23c4d ||
	    magic == 0x4d3cb2a1)
		err = send_pcap(f, magic, &t);
	else if (magic)
		err = -EINVAL, fprintf(stderr, "sendframes: not a pcap file\n");
	else
		err = send_text(f, &t);
	dropped = tx_dropped(argv[1]) - dropped;
	printf("sent %llu frames, %llu bytes on %s (%llu retries, %llu tx_dropped)\n", t.frames,
	       t.bytes, argv[1], t.retries, dropped);
	if (err && err != -EINVAL)
		fprintf(stderr, "sendframes: sending on %s: %s\n", argv[1], strerror(-err));
	return err ? 1 : 0;
}
