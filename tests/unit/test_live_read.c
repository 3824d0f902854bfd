// SPDX-License-Identifier: GPL-2.0
/* Unit test: live reads never invent a flow, never mix two, never count a frame twice or miss it (issue 14.2). */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include "testlib.h"

/*
 * Issue 14's experiment, run hard against the program and the read library:
 * one CPU runs UDP 60-byte frames from 192.0.2.1 and TCP 200-byte frames
 * with ACK from 10.0.0.1 through the program, flows that all share one
 * cache set, each twice in a row, so the set re-keys all the time (a
 * flow's second miss in a row admits it and evicts another into the
 * table); another CPU reads through the library as fast as it can.  Every
 * flow of every read must be one that was sent (no invented flow), with
 * counts of that flow only (its TCP flags; bytes and IP bytes in its own
 * frame sizes, as many as its packets give or take a few frames counted
 * while the read ran: no mixed record), never more than the frames sent when
 * the read ended (nothing counted twice), and present with every frame of it
 * sent before the read began (nothing lost).  The ground truth is the
 * writer's own count of the frames the kernel ran, taken after each run
 * returned.  A control reads the same way without the
 * generation words and must find what the words prevent.
 *
 * XDPFLOW_LIVE_READ_SECONDS (default 10) sets how long the main run takes.
 */

#define UDP_LEN 60
#define TCP_LEN 200
#define NUDP 3
#define NTCP 3
#define NFLOWS (NUDP + NTCP)
#define SLACK 8 /* frames a record's counters may be apart (each read a moment later) */
#define CONTROL_SECONDS 3
#define CONTROL_ROUNDS 5

struct flow {
	struct tl_frame f;
	struct xdpflow_flow_key key;
	__u32 len, ip_len;
	__u8 flags;
};

static struct flow flows[NFLOWS];
static _Atomic __u64 sent[NFLOWS];
static atomic_bool stop;
static struct tl_xdp xdp;
static int writer_cpu, reader_cpu;

struct tally {
	__u64 reads, records, invented, mixed, doubled, missed, frames;
	/* records short of frames counted before the read began, and by how many frames */
	__u64 older, older_frames, undecided;
	__u64 torn, rereads; /* what the library had to do: torn copies retaken, flows read again */
	char first[512]; /* the first bad record, for the failure line */
};

static __u32 key_set(const struct xdpflow_flow_key *k)
{
	__u64 w[6];

	memcpy(w, k, sizeof(w));
	return xdpflow_flow_set(xdpflow_flow_hash(w));
}

static void build(struct flow *fl, bool tcp, __u16 sport)
{
	tl_frame_init(&fl->f);
	tl_put_eth(&fl->f, TL_ETH_IPV4);
	tl_put_ipv4(&fl->f, &(struct tl_ipv4){ .proto = tcp ? IPPROTO_TCP : IPPROTO_UDP,
					      .src = tcp ? 0x0a000001 : 0xc0000201 });
	if (tcp)
		tl_put_tcp(&fl->f, sport, 53, 0x10);
	else
		tl_put_udp(&fl->f, sport, 53);
	tl_put_bytes(&fl->f, (tcp ? TCP_LEN : UDP_LEN) - fl->f.len, 0x55);
	tl_frame_finish(&fl->f);
	fl->len = (__u32)fl->f.len;
	fl->ip_len = fl->len - 14;
	fl->flags = tcp ? 0x10 : 0;
	tl_frame_key(&fl->f, &fl->key, 1, tcp ? IPPROTO_TCP : IPPROTO_UDP, sport, 53);
}

/* NUDP + NTCP flows in the set of the first UDP flow. */
static void build_flows(void)
{
	__u32 set = 0, port;
	int n = 0;

	for (port = 1000; n < NFLOWS && port < 65536; port++) {
		build(&flows[n], n >= NUDP, (__u16)port);
		if (!n)
			set = key_set(&flows[0].key);
		if (key_set(&flows[n].key) == set)
			n++;
	}
}

static void on_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *writer(void *arg)
{
	__u32 verdict;
	int i, k;

	(void)arg;
	on_cpu(writer_cpu);
	while (!atomic_load(&stop))
		for (i = 0; i < NFLOWS; i++)
			for (k = 0; k < 2; k++) {
				if (tl_xdp_run(&xdp, flows[i].f.data, flows[i].f.len, 0, &verdict))
					return (void *)1;
				atomic_fetch_add(&sent[i], 1);
			}
	return NULL;
}

struct check {
	struct tally *t;
	__u64 before[NFLOWS], after[NFLOWS];
	bool seen[NFLOWS];
	struct flow_record rec[NFLOWS]; /* judged against the writer's counts once the read ended */
	__u64 missed; /* flows of this read sent before it began and absent from it */
	char first_missed[256];
};

static void note(struct tally *t, const char *what, const struct flow_record *r)
{
	char key[160];

	if (t->first[0])
		return;
	snprintf(t->first, sizeof(t->first), "%s: %s packets %llu bytes %llu ip_bytes %llu flags 0x%x",
		 what, tl_key_str(&r->key, key, sizeof(key)), (unsigned long long)r->c.packets,
		 (unsigned long long)r->c.bytes, (unsigned long long)r->c.ip_bytes, r->c.tcp_flags);
}

static bool near(__u64 total, __u32 unit, __u64 packets)
{
	__u64 n = total / unit;

	return total % unit == 0 && n + SLACK >= packets && n <= packets + SLACK;
}

static int check_record(const struct flow_record *r, void *ctx)
{
	struct check *c = ctx;
	struct tally *t = c->t;
	int i;

	t->records++;
	for (i = 0; i < NFLOWS; i++)
		if (!memcmp(&r->key, &flows[i].key, sizeof(r->key)))
			break;
	if (i == NFLOWS) {
		t->invented++;
		note(t, "invented", r);
		return 0;
	}
	if (c->seen[i]) {
		t->doubled++;
		note(t, "reported twice", r);
	}
	c->seen[i] = true;
	c->rec[i] = *r;
	if (r->c.tcp_flags != flows[i].flags || !near(r->c.bytes, flows[i].len, r->c.packets) ||
	    !near(r->c.ip_bytes, flows[i].ip_len, r->c.packets)) {
		t->mixed++;
		note(t, "mixed", r);
	}
	return 0;
}

/* Between the frames run before the read began and those run when it ended. */
static void check_counts(struct check *c)
{
	struct tally *t = c->t;
	const struct flow_record *r;
	int i;

	for (i = 0; i < NFLOWS; i++) {
		r = &c->rec[i];
		if (!c->seen[i]) {
			if (c->before[i]) {
				if (!c->missed++)
					snprintf(c->first_missed, sizeof(c->first_missed),
						 "flow %d missing after %llu frames", i,
						 (unsigned long long)c->before[i]);
			}
			continue;
		}
		/* The writer counts a frame once its run returned: one more may be in flight. */
		if (r->c.packets > c->after[i] + 1) {
			t->doubled++;
			note(t, "counted twice", r);
		}
		/* Short of frames counted before the read began: lost. */
		if (r->c.packets < c->before[i]) {
			t->older++;
			t->older_frames += c->before[i] - r->c.packets;
			if (!t->first[0])
				snprintf(t->first, sizeof(t->first),
					 "flow %d read with %llu packets, %llu counted before the "
					 "read began", i, (unsigned long long)r->c.packets,
					 (unsigned long long)c->before[i]);
		}
	}
}

/* One read through the library; final pretends the tables are final (the control). */
static int read_once(struct pin_maps *pm, bool final, struct tally *t)
{
	struct snapshot_tables tables;
	struct check c = { .t = t };
	struct snapshot s;
	__u64 undecided = 0;
	int err, i;

	for (i = 0; i < NFLOWS; i++)
		c.before[i] = atomic_load(&sent[i]);
	err = snapshot_tables_open_current(pm, &tables);
	if (err)
		return err;
	if (final)
		tables.fgen_fd = -1;
	err = snapshot_read(&tables, -1, pm->ncpus, &s);
	if (!err) {
		err = snapshot_walk_flows(&tables, &s, check_record, &c, NULL);
		t->torn += s.cache.torn_left;
		t->rereads += s.cache.rereads;
		undecided = s.cache.unresolved;
		snapshot_free(&s);
	}
	snapshot_tables_close(&tables);
	for (i = 0; i < NFLOWS; i++)
		c.after[i] = atomic_load(&sent[i]);
	if (!err)
		check_counts(&c);
	/* A flow sent before the read began and absent from it fails. */
	t->undecided += undecided;
	if (c.missed) {
		t->missed += c.missed;
		if (!t->first[0])
			snprintf(t->first, sizeof(t->first), "%s", c.first_missed);
	}
	t->reads++;
	return err;
}

static int run(const char *dir, bool final, int seconds, struct tally *t)
{
	struct pin_maps pm;
	pthread_t thread;
	char msg[512];
	void *werr = NULL;
	time_t end;
	int err, i;

	memset(t, 0, sizeof(*t));
	if (tl_xdp_reset(&xdp))
		return -EIO;
	for (i = 0; i < NFLOWS; i++)
		atomic_store(&sent[i], 0);
	err = pin_open(dir, false, &pm, msg, sizeof(msg));
	if (err) {
		tl_seterr(err, "%s", msg);
		return err;
	}
	atomic_store(&stop, false);
	pthread_create(&thread, NULL, writer, NULL);
	on_cpu(reader_cpu);
	end = time(NULL) + seconds;
	while (!err && time(NULL) < end)
		err = read_once(&pm, final, t);
	atomic_store(&stop, true);
	pthread_join(thread, &werr);
	for (i = 0; i < NFLOWS; i++)
		t->frames += atomic_load(&sent[i]);
	pin_close(&pm);
	if (werr)
		return tl_seterr(-EIO, "the writer's test run failed");
	return err ? tl_seterr(err, "a read failed: %s", strerror(-err)) : 0;
}

static void test_live_read(int seconds)
{
	struct tally t;
	struct tl_check c;
	int err;

	tl_begin(&c, "live_read_exact_under_rekeys");
	err = run(xdp.pin_dir, false, seconds, &t);
	if (tl_expect(&c, !err, "%s", tl_errmsg())) {
		tl_expect(&c, t.reads > 500, "only %llu reads", (unsigned long long)t.reads);
		tl_expect_u64(&c, "invented flows", t.invented, 0);
		tl_expect_u64(&c, "mixed records", t.mixed, 0);
		tl_expect_u64(&c, "records counted twice", t.doubled, 0);
		tl_expect_u64(&c, "flows sent before the read and absent from it", t.missed, 0);
		tl_expect_u64(&c, "records short of frames counted before the read began", t.older,
			      0);
		tl_expect(&c, !t.first[0], "%s", t.first);
	}
	tl_end(&c, "%d s: %llu frames, %llu reads, %llu records: 0 invented, 0 mixed, 0 twice, "
	       "0 absent, %llu short of frames counted before the read (%llu frames in all; %llu "
	       "flows left undecided); %llu table entries read again, %llu entries torn in every copy",
	       seconds, (unsigned long long)t.frames, (unsigned long long)t.reads,
	       (unsigned long long)t.records, (unsigned long long)t.older,
	       (unsigned long long)t.older_frames, (unsigned long long)t.undecided,
	       (unsigned long long)t.rereads,
	       (unsigned long long)t.torn);
}

/*
 * A CPU held up inside rekey() between its two increments of the entry's
 * word (an interrupt, its vCPU descheduled by the host) keeps the word odd
 * and the entry's old flow out of the flow table for as long as it is held
 * up.  The program cannot be stopped there on purpose, so the test does from
 * user space what rekey() does, at the speed of a stalled CPU: flow A is put
 * in a cache entry by the program (STALL_FRAMES frames), its word made odd,
 * and STALL_MS later a thread adds A's counts to the flow table, re-keys the
 * entry to flow B (one frame) and makes the word even, two past where it
 * was.  A read meanwhile must report A with every one of its frames, all
 * counted before it began.
 */
#define STALL_FRAMES 3
#define STALL_MS 50

struct stall {
	int gens_fd, cache_fd, flows_fd, ncpus;
	__u32 set, gi; /* A's set, its word's index in one CPU's words */
	__u32 *gens; /* every CPU's words */
	void *sets; /* every CPU's copy of A's set */
	size_t set_stride;
	int err;
};

static int stall_word(struct stall *st, __u32 add)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(st->gens_fd, &zero, st->gens))
		return -errno;
	st->gens[(size_t)writer_cpu * XDPFLOW_FLOWCACHE_ENTRIES + st->gi] += add;
	return bpf_map_update_elem(st->gens_fd, &zero, st->gens, BPF_ANY) ? -errno : 0;
}

/* The rest of rekey(): A's counts into the table, the entry to flow B, the word even. */
static void *finish_rekey(void *arg)
{
	struct stall *st = arg;
	struct xdpflow_flowcache_set *set;
	struct xdpflow_flowcache_entry *e;
	const struct flow *b = &flows[NUDP];

	usleep(STALL_MS * 1000);
	if (bpf_map_lookup_elem(st->cache_fd, &st->set, st->sets)) {
		st->err = -errno;
		return NULL;
	}
	set = (void *)((char *)st->sets + (size_t)writer_cpu * st->set_stride);
	e = &set->e[st->gi % XDPFLOW_FLOWCACHE_WAYS];
	if (bpf_map_update_elem(st->flows_fd, &e->key, &e->counters, BPF_NOEXIST)) {
		st->err = -errno;
		return NULL;
	}
	e->key = b->key;
	memset(&e->counters, 0, sizeof(e->counters));
	e->counters.packets = 1;
	e->counters.bytes = b->len;
	e->counters.ip_bytes = b->ip_len;
	e->counters.tcp_flags = b->flags;
	if (bpf_map_update_elem(st->cache_fd, &st->set, st->sets, BPF_ANY))
		st->err = -errno;
	else
		st->err = stall_word(st, 1);
	return NULL;
}

/* Flow A in a cache entry of the writer's CPU, put there by the program; its word's index. */
static int stall_setup(struct stall *st)
{
	struct xdpflow_flowcache_set *set;
	__u32 verdict, zero = 0;
	int i, w;

	memset(st, 0, sizeof(*st));
	st->ncpus = xdp.ncpus;
	st->gens_fd = xdp.fgen_fd;
	st->cache_fd = tl_current_table(xdp.fcache_fd);
	st->flows_fd = tl_current_table(xdp.flows_fd);
	st->set_stride = tl_percpu_stride(sizeof(struct xdpflow_flowcache_set));
	st->gens = calloc((size_t)st->ncpus, sizeof(struct xdpflow_flowcache_gens));
	st->sets = calloc((size_t)st->ncpus, st->set_stride);
	if (st->cache_fd < 0 || st->flows_fd < 0 || !st->gens || !st->sets)
		return tl_seterr(-ENOMEM, "opening the tables: %s", tl_errmsg());
	if (tl_xdp_reset(&xdp))
		return -EIO;
	on_cpu(writer_cpu);
	for (i = 0; i < STALL_FRAMES; i++)
		if (tl_xdp_run(&xdp, flows[0].f.data, flows[0].f.len, 0, &verdict))
			return tl_seterr(-EIO, "running flow A: %s", strerror(errno));
	on_cpu(reader_cpu);
	st->set = key_set(&flows[0].key);
	if (bpf_map_lookup_elem(st->cache_fd, &st->set, st->sets) ||
	    bpf_map_lookup_elem(st->gens_fd, &zero, st->gens))
		return tl_seterr(-errno, "reading the cache: %s", strerror(errno));
	set = (void *)((char *)st->sets + (size_t)writer_cpu * st->set_stride);
	for (w = 0; w < XDPFLOW_FLOWCACHE_WAYS; w++)
		if (!memcmp(&set->e[w].key, &flows[0].key, sizeof(flows[0].key)) &&
		    set->e[w].counters.packets == STALL_FRAMES)
			break;
	if (w == XDPFLOW_FLOWCACHE_WAYS)
		return tl_seterr(-ENOENT, "flow A is not in a cache entry of CPU %d", writer_cpu);
	st->gi = st->set * XDPFLOW_FLOWCACHE_WAYS + (__u32)w;
	return 0;
}

static void stall_free(struct stall *st)
{
	if (st->cache_fd >= 0)
		close(st->cache_fd);
	if (st->flows_fd >= 0)
		close(st->flows_fd);
	free(st->gens);
	free(st->sets);
}

/* A's packets in one live read, the re-key stalled during the cache's copy (step 0) or after it. */
static int stalled_read(struct stall *st, int step, __u64 *packets)
{
	struct snapshot_tables tables;
	struct tally t = { 0 };
	struct check c = { .t = &t };
	struct snapshot s;
	pthread_t thread;
	bool started = false, copied = false;
	int err;

	*packets = 0;
	err = snapshot_tables_open_current(&xdp.pm, &tables);
	if (err)
		return tl_seterr(err, "opening the tables: %s", strerror(-err));
	if (step == 1) {
		err = snapshot_read(&tables, -1, xdp.ncpus, &s);
		copied = !err;
	}
	if (!err)
		err = stall_word(st, 1);
	if (!err) {
		err = pthread_create(&thread, NULL, finish_rekey, st) ? -EAGAIN : 0;
		started = !err;
	}
	if (!err && step == 0) {
		err = snapshot_read(&tables, -1, xdp.ncpus, &s);
		copied = !err;
	}
	if (!err)
		err = snapshot_walk_flows(&tables, &s, check_record, &c, NULL);
	if (copied)
		snapshot_free(&s);
	if (err)
		tl_seterr(err, "the read: %s", strerror(-err));
	if (started) {
		pthread_join(thread, NULL);
		if (!err && st->err)
			err = tl_seterr(st->err, "emulating the re-key: %s", strerror(-st->err));
	}
	snapshot_tables_close(&tables);
	if (!err && (t.invented || t.doubled || t.mixed))
		err = tl_seterr(-EPROTO, "%s", t.first);
	*packets = c.seen[0] ? c.rec[0].c.packets : 0;
	return err;
}

static void test_stalled_rekey(int step)
{
	struct stall st;
	struct tl_check c;
	__u64 packets = 0;
	int err;

	tl_begin(&c, step ? "live_read_waits_for_a_rekey_stalled_after_the_copy"
			  : "live_read_waits_for_a_rekey_stalled_during_the_copy");
	err = stall_setup(&st);
	if (!err)
		err = stalled_read(&st, step, &packets);
	if (tl_expect(&c, !err, "%s", tl_errmsg()))
		tl_expect_u64(&c, "flow A's packets (all counted before the read began)", packets,
			      STALL_FRAMES);
	stall_free(&st);
	tl_end(&c, "a re-key held up %d ms: flow A read with %llu of its %d frames", STALL_MS,
	       (unsigned long long)packets, STALL_FRAMES);
}

/* Without the words the same reads go wrong, or the experiment proves nothing. */
static void test_control_without_generation_words(void)
{
	struct tally t;
	struct tl_check c;
	int err;

	int rounds = 0;

	tl_begin(&c, "control_without_generation_words_goes_wrong");
	/* On a busy machine a round may find nothing: up to CONTROL_ROUNDS of them. */
	do
		err = run(xdp.pin_dir, true, CONTROL_SECONDS, &t);
	while (!err && ++rounds < CONTROL_ROUNDS && !(t.invented + t.mixed + t.doubled + t.missed));
	if (tl_expect(&c, !err, "%s", tl_errmsg()))
		tl_expect(&c, t.invented + t.mixed + t.doubled + t.missed > 0,
			  "%d rounds of %llu reads without the words found nothing wrong: the "
			  "experiment does not exercise re-keys", rounds, (unsigned long long)t.reads);
	tl_end(&c, "%d s, %llu reads: %llu invented, %llu mixed, %llu counted twice, %llu missing "
	       "frames", CONTROL_SECONDS, (unsigned long long)t.reads,
	       (unsigned long long)t.invented, (unsigned long long)t.mixed,
	       (unsigned long long)t.doubled, (unsigned long long)t.missed);
}

int main(int argc, char **argv)
{
	const char *env = getenv("XDPFLOW_LIVE_READ_SECONDS");
	int seconds = env ? atoi(env) : 10;

	(void)argc;
	tl_init(argv[0]);
	if (geteuid()) {
		tl_skip("live_read", "needs root (CAP_BPF, CAP_SYS_ADMIN)");
		return tl_summary();
	}
	if (libbpf_num_possible_cpus() < 2 || sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		tl_skip("live_read", "needs two CPUs: one writes while the other reads");
		return tl_summary();
	}
	writer_cpu = 0;
	reader_cpu = 1;
	build_flows();
	/* A small table: a read walks every bucket of it, and the test wants many reads. */
	if (tl_xdp_open(&xdp, 1024)) {
		tl_fail("load_xdpflow", "%s", tl_errmsg());
		return tl_summary();
	}
	test_stalled_rekey(0);
	test_stalled_rekey(1);
	test_live_read(seconds > 0 ? seconds : 10);
	test_control_without_generation_words();
	tl_xdp_close(&xdp);
	return tl_summary();
}
