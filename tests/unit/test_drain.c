// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of --drain (reader/drain.c): threads run frames through the
 * real program with BPF_PROG_TEST_RUN while this thread drains back to
 * back; the sum of every drain must equal the frames run, exactly.  Also
 * the running totals of reader/promfile.c.
 */
// links: reader/export/drain.c reader/export/testkill.c reader/export/promfile.c
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include "testlib.h"
#include "export/drain.h"
#include "xdpflow.h"
#include "export/promfile.h"

#define N_IP_FLOWS 600 /* more than the 256 cache slots: evictions all the time */
#define N_FRAMES (N_IP_FLOWS + 3) /* and ARP, a malformed IPv4 and a malformed IPv6 frame */
#define THREADS 4
/*
 * Each test run: one frame this many times.  More than 1 makes every run
 * swap the kernel's XDP dispatcher image twice (two RCU grace periods,
 * under a mutex): far slower than single runs.
 */
#define REPEAT 1

struct frame {
	struct tl_frame f;
	int cls; /* 0 IP, 1 non-IP, 2 malformed */
	struct xdpflow_flow_key key; /* IP: the flow it belongs to */
	__u32 ip_bytes;
	__u8 tcp_flags;
};

static struct frame frames[N_FRAMES];
static __u32 lo_ifindex;

struct runner {
	pthread_t thread;
	int prog_fd;
	int cpu;
	unsigned int loops;
	int err;
	unsigned long long runs; /* frames run, each REPEAT times */
};

static atomic_int running;

static void ip_key(struct frame *fr, __u8 proto, __u16 sport, __u16 dport)
{
	struct xdpflow_flow_key *k = &fr->key;

	memset(k, 0, sizeof(*k));
	memcpy(k->src, fr->f.src, 16);
	memcpy(k->dst, fr->f.dst, 16);
	k->ifindex = lo_ifindex;
	k->sport = htons(sport);
	k->dport = htons(dport);
	k->family = fr->f.family;
	k->proto = proto;
	fr->ip_bytes = (__u32)(fr->f.len - fr->f.l3);
}

/* IPv4 and IPv6, TCP, UDP, ICMP and ICMPv6 flows, frames of different sizes. */
static void build_frames(void)
{
	struct tl_ipv6 h6;
	struct frame *fr;
	int i;

	for (i = 0; i < N_IP_FLOWS; i++) {
		fr = &frames[i];
		tl_frame_init(&fr->f);
		if (i % 3 == 2) {
			memset(&h6, 0, sizeof(h6));
			h6.nexthdr = i % 5 == 0 ? IPPROTO_ICMPV6 : IPPROTO_UDP;
			h6.src[0] = 0xfd, h6.src[14] = i >> 8, h6.src[15] = i & 0xff;
			h6.dst[0] = 0xfd, h6.dst[15] = 1;
			tl_put_eth(&fr->f, TL_ETH_IPV6);
			tl_put_ipv6(&fr->f, &h6);
			if (h6.nexthdr == IPPROTO_ICMPV6)
				tl_put_icmp(&fr->f, 128, 0);
			else
				tl_put_udp(&fr->f, 2000 + i, 53);
			tl_put_bytes(&fr->f, i % 200, 0xab);
			tl_frame_finish(&fr->f);
			if (h6.nexthdr == IPPROTO_ICMPV6)
				ip_key(fr, IPPROTO_ICMPV6, 0, 128 << 8);
			else
				ip_key(fr, IPPROTO_UDP, 2000 + i, 53);
			continue;
		}
		tl_put_eth(&fr->f, TL_ETH_IPV4);
		if (i % 7 == 0) {
			tl_put_ipv4(&fr->f, &(struct tl_ipv4){ .proto = IPPROTO_ICMP,
							       .src = 0x0a000000u | i });
			tl_put_icmp(&fr->f, 8, 0);
			tl_frame_finish(&fr->f);
			ip_key(fr, IPPROTO_ICMP, 0, 8 << 8);
		} else if (i % 3 == 0) {
			tl_put_ipv4(&fr->f, &(struct tl_ipv4){ .proto = IPPROTO_TCP,
							       .src = 0x0a010000u | i });
			fr->tcp_flags = i % 2 ? 0x18 : 0x02;
			tl_put_tcp(&fr->f, 40000 + i, 443, fr->tcp_flags);
			tl_put_bytes(&fr->f, i % 300, 0);
			tl_frame_finish(&fr->f);
			ip_key(fr, IPPROTO_TCP, 40000 + i, 443);
		} else {
			tl_put_ipv4(&fr->f, &(struct tl_ipv4){ .proto = IPPROTO_UDP,
							       .src = 0x0a020000u | i });
			tl_put_udp(&fr->f, 1024 + i, 53);
			tl_put_bytes(&fr->f, i % 100, 0);
			tl_frame_finish(&fr->f);
			ip_key(fr, IPPROTO_UDP, 1024 + i, 53);
		}
	}
	fr = &frames[N_IP_FLOWS];
	tl_frame_init(&fr->f);
	tl_put_eth(&fr->f, TL_ETH_ARP);
	tl_put_arp(&fr->f);
	fr->cls = 1;
	fr = &frames[N_IP_FLOWS + 1];
	tl_frame_init(&fr->f);
	tl_put_eth(&fr->f, TL_ETH_IPV4);
	tl_put_bytes(&fr->f, 30, 0x43); /* IHL 3 */
	fr->cls = 2;
	fr = &frames[N_IP_FLOWS + 2];
	tl_frame_init(&fr->f);
	tl_put_eth(&fr->f, TL_ETH_IPV6);
	tl_put_bytes(&fr->f, 20, 0x60); /* cut off */
	fr->cls = 2;
}

static void *run_frames(void *arg)
{
	struct runner *ru = arg;
	struct xdp_md ctx = { .ingress_ifindex = lo_ifindex };
	cpu_set_t set;
	unsigned int l;
	int i;

	CPU_ZERO(&set);
	CPU_SET(ru->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	for (l = 0; l < ru->loops && !ru->err; l++) {
		for (i = 0; i < N_FRAMES; i++) {
			/* Each thread its own order: the CPUs' caches differ. */
			struct frame *fr = &frames[(i * 7 + l + ru->cpu * 13) % N_FRAMES];
			LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = fr->f.data,
				    .data_size_in = (__u32)fr->f.len, .ctx_in = &ctx,
				    .ctx_size_in = sizeof(ctx), .repeat = REPEAT);

			ctx.data_end = (__u32)fr->f.len;
			if (bpf_prog_test_run_opts(ru->prog_fd, &opts)) {
				ru->err = -errno;
				break;
			}
			ru->runs++;
		}
	}
	atomic_fetch_sub(&running, 1);
	return NULL;
}

/* What the drains added up to. */
struct sums {
	struct keyhash flows; /* key -> struct xdpflow_flow_counters */
	struct xdpflow_counter non_ip, malformed, unrecorded;
	struct xdpflow_counter proto[2][256];
	unsigned long long drains, flow_entries, cache_only; /* how the counts were spread */
};

static int add_flow(const struct flow_record *f, void *ctx)
{
	struct sums *s = ctx;
	struct xdpflow_flow_counters *c = keyhash_put(&s->flows, &f->key, NULL);

	if (!c)
		return -ENOMEM;
	c->packets += f->c.packets;
	c->bytes += f->c.bytes;
	c->ip_bytes += f->c.ip_bytes;
	c->tcp_flags |= f->c.tcp_flags;
	return 0;
}

static void add_counter(struct xdpflow_counter *a, const struct xdpflow_counter *b)
{
	a->packets += b->packets;
	a->bytes += b->bytes;
}

/* Add the tables to the sums (they are final: swapped out, or no traffic). */
static int add_tables(struct sums *s, const struct snapshot_tables *t, int ncpus)
{
	struct walk_counts wc;
	struct snapshot snap;
	size_t i;
	int f, p, err;

	err = snapshot_read(t, -1, ncpus, &snap);
	if (err)
		return err;
	s->cache_only += snap.cache.h.n;
	/* The walk also completes the protocol counts, which are derived from the flows. */
	err = snapshot_walk_flows(t, &snap, add_flow, s, &wc);
	s->flow_entries += wc.table_entries;
	for (i = 0; !err && i < snap.ifaces.n; i++) {
		const struct iface_counts *ic = &snap.ifaces.v[i];

		add_counter(&s->non_ip, &ic->non_ip);
		add_counter(&s->malformed, &ic->malformed);
		add_counter(&s->unrecorded, &ic->unrecorded);
		for (f = 0; f < 2; f++)
			for (p = 0; p < 256; p++)
				add_counter(&s->proto[f][p], &ic->proto[f][p]);
	}
	snapshot_free(&snap);
	return err;
}

static int drain_once(const char *dir, struct sums *s, char *msg, size_t msglen)
{
	struct snapshot_tables old;
	struct pending rec;
	struct pin_maps pm;
	int swapped, err;

	err = drain_tables(dir, &pm, &old, &rec, &swapped, msg, msglen);
	if (err && !swapped)
		return err;
	/* A partial swap is still exact: its stand-ins are empty. */
	if (add_tables(s, &old, pm.ncpus) && !err)
		err = -EIO;
	snapshot_tables_close(&old);
	/* Reported: the drain's pending record goes. */
	pending_close(&rec);
	if (pending_forget(dir, rec.info.id) && !err)
		err = -EIO;
	pin_close(&pm);
	s->drains++;
	return err;
}

/* Everything the tables in place hold now (read-only, like the reader without --drain). */
static int read_current(const char *dir, struct sums *s, char *msg, size_t msglen)
{
	struct snapshot_tables t;
	struct pin_maps pm;
	int err;

	err = pin_open(dir, false, &pm, msg, msglen);
	if (err)
		return err;
	err = snapshot_tables_open_current(&pm, &t);
	if (!err) {
		err = add_tables(s, &t, pm.ncpus);
		snapshot_tables_close(&t);
	}
	pin_close(&pm);
	return err;
}

static bool sums_init(struct sums *s)
{
	memset(s, 0, sizeof(*s));
	return !keyhash_init(&s->flows, sizeof(struct xdpflow_flow_key),
			     sizeof(struct xdpflow_flow_counters), 1024);
}

/* Compare the sums with what the runners ran. */
static void check_sums(struct tl_check *c, struct sums *s, unsigned long long per_frame)
{
	struct xdpflow_counter non_ip = {}, malformed = {}, proto[2][256];
	const struct xdpflow_flow_counters *got;
	unsigned long long n;
	int i, f, p, bad = 0;

	memset(proto, 0, sizeof(proto));
	for (i = 0; i < N_FRAMES; i++) {
		struct frame *fr = &frames[i];
		struct xdpflow_counter add = { per_frame, per_frame * fr->f.len };

		if (fr->cls == 1) {
			add_counter(&non_ip, &add);
			continue;
		}
		if (fr->cls == 2) {
			add_counter(&malformed, &add);
			continue;
		}
		add_counter(&proto[fr->key.family == 6][fr->key.proto], &add);
		got = keyhash_get(&s->flows, &fr->key);
		if (!got) {
			if (!bad++)
				tl_expect(c, false, "flow %d missing from every drain", i);
			continue;
		}
		if (got->packets != per_frame || got->bytes != per_frame * fr->f.len ||
		    got->ip_bytes != per_frame * fr->ip_bytes || got->tcp_flags != fr->tcp_flags) {
			if (!bad++)
				tl_expect(c, false,
					  "flow %d: %llu packets %llu bytes %llu ip bytes flags %#x, ran "
					  "%llu packets %llu bytes %llu ip bytes flags %#x", i,
					  (unsigned long long)got->packets,
					  (unsigned long long)got->bytes,
					  (unsigned long long)got->ip_bytes, got->tcp_flags, per_frame,
					  per_frame * fr->f.len, per_frame * fr->ip_bytes, fr->tcp_flags);
		}
	}
	tl_expect(c, !bad, "%d of %d flows wrong", bad, N_IP_FLOWS);
	tl_expect_u64(c, "flows in the drains", s->flows.n, N_IP_FLOWS);
	tl_expect_u64(c, "non-IP packets", s->non_ip.packets, non_ip.packets);
	tl_expect_u64(c, "non-IP bytes", s->non_ip.bytes, non_ip.bytes);
	tl_expect_u64(c, "malformed packets", s->malformed.packets, malformed.packets);
	tl_expect_u64(c, "malformed bytes", s->malformed.bytes, malformed.bytes);
	tl_expect_u64(c, "unrecorded packets", s->unrecorded.packets, 0);
	for (n = 0, f = 0; f < 2; f++)
		for (p = 0; p < 256; p++)
			if (s->proto[f][p].packets != proto[f][p].packets ||
			    s->proto[f][p].bytes != proto[f][p].bytes)
				if (!n++)
					tl_expect(c, false, "IPv%d protocol %d: %llu packets %llu bytes, "
						  "ran %llu packets %llu bytes", f ? 6 : 4, p,
						  (unsigned long long)s->proto[f][p].packets,
						  (unsigned long long)s->proto[f][p].bytes,
						  (unsigned long long)proto[f][p].packets,
						  (unsigned long long)proto[f][p].bytes);
}

static unsigned int env_uint(const char *name, unsigned int def)
{
	const char *v = getenv(name);

	return v && *v ? (unsigned int)strtoul(v, NULL, 10) : def;
}

static void test_drain_under_load(void)
{
	struct runner ru[THREADS];
	unsigned long long per_frame, total = 0;
	struct sums s, after;
	struct tl_check c;
	struct tl_xdp x;
	char msg[512];
	int i, ncpus = libbpf_num_possible_cpus(), err = 0;
	unsigned int loops = env_uint("DRAIN_TEST_LOOPS", 500);

	tl_begin(&c, "drain_exact_under_test_run_load");
	if (tl_xdp_open(&x, 65536)) {
		tl_skip("drain_exact_under_test_run_load", "%s", tl_errmsg());
		return;
	}
	if (!sums_init(&s) || !sums_init(&after)) {
		tl_fail("drain_exact_under_test_run_load", "out of memory");
		tl_xdp_close(&x);
		return;
	}
	atomic_store(&running, THREADS);
	for (i = 0; i < THREADS; i++) {
		ru[i] = (struct runner){ .prog_fd = x.prog_fd, .cpu = i % ncpus, .loops = loops };
		pthread_create(&ru[i].thread, NULL, run_frames, &ru[i]);
	}
	/* Back to back while the threads run. */
	while (atomic_load(&running) > 0 && !err) {
		err = drain_once(x.pin_dir, &s, msg, sizeof(msg));
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(ru[i].thread, NULL);
		total += ru[i].runs;
		tl_expect(&c, !ru[i].err, "thread %d: test run failed: %s", i, strerror(-ru[i].err));
	}
	tl_expect(&c, !err, "drain %llu failed: %s (%s)", s.drains + 1, strerror(-err), msg);
	/* The drains must have met traffic: several, and with counts in both layers. */
	tl_expect(&c, s.drains >= 3, "only %llu drains ran during the traffic", s.drains);
	err = drain_once(x.pin_dir, &s, msg, sizeof(msg));
	tl_expect(&c, !err, "final drain failed: %s", msg);
	tl_expect(&c, s.flow_entries > 0, "no drain saw flow-table entries");
	tl_expect(&c, s.cache_only > 0, "no drain saw flow-cache entries");
	per_frame = (unsigned long long)THREADS * loops * REPEAT;
	tl_expect_u64(&c, "frames run", total * REPEAT, per_frame * N_FRAMES);
	check_sums(&c, &s, per_frame);
	tl_end(&c, "%llu frames from %d threads on %d CPUs, %llu drains", total * REPEAT, THREADS,
	       ncpus, s.drains);

	tl_begin(&c, "drain_leaves_zero");
	err = read_current(x.pin_dir, &after, msg, sizeof(msg));
	tl_expect(&c, !err, "reading the tables in place: %s", msg);
	tl_expect_u64(&c, "flows after the last drain", after.flows.n, 0);
	tl_expect_u64(&c, "non-IP after the last drain", after.non_ip.packets, 0);
	tl_expect_u64(&c, "malformed after the last drain", after.malformed.packets, 0);
	for (i = 0; i < 512; i++)
		if (after.proto[i / 256][i % 256].packets) {
			tl_expect(&c, false, "protocol %d of IPv%d still counts %llu", i % 256,
				  i / 256 ? 6 : 4,
				  (unsigned long long)after.proto[i / 256][i % 256].packets);
			break;
		}
	tl_end(&c, NULL);

	/* The program keeps counting into the tables a drain put in place. */
	tl_begin(&c, "drain_program_counts_into_fresh_tables");
	keyhash_free(&after.flows);
	sums_init(&after);
	ru[0] = (struct runner){ .prog_fd = x.prog_fd, .cpu = 0, .loops = 1 };
	atomic_store(&running, 1);
	run_frames(&ru[0]);
	err = read_current(x.pin_dir, &after, msg, sizeof(msg));
	tl_expect(&c, !err && !ru[0].err, "read: %s", msg);
	tl_expect_u64(&c, "flows", after.flows.n, N_IP_FLOWS);
	tl_expect_u64(&c, "non-IP", after.non_ip.packets, REPEAT);
	tl_end(&c, NULL);

	keyhash_free(&s.flows);
	keyhash_free(&after.flows);
	tl_xdp_close(&x);
}

/*
 * Control: a drain "the naive way" (read the tables in place, then clear
 * them) loses whatever lands between the read and the clear, and the
 * check above (every frame in exactly one drain) would catch it. The
 * interleaving is made, not raced for: frames, read, frames, clear,
 * frames, read. The naive reads must miss exactly the middle batch: a
 * read or clear that did anything else fails the control.
 */
static unsigned long long run_batch(int prog_fd, unsigned int loops, int *err)
{
	struct runner ru = { .prog_fd = prog_fd, .cpu = 0, .loops = loops };

	atomic_store(&running, 1);
	pthread_create(&ru.thread, NULL, run_frames, &ru);
	pthread_join(ru.thread, NULL);
	if (ru.err && !*err)
		*err = ru.err;
	return ru.runs * REPEAT;
}

/* Reads the current tables into s (clear: then zeroes them, the naive drain's reset). */
static int naive_step(const char *pin_dir, struct sums *s, bool read, bool clear)
{
	struct snapshot_tables t;
	struct pin_maps pm;
	char msg[512];
	int err;

	err = pin_open(pin_dir, true, &pm, msg, sizeof(msg));
	if (err)
		return err;
	err = snapshot_tables_open_current(&pm, &t);
	if (!err) {
		if (read)
			err = add_tables(s, &t, pm.ncpus);
		if (!err && clear)
			err = tl_zero_percpu(t.fcache_fd, pm.ncpus, XDPFLOW_FLOWCACHE_SETS,
					     sizeof(struct xdpflow_flowcache_set));
		if (!err && clear)
			err = tl_clear_hash(t.flows_fd);
		if (!err && clear)
			err = tl_clear_hash(t.refused_fd);
		if (!err && clear)
			err = tl_zero_percpu(t.stats_fd, pm.ncpus, XDPFLOW_STATS_ENTRIES,
					     sizeof(struct xdpflow_iface_stats));
		snapshot_tables_close(&t);
	}
	pin_close(&pm);
	return err;
}

static void test_naive_control(void)
{
	unsigned long long before, between, after, got;
	struct sums s;
	struct tl_xdp x;
	int i, err = 0;

	if (tl_xdp_open(&x, 65536) || !sums_init(&s)) {
		tl_skip("drain_control_naive_reset_loses_counts", "%s", tl_errmsg());
		return;
	}
	before = run_batch(x.prog_fd, 3, &err);
	if (!err)
		err = naive_step(x.pin_dir, &s, true, false);
	between = run_batch(x.prog_fd, 2, &err);
	if (!err)
		err = naive_step(x.pin_dir, &s, false, true);
	after = run_batch(x.prog_fd, 1, &err);
	if (!err)
		err = naive_step(x.pin_dir, &s, true, true);
	got = s.non_ip.packets + s.malformed.packets;
	for (i = 0; i < 512; i++)
		got += s.proto[i / 256][i % 256].packets;
	if (err)
		tl_fail("drain_control_naive_reset_loses_counts", "%s", strerror(-err));
	else if (!between || got != before + after)
		tl_fail("drain_control_naive_reset_loses_counts", "the naive reads saw %llu frames, "
			"expected exactly the %llu before the read and %llu after the clear (%llu "
			"between)", got, before, after, between);
	else
		tl_pass("drain_control_naive_reset_loses_counts", "read then clear: %llu of %llu "
			"frames, the %llu sent between the read and the clear lost", got,
			before + between + after, between);
	keyhash_free(&s.flows);
	tl_xdp_close(&x);
}

static void test_drain_errors(void)
{
	struct snapshot_tables old;
	struct pending rec;
	struct pin_maps pm;
	struct tl_check c;
	char msg[512], dir[64];
	int swapped, err;

	tl_begin(&c, "drain_missing_folder_says_so");
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/xdpflow-ctest-%d-none", (int)getpid());
	err = drain_tables(dir, &pm, &old, &rec, &swapped, msg, sizeof(msg));
	tl_expect(&c, err == -ENOENT, "status %d", err);
	tl_expect_u64(&c, "swapped", swapped, 0);
	tl_expect(&c, strstr(msg, "attach first") != NULL, "message: %s", msg);
	tl_end(&c, "%s", msg);
}

/* ---- Running totals in a Prometheus file ---- */

static const char old_text[] =
	PROMFILE_MARK "\n"
	"# HELP a_total A.\n# TYPE a_total counter\n"
	"a_total{x=\"1\"} 10\na_total{x=\"2 two\"} 5\n"
	"# HELP g Gauge.\n# TYPE g gauge\ng 7\n"
	"# HELP old_total Only old.\n# TYPE old_total counter\nold_total{y=\"z\"} 3\n";

static const char new_text[] =
	"# HELP a_total A.\n# TYPE a_total counter\n"
	"a_total{x=\"3\"} 1\na_total{x=\"1\"} 2\n"
	"# HELP g Gauge.\n# TYPE g gauge\ng 9\n";

static const char merged_text[] =
	PROMFILE_MARK "\n"
	"# HELP a_total A.\n# TYPE a_total counter\n"
	"a_total{x=\"1\"} 12\na_total{x=\"2 two\"} 5\na_total{x=\"3\"} 1\n"
	"# HELP g Gauge.\n# TYPE g gauge\ng 9\n"
	"# HELP old_total Only old.\n# TYPE old_total counter\nold_total{y=\"z\"} 3\n";

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

static void test_promfile(void)
{
	struct prom_text old, new;
	char path[] = "/tmp/xdpflow-ctest-prom-XXXXXX", msg[512], *buf = NULL;
	struct tl_check c;
	size_t len = 0;
	FILE *mem;
	int fd, err;

	fd = mkstemp(path);
	if (fd < 0) {
		tl_skip("promfile_adds_counters", "mkstemp: %s", strerror(errno));
		return;
	}
	close(fd);

	tl_begin(&c, "promfile_adds_counters_keeps_the_rest");
	write_file(path, old_text);
	err = promfile_load(&old, path, msg, sizeof(msg));
	tl_expect(&c, !err, "load: %s", msg);
	err = promfile_parse(&new, new_text, strlen(new_text), msg, sizeof(msg));
	tl_expect(&c, !err, "parse: %s", msg);
	mem = open_memstream(&buf, &len);
	promfile_merge(&old, &new, mem);
	fclose(mem);
	tl_expect(&c, buf && !strcmp(buf, merged_text), "merged:\n%s", buf ? buf : "(null)");
	promfile_free(&old);
	promfile_free(&new);
	free(buf);
	tl_end(&c, NULL);

	tl_begin(&c, "promfile_refuses_a_file_of_totals");
	write_file(path, new_text);
	err = promfile_load(&old, path, msg, sizeof(msg));
	tl_expect(&c, err == -EPROTO, "status %d", err);
	tl_expect(&c, strstr(msg, "count twice") != NULL, "message: %s", msg);
	promfile_free(&old);
	tl_end(&c, "%s", msg);

	tl_begin(&c, "promfile_refuses_a_bad_line");
	write_file(path, PROMFILE_MARK "\na_total 1.5\n");
	err = promfile_load(&old, path, msg, sizeof(msg));
	tl_expect(&c, err == -EPROTO, "status %d", err);
	tl_expect(&c, strstr(msg, "line 2") != NULL, "message: %s", msg);
	promfile_free(&old);
	tl_end(&c, "%s", msg);

	tl_begin(&c, "promfile_missing_or_empty_starts_at_zero");
	write_file(path, "");
	err = promfile_load(&old, path, msg, sizeof(msg));
	tl_expect(&c, !err && !old.n, "empty: status %d, %zu families", err, old.n);
	promfile_free(&old);
	unlink(path);
	err = promfile_load(&old, path, msg, sizeof(msg));
	tl_expect(&c, !err && !old.n, "missing: status %d, %zu families", err, old.n);
	promfile_free(&old);
	tl_end(&c, NULL);
}

int main(int argc, char **argv)
{
	(void)argc;
	tl_init(argv[0]);
	build_frames();
	test_promfile();
	if (geteuid()) {
		tl_skip("drain", "needs root (CAP_BPF, CAP_SYS_ADMIN)");
		return tl_summary();
	}
	lo_ifindex = if_nametoindex("lo");
	if (!lo_ifindex) {
		tl_skip("drain", "no lo interface");
		return tl_summary();
	}
	/* The frames' keys name lo: build them again now that its ifindex is known. */
	build_frames();
	test_drain_errors();
	test_drain_under_load();
	test_naive_control();
	return tl_summary();
}
