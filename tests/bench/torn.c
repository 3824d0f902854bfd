// SPDX-License-Identifier: GPL-2.0
/*
 * Torn-read check for the prototype flow caches (issue 14.2): one CPU alternates two flows
 * that share a cache entry (UDP 60-byte frames from 192.0.2.1; TCP 200-byte frames with ACK
 * from 10.0.0.1) while another CPU copies that entry with the reader protocol proposed for
 * the product: copy, copy, copy, and keep a CPU's middle copy only if the generation of the
 * first and the third are equal and even.  Every kept copy must be one of the two flows with
 * its own counts (bytes = packets x its frame length, its TCP flags).
 *
 * Usage: torn OBJECT SECONDS [--no-check]   (--no-check keeps every middle copy: the control
 * that shows the experiment finds mixed entries when nothing protects them)
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

/* The prototype's entry (tests/bench/proto.bpf.c, struct pc_entry). */
struct entry {
	__u8 src[16], dst[16];
	__u32 ifindex;
	__u16 sport, dport;
	__u8 family, proto;
	__u16 vlan_outer, vlan_inner, pad;
	__u32 gen, tcp_flags;
	__u64 packets, bytes, ip_bytes, first_seen, last_seen;
};

#define UDP_LEN 60
#define TCP_LEN 200

static unsigned char udp_frame[UDP_LEN], tcp_frame[TCP_LEN];
static int prog_fd, cache_fd, ncpus;
static volatile int stop;

static void frame(unsigned char *f, int len, int proto, __u32 src, __u16 sport)
{
	memset(f, 0, len);
	f[12] = 0x08;
	f[14] = 0x45;
	f[16] = (len - 14) >> 8, f[17] = (len - 14) & 0xff;
	f[22] = 64;
	f[23] = proto;
	memcpy(f + 26, &src, 4);
	f[30] = 198, f[31] = 51, f[32] = 100, f[33] = 1;
	memcpy(f + 34, &sport, 2);
	f[37] = 53;
	if (proto == 6)
		f[47] = 0x10; /* ACK */
}

/* The prototype's key_hash() on the key the program builds from the frame. */
static __u32 key_hash(const unsigned char *f, int proto)
{
	struct entry e = { .ifindex = 1, .family = 4, .proto = proto };
	__u64 w[6], h;

	memcpy(e.src, f + 26, 4);
	memcpy(e.dst, f + 30, 4);
	memcpy(&e.sport, f + 34, 2);
	memcpy(&e.dport, f + 36, 2);
	memcpy(w, &e, sizeof(w));
	h = (w[0] ^ w[1]) * 0x9e3779b97f4a7c15ull;
	h ^= (w[2] ^ w[3]) * 0xc2b2ae3d27d4eb4full;
	h ^= w[4] ^ w[5];
	h *= 0x165667b19e3779f9ull;
	return (__u32)(h >> 32);
}

static void run_on(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *writer(void *arg)
{
	LIBBPF_OPTS(bpf_test_run_opts, a, .data_in = udp_frame, .data_size_in = UDP_LEN);
	LIBBPF_OPTS(bpf_test_run_opts, b, .data_in = tcp_frame, .data_size_in = TCP_LEN);
	unsigned long long *runs = arg;

	run_on(0);
	while (!stop) {
		if (bpf_prog_test_run_opts(prog_fd, &a) || bpf_prog_test_run_opts(prog_fd, &b)) {
			perror("torn: test run");
			exit(1);
		}
		*runs += 2;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long long runs = 0, kept = 0, refused = 0, phantom = 0, mixed = 0, reads = 0;
	int seconds = argc > 2 ? atoi(argv[2]) : 10, check = !(argc > 3), c;
	struct bpf_object *obj;
	unsigned char *v[3];
	size_t stride, off;
	pthread_t thread;
	__u32 slot, sets;
	__u16 sport;
	time_t end;

	if (argc < 3) {
		fprintf(stderr, "usage: torn OBJECT SECONDS [--no-check]\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "torn: cannot load %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	prog_fd = bpf_program__fd(bpf_object__next_program(obj, NULL));
	cache_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "fcache_epoch0"));
	sets = bpf_map__max_entries(bpf_object__find_map_by_name(obj, "fcache_epoch0"));
	/* One-way prototypes only: a set is its header, then its one entry (or just the entry). */
	stride = (bpf_map__value_size(bpf_object__find_map_by_name(obj, "fcache_epoch0")) + 7) & ~7ul;
	if (stride < sizeof(struct entry) || stride > sizeof(struct entry) + 16) {
		fprintf(stderr, "torn: %s is not a one-way prototype\n", argv[1]);
		return 2;
	}
	off = stride - sizeof(struct entry);
	ncpus = libbpf_num_possible_cpus();
	frame(udp_frame, UDP_LEN, 17, inet_addr("192.0.2.1"), htons(1000));
	slot = key_hash(udp_frame, 17) >> 23 & (sets - 1);
	/* A TCP source port that puts the second flow in the same entry. */
	for (sport = 1; ; sport++) {
		frame(tcp_frame, TCP_LEN, 6, inet_addr("10.0.0.1"), htons(sport));
		if ((key_hash(tcp_frame, 6) >> 23 & (sets - 1)) == slot)
			break;
	}
	for (c = 0; c < 3; c++)
		v[c] = calloc(ncpus, stride);
	pthread_create(&thread, NULL, writer, &runs);
	run_on(1);
	end = time(NULL) + seconds;
	while (time(NULL) < end) {
		for (c = 0; c < 3; c++) {
			if (bpf_map_lookup_elem(cache_fd, &slot, v[c])) {
				perror("torn: lookup");
				return 1;
			}
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
		}
		reads++;
		for (c = 0; c < ncpus; c++) {
			struct entry *e = (void *)(v[1] + c * stride + off);
			struct entry *first = (void *)(v[0] + c * stride + off);
			struct entry *third = (void *)(v[2] + c * stride + off);
			int len;

			if (!e->packets)
				continue;
			if (check && (first->gen != third->gen || (first->gen & 1))) {
				refused++;
				continue;
			}
			kept++;
			if (e->proto == 17 && !memcmp(e->src, udp_frame + 26, 4))
				len = UDP_LEN;
			else if (e->proto == 6 && !memcmp(e->src, tcp_frame + 26, 4))
				len = TCP_LEN;
			else {
				phantom++;
				continue;
			}
			if (e->bytes != e->packets * len ||
			    e->tcp_flags != (len == TCP_LEN ? 0x10u : 0u) ||
			    e->sport != (len == TCP_LEN ? htons(sport) : htons(1000)))
				mixed++;
		}
	}
	stop = 1;
	pthread_join(thread, NULL);
	printf("torn: %s%s: %llu frames, %llu reads, %llu copies kept, %llu refused, "
	       "%llu phantom, %llu mixed\n", argv[1], check ? "" : " (no check)", runs, reads,
	       kept, refused, phantom, mixed);
	bpf_object__close(obj);
	return phantom || mixed;
}
