// SPDX-License-Identifier: GPL-2.0
/* Test tool: export flows from a text list, or N generated ones, with reader/export/ipfix*.c; also its rate benchmark. */
// links: reader/export/ipfix.c reader/export/ipfix_exporter.c
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "export/ipfix.h"

static const char usage[] =
	"Usage: ipfix_replay [OPTIONS] COLLECTOR (--flows FILE | --generate N)\n"
	"       ipfix_replay --generate N --print\n"
	"       ipfix_replay --bench N [OPTIONS]\n"
	"Export flows as IPFIX to COLLECTOR (HOST, HOST:PORT, [IPV6]:PORT).\n"
	"  --flows FILE          one flow a line ('-': stdin), '#' starts a comment:\n"
	"                        SRC DST SPORT DPORT PROTO TCPFLAGS IFINDEX PACKETS IPBYTES L2BYTES START_MS END_MS\n"
	"                        [VLAN INNER_VLAN]\n"
	"                        (ICMP: DPORT = type*256+code)\n"
	"  --generate N          N deterministic synthetic flows (IPv4, IPv6, ICMP, ICMPv6 mixed)\n"
	"  --seed S              seed for --generate (default 1)\n"
	"  --print               print the flows in the --flows format instead of exporting\n"
	"  --bench N             export N generated flows to a receiver in this process on\n"
	"                        127.0.0.1 and print the rate\n"
	"  --odid N  --mtu BYTES  --delta  --template-interval S  --template-every MSGS\n"
	"  --first-sequence N\n"
	"  --rate RECORDS_PER_S  pace sending (default 200000; 0: unpaced)\n";

struct flow_list {
	struct ipfix_flow *v;
	size_t n, cap;
};

static int push_flow(struct flow_list *l, const struct ipfix_flow *f)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		void *v = realloc(l->v, cap * sizeof(*l->v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *f;
	return 0;
}

static int parse_addr(const char *s, struct ipfix_flow *f)
{
	memset(f->src, 0, sizeof(f->src));
	if (strchr(s, ':')) {
		f->family = 6;
		return inet_pton(AF_INET6, s, f->src) == 1 ? 0 : -EINVAL;
	}
	f->family = 4;
	return inet_pton(AF_INET, s, f->src) == 1 ? 0 : -EINVAL;
}

static int parse_line(char *line, struct ipfix_flow *f)
{
	char src[64], dst[64];
	unsigned long long sport, dport, proto, flags, ifindex, vlan = 0, inner = 0;
	int fam, n;

	memset(f, 0, sizeof(*f));
	/* The VLAN IDs (outer, inner) are optional: untagged without them. */
	n = sscanf(line, "%63s %63s %llu %llu %llu %lli %llu %llu %llu %llu %llu %llu %llu %llu", src,
		   dst, &sport, &dport, &proto, (long long *)&flags, &ifindex,
		   (unsigned long long *)&f->packets, (unsigned long long *)&f->ip_bytes,
		   (unsigned long long *)&f->l2_bytes, (unsigned long long *)&f->start_ms,
		   (unsigned long long *)&f->end_ms, &vlan, &inner);
	if ((n != 12 && n != 14) || sport > 65535 || dport > 65535 || proto > 255 ||
	    flags > 255 || ifindex > UINT32_MAX || vlan > 4095 || inner > 4095)
		return -EINVAL;
	f->vlan = vlan;
	f->inner_vlan = inner;
	if (parse_addr(dst, f))
		return -EINVAL;
	memcpy(f->dst, f->src, sizeof(f->dst));
	fam = f->family;
	if (parse_addr(src, f) || f->family != fam)
		return -EINVAL;
	f->sport = sport;
	f->dport = dport;
	f->proto = proto;
	f->tcp_flags = flags;
	f->ingress_ifindex = ifindex;
	return 0;
}

static int read_flows(const char *path, struct flow_list *l)
{
	FILE *in = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char line[512];
	int lineno = 0, err = 0;

	if (!in) {
		fprintf(stderr, "ipfix_replay: cannot open %s: %s\n", path, strerror(errno));
		return -errno;
	}
	while (!err && fgets(line, sizeof(line), in)) {
		struct ipfix_flow f;
		char *hash = strchr(line, '#');

		lineno++;
		if (hash)
			*hash = '\0';
		if (strspn(line, " \t\r\n") == strlen(line))
			continue;
		if (parse_line(line, &f)) {
			fprintf(stderr, "ipfix_replay: %s line %d: not a flow (see --help)\n", path,
				lineno);
			err = -EINVAL;
		} else {
			err = push_flow(l, &f);
		}
	}
	if (in != stdin)
		fclose(in);
	return err;
}

/* splitmix64: a fixed, well-mixed sequence for a seed. */
static uint64_t next_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void generate_flow(uint64_t *rs, size_t i, struct ipfix_flow *f)
{
	uint64_t r = next_rand(rs), r2 = next_rand(rs);

	memset(f, 0, sizeof(*f));
	f->family = i % 4 == 3 ? 6 : 4;
	if (f->family == 4) {
		uint32_t s = htonl(0x0a000000u | (r & 0xffffff)),
			 d = htonl(0xc0a80000u | (i & 0xffff));

		memcpy(f->src, &s, 4);
		memcpy(f->dst, &d, 4);
	} else {
		f->src[0] = 0x20;
		f->src[1] = 0x01;
		f->src[2] = 0x0d;
		f->src[3] = 0xb8;
		memcpy(f->dst, f->src, 4);
		memcpy(f->src + 8, &r, 8);
		memcpy(f->dst + 8, &r2, 8);
	}
	switch (i % 10) {
	case 9: /* ICMP echo request or ICMPv6 echo reply */
		f->proto = f->family == 4 ? 1 : 58;
		f->dport = f->family == 4 ? 8 << 8 : 129 << 8;
		break;
	case 8:
		f->proto = 17;
		f->sport = 1024 + (r2 & 0x7fff);
		f->dport = 53;
		break;
	default:
		f->proto = 6;
		f->sport = 1024 + (r2 & 0x7fff);
		f->dport = (r >> 24) & 1 ? 443 : 80;
		f->tcp_flags = 0x02 | ((r >> 32) & 0x3d);
	}
	f->ingress_ifindex = 1 + (i & 7);
	f->packets = 1 + (r2 >> 40) % 10000;
	f->ip_bytes = f->packets * (40 + (r >> 48) % 1460);
	f->l2_bytes = f->ip_bytes + 14 * f->packets;
	f->start_ms = 1700000000000ull + (r2 % 60000);
	f->end_ms = f->start_ms + (r >> 8) % 60000;
}

static int generate_flows(size_t n, uint64_t seed, struct flow_list *l)
{
	uint64_t rs = seed;

	for (size_t i = 0; i < n; i++) {
		struct ipfix_flow f;

		generate_flow(&rs, i, &f);
		if (push_flow(l, &f))
			return -ENOMEM;
	}
	return 0;
}

static void print_flows(const struct flow_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct ipfix_flow *f = &l->v[i];
		int af = f->family == 6 ? AF_INET6 : AF_INET;
		char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

		inet_ntop(af, f->src, s, sizeof(s));
		inet_ntop(af, f->dst, d, sizeof(d));
		printf("%s %s %u %u %u 0x%02x %u %llu %llu %llu %llu %llu\n", s, d, f->sport,
		       f->dport, f->proto, f->tcp_flags, f->ingress_ifindex,
		       (unsigned long long)f->packets, (unsigned long long)f->ip_bytes,
		       (unsigned long long)f->l2_bytes, (unsigned long long)f->start_ms,
		       (unsigned long long)f->end_ms);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int export_flows(struct ipfix_exporter *exp, const struct flow_list *l)
{
	int err = 0;

	for (size_t i = 0; i < l->n && !err; i++)
		err = ipfix_exporter_add(exp, &l->v[i]);
	return err ? err : ipfix_exporter_flush(exp);
}

/* ---- Benchmark receiver: counts messages, bytes and data records as they arrive. ---- */

struct receiver {
	int fd;
	volatile int stop;
	uint64_t messages, bytes, records;
};

static uint32_t records_in_message(const uint8_t *m, size_t len)
{
	uint32_t records = 0;
	size_t off = IPFIX_HEADER_LEN;

	while (off + IPFIX_SET_HEADER_LEN <= len) {
		uint16_t id = m[off] << 8 | m[off + 1], slen = m[off + 2] << 8 | m[off + 3];
		/* Record length per template id, known from the test's own templates. */
		static const uint16_t rlen[] = { 59, 83, 55, 79 };

		if (slen < IPFIX_SET_HEADER_LEN || off + slen > len)
			break;
		if (id >= IPFIX_TEMPLATE_ID_DELTA && id < IPFIX_TEMPLATE_ID_TOTAL + 4)
			records += (slen - IPFIX_SET_HEADER_LEN) / rlen[(id - 256) % 4];
		off += slen;
	}
	return records;
}

static void *receive(void *arg)
{
	enum { VLEN = 64, SZ = 65536 };
	struct receiver *rx = arg;
	static uint8_t bufs[VLEN][SZ];
	struct mmsghdr mm[VLEN];
	struct iovec iov[VLEN];

	for (int i = 0; i < VLEN; i++) {
		iov[i] = (struct iovec){ bufs[i], SZ };
		mm[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	for (;;) {
		int n = recvmmsg(rx->fd, mm, VLEN, 0, NULL);

		if (n < 0) {
			/* The receive timeout: stop once the sender is done and all is quiet. */
			if (rx->stop)
				break;
			continue;
		}
		for (int i = 0; i < n; i++) {
			rx->messages++;
			rx->bytes += mm[i].msg_len;
			rx->records += records_in_message(bufs[i], mm[i].msg_len);
		}
	}
	return NULL;
}

static int bench(size_t n, const struct ipfix_options *opts)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_usec = 200000 };
	struct receiver rx = { 0 };
	struct flow_list l = { 0 };
	struct ipfix_exporter *exp;
	struct ipfix_stats st;
	int rcvbuf = 64 << 20, err;
	socklen_t slen = sizeof(sin);
	pthread_t thr;
	char msg[256], collector[64];
	double t0, t1;

	if (generate_flows(n, 1, &l))
		return 1;
	rx.fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (rx.fd < 0 || bind(rx.fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    getsockname(rx.fd, (struct sockaddr *)&sin, &slen)) {
		fprintf(stderr, "ipfix_replay: receiver socket: %s\n", strerror(errno));
		return 1;
	}
	/* Root can go past rmem_max; a big buffer keeps loss down while the receiver catches up. */
	if (setsockopt(rx.fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(rx.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(rx.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	snprintf(collector, sizeof(collector), "127.0.0.1:%u", ntohs(sin.sin_port));
	err = ipfix_exporter_open(&exp, collector, opts, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "ipfix_replay: %s\n", msg);
		return 1;
	}
	pthread_create(&thr, NULL, receive, &rx);

	t0 = now_s();
	err = export_flows(exp, &l);
	t1 = now_s();
	ipfix_exporter_get_stats(exp, &st);
	ipfix_exporter_close(exp);
	rx.stop = 1;
	pthread_join(thr, NULL);
	close(rx.fd);
	free(l.v);
	if (err) {
		fprintf(stderr, "ipfix_replay: sending to %s: %s\n", collector, strerror(-err));
		return 1;
	}
	printf("IPFIX export: %llu records in %.3f s = %.0f records/s "
	       "(%llu messages, %.1f MB; receiver got %llu records in %llu messages)\n",
	       (unsigned long long)st.records, t1 - t0, st.records / (t1 - t0),
	       (unsigned long long)st.messages, st.bytes / 1e6, (unsigned long long)rx.records,
	       (unsigned long long)rx.messages);
	return 0;
}

static int parse_u32(const char *name, const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || !*s || v > UINT32_MAX) {
		fprintf(stderr, "ipfix_replay: %s: \"%s\" is not a number 0-%u\n", name, s,
			UINT32_MAX);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "flows", required_argument, NULL, 'f' },
		{ "generate", required_argument, NULL, 'g' },
		{ "seed", required_argument, NULL, 's' },
		{ "print", no_argument, NULL, 'p' },
		{ "bench", required_argument, NULL, 'b' },
		{ "odid", required_argument, NULL, 'o' },
		{ "mtu", required_argument, NULL, 'm' },
		{ "delta", no_argument, NULL, 'd' },
		{ "template-interval", required_argument, NULL, 'i' },
		{ "template-every", required_argument, NULL, 'e' },
		{ "first-sequence", required_argument, NULL, 'q' },
		{ "rate", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct ipfix_options opts = { 0 };
	const char *flows = NULL;
	uint32_t generate = 0, seed = 1, bench_n = 0;
	bool print = false, have_generate = false;
	struct flow_list l = { 0 };
	struct ipfix_exporter *exp;
	struct ipfix_stats st;
	char msg[256];
	int c, err;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		err = 0;
		switch (c) {
		case 'f':
			flows = optarg;
			break;
		case 'g':
			err = parse_u32("--generate", optarg, &generate);
			have_generate = true;
			break;
		case 's':
			err = parse_u32("--seed", optarg, &seed);
			break;
		case 'p':
			print = true;
			break;
		case 'b':
			err = parse_u32("--bench", optarg, &bench_n);
			break;
		case 'o':
			err = parse_u32("--odid", optarg, &opts.odid);
			break;
		case 'm':
			err = parse_u32("--mtu", optarg, &opts.mtu);
			break;
		case 'd':
			opts.delta = true;
			break;
		case 'i':
			err = parse_u32("--template-interval", optarg, &opts.template_interval_s);
			break;
		case 'e':
			err = parse_u32("--template-every", optarg, &opts.template_every_msgs);
			break;
		case 'q':
			err = parse_u32("--first-sequence", optarg, &opts.first_sequence);
			break;
		case 'r':
			err = parse_u32("--rate", optarg, &opts.max_records_per_s);
			if (!opts.max_records_per_s)
				opts.max_records_per_s = IPFIX_UNPACED;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
		if (err)
			return 2;
	}
	if (bench_n) {
		/* The benchmark measures the exporter, not the pacing. */
		if (!opts.max_records_per_s)
			opts.max_records_per_s = IPFIX_UNPACED;
		return bench(bench_n, &opts);
	}
	if (!!flows == have_generate || (!print && optind != argc - 1)) {
		fputs(usage, stderr);
		return 2;
	}
	err = flows ? read_flows(flows, &l) : generate_flows(generate, seed, &l);
	if (err)
		return 1;
	if (print) {
		print_flows(&l);
		free(l.v);
		return 0;
	}
	err = ipfix_exporter_open(&exp, argv[optind], &opts, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "ipfix_replay: %s\n", msg);
		free(l.v);
		return err == -EINVAL ? 2 : 1;
	}
	err = export_flows(exp, &l);
	ipfix_exporter_get_stats(exp, &st);
	if (err)
		fprintf(stderr, "ipfix_replay: sending to %s: %s\n", ipfix_exporter_peer(exp),
			strerror(-err));
	else
		fprintf(stderr,
			"ipfix_replay: sent %llu records in %llu messages (%llu bytes) to %s\n",
			(unsigned long long)st.records, (unsigned long long)st.messages,
			(unsigned long long)st.bytes, ipfix_exporter_peer(exp));
	ipfix_exporter_close(exp);
	free(l.v);
	return err ? 1 : 0;
}
