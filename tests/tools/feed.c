// SPDX-License-Identifier: GPL-2.0
/* Test tool: run frames (pcap files, a hex list, or N generated flows) through xdpflow.bpf.o with BPF_PROG_TEST_RUN, maps pinned. */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xdpflow.h"

#define MAX_FRAME (256 * 1024)
#define ETH_HLEN 14

static const char usage[] =
	"Usage: feed --pin-path DIR [OPTIONS] (--pcap FILE... | --frames FILE | --generate N)\n"
	"Load xdpflow.bpf.o with its maps pinned in DIR, run every frame through it with\n"
	"BPF_PROG_TEST_RUN, and exit: the program goes away, the pinned counters stay.\n"
	"  --obj FILE        the XDP object (default build/xdpflow.bpf.o)\n"
	"  --max-flows N     flow table capacity when DIR has no pins yet\n"
	"  --ifindex N       ingress interface of pcap/generated frames (default: lo)\n"
	"  --cpu N           run pcap/generated frames on CPU N\n"
	"  --pcap FILE...    every frame of these pcap files (frames under 14 bytes, and\n"
	"                    over about 70 KB, are skipped: the kernel's test run refuses them)\n"
	"  --frames FILE     lines 'IFINDEX CPU HEX' (IFINDEX 0: lo; CPU -1: any; '#' comments)\n"
	"  --generate N      N distinct 64-byte IPv4/UDP flows, one frame each\n"
	"Prints 'fed N frames B bytes skipped S short T big' on success.\n";

struct feeder {
	int prog_fd;
	int cpu; /* current affinity, -1: any */
	unsigned long long frames, bytes, skipped_short, skipped_big;
};

/* Above this the kernel's test run needs fragments, and it takes only so many. */
#define TEST_RUN_LINEAR_MAX 3520

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static int set_cpu(struct feeder *fd, int cpu)
{
	cpu_set_t set;

	if (cpu == fd->cpu)
		return 0;
	CPU_ZERO(&set);
	if (cpu < 0) {
		int i, n = libbpf_num_possible_cpus();

		for (i = 0; i < n && i < CPU_SETSIZE; i++)
			CPU_SET(i, &set);
	} else {
		CPU_SET(cpu, &set);
	}
	if (sched_setaffinity(0, sizeof(set), &set))
		return -errno;
	fd->cpu = cpu;
	return 0;
}

static int run_frame(struct feeder *fd, const void *frame, __u32 len, __u32 ifindex, int cpu)
{
	struct xdp_md ctx = { .data_end = len, .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len, .repeat = 1);
	int err;

	if (len < ETH_HLEN) {
		fd->skipped_short++;
		return 0;
	}
	err = set_cpu(fd, cpu);
	if (err) {
		fprintf(stderr, "feed: cannot run on CPU %d: %s\n", cpu, strerror(-err));
		return err;
	}
	if (ifindex) {
		opts.ctx_in = &ctx;
		opts.ctx_size_in = sizeof(ctx);
	}
	if (bpf_prog_test_run_opts(fd->prog_fd, &opts)) {
		err = -errno;
		if (len > TEST_RUN_LINEAR_MAX && (err == -ENOMEM || err == -E2BIG || err == -EINVAL)) {
			fd->skipped_big++;
			return 0;
		}
		fprintf(stderr, "feed: test run of a %u-byte frame (ifindex %u) failed: %s\n", len,
			ifindex, strerror(errno));
		return err;
	}
	if (opts.retval != XDP_PASS) {
		fprintf(stderr, "feed: program returned %u, not XDP_PASS\n", opts.retval);
		return -EINVAL;
	}
	fd->frames++;
	fd->bytes += len;
	return 0;
}

static __u32 rd32(const unsigned char *p, bool swap)
{
	__u32 v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

/* Classic pcap, either byte order, micro- or nanosecond stamps. */
static int feed_pcap(struct feeder *fd, const char *path, __u32 ifindex, int cpu)
{
	unsigned char hdr[24], rec[16], *frame = NULL;
	bool swap;
	__u32 magic, caplen;
	int err = 0;
	FILE *f;

	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "feed: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (fread(hdr, 1, 24, f) != 24) {
		err = -EINVAL;
		goto bad;
	}
	magic = rd32(hdr, false);
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
		swap = false;
	else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
		swap = true;
	else {
		err = -EINVAL;
		goto bad;
	}
	frame = malloc(MAX_FRAME);
	if (!frame) {
		err = -ENOMEM;
		goto out;
	}
	while (fread(rec, 1, 16, f) == 16) {
		caplen = rd32(rec + 8, swap);
		if (caplen > MAX_FRAME || fread(frame, 1, caplen, f) != caplen) {
			err = -EINVAL;
			goto bad;
		}
		err = run_frame(fd, frame, caplen, ifindex, cpu);
		if (err)
			goto out;
	}
	goto out;
bad:
	fprintf(stderr, "feed: %s: not a pcap file or cut off\n", path);
out:
	free(frame);
	fclose(f);
	return err;
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

static int parse_frame_line(char *line, __u32 *ifindex, int *cpu, unsigned char *frame,
			    __u32 *len)
{
	char *p = line, *end, *hex;
	unsigned long v;
	long c;
	int hi, lo;

	errno = 0;
	v = strtoul(p, &end, 10);
	if (errno || end == p || v > UINT32_MAX)
		return -EINVAL;
	*ifindex = v;
	p = end;
	errno = 0;
	c = strtol(p, &end, 10);
	if (errno || end == p || c < -1 || c > 4095)
		return -EINVAL;
	*cpu = c;
	hex = end + strspn(end, " \t");
	for (*len = 0; hexval(hex[0]) >= 0; hex += 2) {
		hi = hexval(hex[0]);
		lo = hexval(hex[1]);
		if (lo < 0 || *len == MAX_FRAME)
			return -EINVAL;
		frame[(*len)++] = hi << 4 | lo;
	}
	return hex[strspn(hex, " \t\r\n")] ? -EINVAL : 0;
}

static int feed_frames(struct feeder *fd, const char *path)
{
	unsigned char *frame = malloc(MAX_FRAME);
	size_t cap = 0;
	char *line = NULL;
	unsigned long lineno = 0;
	__u32 ifindex, len;
	int cpu, err = 0;
	FILE *f;

	f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f || !frame) {
		fprintf(stderr, "feed: %s: %s\n", path, strerror(errno));
		free(frame);
		return -EINVAL;
	}
	while (!err && getline(&line, &cap, f) > 0) {
		lineno++;
		if (line[strspn(line, " \t")] == '#' || !line[strspn(line, " \t\r\n")])
			continue;
		err = parse_frame_line(line, &ifindex, &cpu, frame, &len);
		if (err)
			fprintf(stderr, "feed: %s:%lu: expected 'IFINDEX CPU HEX'\n", path, lineno);
		else
			err = run_frame(fd, frame, len, ifindex, cpu);
	}
	free(line);
	free(frame);
	if (f != stdin)
		fclose(f);
	return err;
}

/* Flow i: 10.0.0.0/8 source by i, fixed destination, UDP 1024+i%50000 -> 53. */
static int feed_generated(struct feeder *fd, unsigned long n, __u32 ifindex, int cpu)
{
	unsigned char f[64];
	unsigned long i;
	__u32 src;
	__u16 sport;
	int err;

	for (i = 0; i < n; i++) {
		memset(f, 0, sizeof(f));
		f[12] = 0x08;
		f[14] = 0x45;
		f[17] = 50;
		f[22] = 64;
		f[23] = 17;
		src = htonl(0x0a000000 | (i / 50000) << 8 | (i % 50000) % 250);
		memcpy(f + 26, &src, 4);
		f[30] = 192, f[31] = 0, f[32] = 2, f[33] = 1;
		sport = htons(1024 + i % 50000);
		memcpy(f + 34, &sport, 2);
		f[37] = 53;
		f[39] = 30;
		err = run_frame(fd, f, sizeof(f), ifindex, cpu);
		if (err)
			return err;
	}
	return 0;
}

static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end || *out > max ? -EINVAL : 0;
}

static int load(const char *obj_path, const char *dir, __u32 max_flows, struct bpf_object **objp)
{
	struct bpf_program *prog;
	struct bpf_object *obj;
	char msg[512];
	int err;

	obj = bpf_object__open_file(obj_path, NULL);
	if (!obj) {
		fprintf(stderr, "feed: cannot open %s: %s\n", obj_path, strerror(errno));
		return -errno;
	}
	err = pin_prepare_object(obj, dir, max_flows, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "feed: %s\n", msg);
		goto fail;
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "feed: cannot load %s: %s\n", obj_path, strerror(-err));
		goto fail;
	}
	prog = bpf_object__find_program_by_name(obj, "xdpflow");
	if (!prog) {
		err = -ENOENT;
		fprintf(stderr, "feed: %s has no program xdpflow\n", obj_path);
		goto fail;
	}
	*objp = obj;
	return bpf_program__fd(prog);
fail:
	bpf_object__close(obj);
	return err;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pin-path", required_argument, NULL, 'p' },
		{ "obj", required_argument, NULL, 'o' },
		{ "max-flows", required_argument, NULL, 'm' },
		{ "ifindex", required_argument, NULL, 'i' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "pcap", no_argument, NULL, 'P' },
		{ "frames", required_argument, NULL, 'f' },
		{ "generate", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *obj_path = "build/xdpflow.bpf.o", *frames = NULL;
	unsigned long v, generate = 0, max_flows = 0, ifindex = 0;
	struct feeder fd = { .cpu = -2 };
	struct bpf_object *obj = NULL;
	bool pcap = false;
	int opt, err = 0, cpu = -1;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			dir = optarg;
			break;
		case 'o':
			obj_path = optarg;
			break;
		case 'm':
			err = parse_ulong(optarg, UINT32_MAX, &max_flows);
			break;
		case 'i':
			err = parse_ulong(optarg, UINT32_MAX, &ifindex);
			break;
		case 'c':
			err = parse_ulong(optarg, 4095, &v);
			cpu = v;
			break;
		case 'P':
			pcap = true;
			break;
		case 'f':
			frames = optarg;
			break;
		case 'g':
			err = parse_ulong(optarg, 100000000, &generate);
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			err = -EINVAL;
		}
		if (err) {
			fputs(usage, stderr);
			return 2;
		}
	}
	if (!dir || (pcap + !!frames + !!generate) != 1 || (pcap && optind == argc)) {
		fputs(usage, stderr);
		return 2;
	}
	libbpf_set_print(silent);
	fd.prog_fd = load(obj_path, dir, max_flows, &obj);
	if (fd.prog_fd < 0)
		return 1;
	if (frames)
		err = feed_frames(&fd, frames);
	else if (generate)
		err = feed_generated(&fd, generate, ifindex, cpu);
	else
		for (; optind < argc && !err; optind++)
			err = feed_pcap(&fd, argv[optind], ifindex, cpu);
	bpf_object__close(obj);
	if (err)
		return 1;
	printf("fed %llu frames %llu bytes skipped %llu short %llu big\n", fd.frames, fd.bytes,
	       fd.skipped_short, fd.skipped_big);
	return 0;
}
