// SPDX-License-Identifier: GPL-2.0
/* Benchmark: per-packet cost of xdpflow against a bare XDP_PASS program and the blog example's design. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xdpflow.h"
#include "memlock.h"

#define ROUNDS 9
#define REPEAT 2000000
#define COLD_FLOWS 100000

struct bench_prog {
	const char *name;
	const char *path;
	struct bpf_object *obj;
	int fd;
};

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static int load(struct bench_prog *p, const char *pin_dir)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_dir);

	p->obj = bpf_object__open_file(p->path, &opts);
	if (!p->obj)
		return -errno;
	if (bpf_object__load(p->obj))
		return -errno;
	p->fd = bpf_program__fd(bpf_object__next_program(p->obj, NULL));
	return p->fd < 0 ? -EINVAL : 0;
}

/* 64-byte Ethernet/IPv4/UDP frame; flow selects the source address. */
static void udp4_frame(unsigned char *f, __u32 flow)
{
	__u32 src = htonl(0x0a000000 | (flow & 0xffffff));

	memset(f, 0, 64);
	f[12] = 0x08;
	f[14] = 0x45;
	f[17] = 50; /* total length */
	f[22] = 64;
	f[23] = 17;
	memcpy(f + 26, &src, 4);
	f[30] = 10, f[33] = 2;
	f[34] = 0x30, f[35] = 0x39, f[37] = 53; /* 12345 -> 53 */
	f[39] = 30;
}

/* IPv6 with hop-by-hop and destination options headers, then UDP: 110 bytes. */
static size_t udp6_ext_frame(unsigned char *f)
{
	memset(f, 0, 110);
	f[12] = 0x86, f[13] = 0xdd;
	f[14] = 0x60;
	f[19] = 56; /* payload: 8 + 8 + 8 + 32 */
	f[20] = 0; /* hop-by-hop */
	f[21] = 64;
	f[22] = 0xfd, f[37] = 1; /* fd00::1 */
	f[38] = 0xfd, f[53] = 2; /* fd00::2 */
	f[54] = 60; /* hop-by-hop -> destination options */
	f[62] = 17; /* destination options -> UDP */
	f[70] = 0x30, f[71] = 0x39, f[73] = 53, f[75] = 40;
	return 110;
}

static __u32 run_ns(int fd, void *frame, size_t len, int repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len,
		    .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &opts) || opts.retval != XDP_PASS) {
		fprintf(stderr, "xdp_cost: test run failed: %s\n", strerror(errno));
		exit(1);
	}
	return opts.duration;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* Median over interleaved rounds, so drift hits every program alike. */
static void measure(struct bench_prog *progs, int n, void *frame, size_t len, double *median)
{
	__u32 samples[8][ROUNDS];
	int r, i;

	for (r = 0; r < ROUNDS; r++)
		for (i = 0; i < n; i++)
			samples[i][r] = run_ns(progs[i].fd, frame, len, REPEAT);
	for (i = 0; i < n; i++) {
		qsort(samples[i], ROUNDS, sizeof(__u32), cmp_u32);
		median[i] = samples[i][ROUNDS / 2];
	}
}

/* Mean ns per packet over COLD_FLOWS distinct flows sent round-robin. */
static double cold_flows(int fd, int passes)
{
	unsigned char f[64];
	double total = 0;
	int p;
	__u32 i;

	for (p = 0; p < passes; p++)
		for (i = 0; i < COLD_FLOWS; i++) {
			udp4_frame(f, i);
			total += run_ns(fd, f, sizeof(f), 1);
		}
	return total / ((double)passes * COLD_FLOWS);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "build";
	char pin_dir[64], paths[3][256], msg[256];
	struct bench_prog progs[3] = {
		{ .name = "bare XDP_PASS", .path = paths[0] },
		{ .name = "blog design (2 hash maps)", .path = paths[1] },
		{ .name = "xdpflow", .path = paths[2] },
	};
	unsigned char f4[64], f6[128];
	double med[3], v6[3], cold_bare, cold_flow, overhead, budget;
	struct pin_maps pm;
	size_t len6;
	int i, err, flows_fd;

	libbpf_set_print(silent);
	snprintf(paths[0], sizeof(paths[0]), "%s/bench/bare.bpf.o", dir);
	snprintf(paths[1], sizeof(paths[1]), "%s/bench/blog.bpf.o", dir);
	snprintf(paths[2], sizeof(paths[2]), "%s/xdpflow.bpf.o", dir);
	snprintf(pin_dir, sizeof(pin_dir), XDPFLOW_BPFFS "/xdpflow-bench-%d", getpid());
	for (i = 0; i < 3; i++) {
		err = load(&progs[i], pin_dir);
		if (err) {
			fprintf(stderr, "xdp_cost: cannot load %s: %s\n", progs[i].path, strerror(-err));
			pin_remove_all(pin_dir);
			return 1;
		}
	}

	udp4_frame(f4, 1);
	measure(progs, 3, f4, sizeof(f4), med);
	len6 = udp6_ext_frame(f6);
	measure(progs, 3, f6, len6, v6);
	cold_bare = cold_flows(progs[0].fd, 2);
	cold_flow = cold_flows(progs[2].fd, 2);

	overhead = med[2] - med[0];
	budget = 0.2 * (med[1] - med[0]);
	printf("| program | 64-byte IPv4/UDP, one flow (ns/packet) | IPv6 + 2 extension headers (ns/packet) |\n");
	printf("| --- | --- | --- |\n");
	for (i = 0; i < 3; i++)
		printf("| %s | %.0f | %.0f |\n", progs[i].name, med[i], v6[i]);
	printf("\nxdpflow above bare: %.0f ns; blog design above bare: %.0f ns; ratio %.1f%% "
	       "(bar: at most 20%%, i.e. %.1f ns) -> %s\n", overhead, med[1] - med[0],
	       100.0 * overhead / (med[1] - med[0]), budget, overhead <= budget ? "MET" : "MISSED");
	printf("%d distinct flows round-robin (one test run per frame, bare subtracted): "
	       "%.0f ns/packet above bare\n", COLD_FLOWS, cold_flow - cold_bare);

	err = pin_open(pin_dir, false, &pm, msg, sizeof(msg));
	if (!err) {
		flows_fd = pin_open_current(&pm, PIN_FLOWS);
		if (flows_fd >= 0) {
			long long mem = map_memlock(flows_fd);

			printf("flow table: %u entries, %lld bytes of map memory: %.0f bytes per flow "
			       "(bar: at most 192, independent of the CPU count) -> %s\n",
			       pm.max_flows, mem, (double)mem / pm.max_flows,
			       (double)mem / pm.max_flows <= 192 ? "MET" : "MISSED");
			close(flows_fd);
		}
		pin_close(&pm);
	}
	for (i = 0; i < 3; i++)
		bpf_object__close(progs[i].obj);
	pin_remove_all(pin_dir);
	return 0;
}
