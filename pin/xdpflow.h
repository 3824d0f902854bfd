/* SPDX-License-Identifier: GPL-2.0 */
/* libxdpflow (pin/): the one public header of the library both tools and the C tests link. */
#ifndef XDPFLOW_H
#define XDPFLOW_H

/*
 * What pin/ holds, file by file (docs/DESIGN.md, "The tree"):
 *   pins.c     pin names and paths, the bpf filesystem, the folder's lock,
 *              modes, unpinning
 *   open.c     opening a folder's pins and checking them against this
 *              build's layout (pin_open)
 *   object.c   pointing an object's maps at the pins before a load
 *   discover.c where xdpflow's maps are pinned: the bpf filesystem walked
 *   tables.c   the tables behind the outer maps: the current ones, fresh
 *              ones for a drain, whether any holds counts
 *   pending.c  pending drains: the tables a drain took out of service,
 *              pinned under DIR/pending/ID until their report is delivered
 *   read.c     one read of the tables: per-CPU sums, the flow cache merged
 *              into the flow table (the snapshot_* functions)
 *   clock.c    flow times (jiffies) to wall-clock time
 *   sources.c  the sources view: flows summed by interface and source
 *   names.c    interface and IP protocol names
 *   cmdline.c  command lines from a table of options (parsing and --help),
 *              and the default pin folder
 *   log.c      the tools' messages, and libbpf's and libxdp's log
 *   version.c  what --version prints
 *   keyhash.c, topn.c   the hash and the ranking the reads and views use
 * The map ABI itself is xdpflow_abi.h, shared with the XDP program.
 */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <sys/types.h>
#include <linux/types.h>
#include "xdpflow_abi.h"

/* ===================================================================== */
/* Pins: paths, opening and checking, locking, unpinning (pins.c, open.c, */
/* object.c, tables.c)                                                   */
/* ===================================================================== */

#define XDPFLOW_BPFFS "/sys/fs/bpf"
#define XDPFLOW_DEFAULT_PIN_PATH XDPFLOW_BPFFS "/xdpflow"
/* The environment variable that names the pin folder when no --pin-path is given. */
#define XDPFLOW_PIN_PATH_ENV "XDPFLOW_PIN_PATH"

/*
 * The pin folder when none is named, both tools' default (cmdline.c):
 * $XDPFLOW_PIN_PATH if set and not empty, else XDPFLOW_DEFAULT_PIN_PATH.
 */
const char *pin_path_default(void);

enum pin_map_id {
	PIN_LAYOUT,
	PIN_STATS, /* outer map: slot 0 holds the current per-CPU stats array */
	PIN_FLOWS, /* outer map: slot 0 holds the current flow hash table */
	PIN_FLOWCACHE, /* outer map: slot 0 holds the current per-CPU flow cache */
	PIN_REFUSED, /* outer map: slot 0 holds the current table of refused frames */
	PIN_FLOWCACHE_GEN, /* the flow cache's generation words (not swapped) */
	PIN_CLOCK,
	PIN_MAP_COUNT,
};

/* The pinned maps of one pin folder, opened and checked by pin_open(). */
struct pin_maps {
	char dir[PATH_MAX];
	int fd[PIN_MAP_COUNT];
	bool writable;
	__u32 max_flows; /* capacity of the flow table in use */
	int ncpus; /* possible CPUs: the number of values of a per-CPU map */
};

struct bpf_object;

/* Pin name of a map, e.g. "xdpflow_flows". */
const char *pin_map_name(enum pin_map_id id);

/* dir/name of a map's pin; -ENAMETOOLONG if it does not fit. */
int pin_map_path(const char *dir, enum pin_map_id id, char *buf, size_t size);

/*
 * Make sure the bpf filesystem that will hold dir is mounted at
 * /sys/fs/bpf.  If it is not and mount_it is set, mount it and set
 * *mounted.  -ENODEV when it is not mounted (and mount_it is false),
 * -EXDEV when it is not and this mount namespace is not the system's
 * (pin_mount_ns_private(): nothing mounted), -errno of mount(2) when
 * mounting failed.
 */
int pin_bpffs_ensure(const char *dir, bool mount_it, bool *mounted);

/*
 * Does this process run in a mount namespace of its own, not PID 1's (or,
 * where PID 1's cannot be looked at, not its parent's)?  'ip netns exec'
 * makes one and mounts a fresh /sys there, without the bpf filesystem: a
 * bpffs mounted there vanishes when the command ends, its pins with it.
 * False when neither can be looked at.
 */
bool pin_mount_ns_private(void);

/* What to say in that case (after "no bpf filesystem at /sys/fs/bpf in this mount namespace"). */
#define PIN_PRIVATE_NS_HINT                                                                    \
	"which is not the system's (as under 'ip netns exec', which remounts /sys without it): " \
	"pins made here would vanish with this command; run it as "                             \
	"'nsenter --net=/run/netns/NS COMMAND' instead, which keeps the system's /sys"

/*
 * Before loading xdpflow.bpf.o: pin every map by name under dir (creating
 * it 0700) and size the flow table (0: keep the default).  Refuses with
 * -EPROTO and a message if dir holds pins of another layout version.
 */
int pin_prepare_object(struct bpf_object *obj, const char *dir, __u32 max_flows,
		       char *msg, size_t msglen);

/*
 * Open every pinned map under dir, read-only unless writable, and check the
 * layout version and every key/value size against this build.  On error a
 * one-line explanation naming the pin and the way out is put in msg
 * (without a newline) and -errno returned: -ENOENT no folder or no pins,
 * -EPROTO layout mismatch, -EPERM/-EACCES privilege, -ENODEV no bpffs.
 */
int pin_open(const char *dir, bool writable, struct pin_maps *pm, char *msg, size_t msglen);
void pin_close(struct pin_maps *pm);

/*
 * A new fd for the table in slot 0 of an outer map (PIN_STATS, PIN_FLOWS,
 * PIN_FLOWCACHE or PIN_REFUSED), read-only unless pm is writable; -errno on
 * failure.
 * Needs CAP_SYS_ADMIN (BPF_MAP_GET_FD_BY_ID).
 */
int pin_open_current(const struct pin_maps *pm, enum pin_map_id outer);

/*
 * An empty table shaped like the table fd: type, sizes, flags and BTF (an
 * outer map takes it in place of fd's).  The new table's fd, or -errno.
 */
int pin_table_like(int fd);

/*
 * Drain, step 1: an empty table of the same type, sizes, flags and name as
 * the one in slot 0 of the outer map; *cur gets an fd of that current
 * table.  Returns the new table's fd, or -errno (-EPERM unless pm is
 * writable) with nothing open.
 */
int pin_fresh_table(const struct pin_maps *pm, enum pin_map_id outer, int *cur);

/*
 * Drain, step 2: put table into slot 0 of the outer map.  The kernel
 * returns from the update only after an RCU grace period, so once this
 * returns no XDP program writes the table it replaced any more: whatever
 * that holds is final.  Callers hold pin_lock(); 0 or -errno.
 */
int pin_install_table(const struct pin_maps *pm, enum pin_map_id outer, int table);

/* Exclusive advisory lock on the pin folder (loaders, drains); fd or -errno. */
int pin_lock(const char *dir);
/* The same lock, shared: live reads, which drains wait for (and which wait for drains). */
int pin_lock_shared(const char *dir);
void pin_unlock(int lock_fd);

/* pin_probe_layout()'s version when something other than a layout map holds the name. */
#define PIN_LAYOUT_FOREIGN ((__u32)-1)

/*
 * Layout version of the pins in dir: 0 in *version when there are none,
 * PIN_LAYOUT_FOREIGN when the layout pin is not an array map (a program,
 * a folder...).  -errno only when the folder cannot be inspected.
 */
int pin_probe_layout(const char *dir, __u32 *version);

/* Is fd a BPF map (rather than a program or link opened from a pin)? */
bool pin_fd_is_map(int fd);

/*
 * Do the tables pinned in dir hold any counts?  Works on an incomplete set
 * and on any layout version, so the loader never discards counts by
 * itself; 1 yes, 0 no, -errno.  Needs CAP_SYS_ADMIN (BPF_MAP_GET_FD_BY_ID).
 */
int pin_holds_counts(const char *dir);

/*
 * Unpin every xdpflow map in dir; the folder stays (a caller may hold its
 * lock).  Something else at one of the names (a program, a folder) stays too.
 */
int pin_unpin_maps(const char *dir);

/* Unpin every xdpflow map in dir and remove dir if it is then empty. */
int pin_remove_all(const char *dir);

/*
 * Access to the pins and the folder: 0600/0700 for root only, or with a
 * group (gid != (gid_t)-1) 0640/0750 and that group.
 */
int pin_set_access(const char *dir, gid_t gid);

/*
 * Where xdpflow's maps are pinned (discover.c), as `bpftool -f map show`
 * finds pins: by walking the bpf filesystem at /sys/fs/bpf, here only to
 * the files named as xdpflow's maps that programs use (not the layout
 * pin), at most 8 folders deep and 20000 entries (truncated set when it
 * stopped there).  One entry per such pinned map: its id and folder,
 * sorted by folder.
 */
struct pin_found {
	__u32 map_id;
	char *dir;
};

struct pin_folders {
	struct pin_found *v;
	size_t n, cap;
	bool truncated;
};

/* Walk /sys/fs/bpf (nothing found without a bpf filesystem there); 0 or -ENOMEM. */
int pin_folders_find(struct pin_folders *f);
void pin_folders_free(struct pin_folders *f);

/* The folder where program prog_id's maps are pinned (one of f's), or NULL if none is. */
const char *pin_folders_of_prog(const struct pin_folders *f, __u32 prog_id);

/*
 * The folders of f other than except (NULL: all), each once, as "A, B"
 * into buf, the first max of them ("A, B and 3 more"); returns how many.
 */
size_t pin_folders_list(const struct pin_folders *f, const char *except, size_t max, char *buf,
			size_t size);

/*
 * The ids of the maps program prog_id uses (at most max of them, as the
 * kernel lists them in its program info), and its type if type is not
 * NULL; how many, or -errno.
 */
int pin_prog_map_ids(__u32 prog_id, __u32 *ids, __u32 max, __u32 *type);

/* ===================================================================== */
/* Utilities of the reads and views (keyhash.c, topn.c)                  */
/* ===================================================================== */

/*
 * Keys are compared as bytes, so callers zero any padding.  Values start
 * zeroed and are 8-byte aligned.  Entries are never removed one by one
 * (the reader only adds up), which keeps linear probing simple.
 */
struct keyhash {
	size_t key_size;
	size_t value_off; /* key rounded up to 8 */
	size_t entry_size;
	size_t n; /* entries in use */
	size_t cap; /* a power of two */
	unsigned char *entries;
	unsigned char *used;
};

int keyhash_init(struct keyhash *h, size_t key_size, size_t value_size, size_t expected);
void keyhash_free(struct keyhash *h);
/* Forget every entry, keep the memory. */
void keyhash_clear(struct keyhash *h);

/* The value stored under key, or NULL. */
void *keyhash_get(const struct keyhash *h, const void *key);

/* The value under key, inserted zeroed (*created set) if absent; NULL when out of memory. */
void *keyhash_put(struct keyhash *h, const void *key, bool *created);

/*
 * Iterate: start with *pos = 0; returns the next value and sets *key,
 * NULL at the end.  No insertions while iterating.
 */
void *keyhash_next(const struct keyhash *h, size_t *pos, const void **key);

uint64_t keyhash_hash(const void *key, size_t len);

/* <0 when a ranks below b, >0 above; never 0 for distinct rows (tie-break on the key). */
typedef int (*topn_cmp)(const void *a, const void *b);

struct topn {
	size_t limit; /* 0: keep every row */
	size_t n, alloc;
	size_t elem_size;
	topn_cmp cmp;
	unsigned char *v; /* while pushing, a min-heap when limit is set: v[0] ranks lowest */
	unsigned char *tmp;
};

int topn_init(struct topn *t, size_t limit, size_t elem_size, topn_cmp cmp);
void topn_free(struct topn *t);

/* Offer a row; kept if it ranks among the limit highest so far.  -ENOMEM. */
int topn_push(struct topn *t, const void *elem);

/* Sort what was kept, highest first; then rows are topn_at(t, 0..n-1). */
void topn_finish(struct topn *t);

static inline void *topn_at(const struct topn *t, size_t i)
{
	return t->v + i * t->elem_size;
}

/* ===================================================================== */
/* Flow times (clock.c)                                                  */
/* ===================================================================== */

/*
 * Flow times are jiffies; every CPU's anchors pair a jiffy with the
 * CLOCK_MONOTONIC time the program saw in it (xdpflow_abi.h).  A time
 * between two anchors is interpolated between them: each anchor's time
 * lies less than a tick (plus any lag of the kernel's jiffies update)
 * after the start of its jiffy, so does every point on the line between
 * two anchors, and a flow time reported so is less than a tick from the
 * frame's arrival, whatever HZ is and however long ago.  Only times past
 * the newest anchor (a frame counted while the maps were read) or before
 * the oldest need the tick length: the kernel's CONFIG_HZ where its
 * configuration can be read, else the anchors' rate snapped to an HZ a
 * kernel can have, else FLOW_CLOCK_FALLBACK_HZ (all anchors in one jiffy).
 */
#define FLOW_CLOCK_FALLBACK_HZ 250
/* At most this many anchors are kept (both ends, evenly between); 2 per CPU come. */
#define FLOW_CLOCK_POINTS 64

struct flow_clock_point {
	uint64_t jiffies;
	int64_t wall_ns; /* ns since the epoch, no later than any later point's */
};

struct flow_clock {
	bool valid; /* some CPU recorded an anchor (one that fits int64 nanoseconds) */
	unsigned int hz; /* the kernel's, or snapped from the anchors; 0: measured */
	uint64_t tick_num; /* a jiffy is tick_num / tick_den ns (TICK_NSEC of hz when known) */
	uint64_t tick_den;
	unsigned int n;
	struct flow_clock_point p[FLOW_CLOCK_POINTS]; /* ascending, one per jiffy */
};

/*
 * From the per-CPU anchors (n of them), the kernel's HZ (0: unknown) and
 * a reading of CLOCK_MONOTONIC and CLOCK_REALTIME taken together.
 * 0, or -ENOMEM.
 */
int flow_clock_from_anchors(const struct xdpflow_clock_anchor *a, int n, unsigned int kernel_hz,
			    int64_t mono_now_ns, int64_t real_now_ns, struct flow_clock *clk);

/* The kernel's TICK_NSEC at HZ hz: the CLOCK_MONOTONIC nanoseconds of one jiffy. */
uint64_t flow_clock_tick_ns(unsigned int hz);

/* The running kernel's CONFIG_HZ (/boot/config-RELEASE, /proc/config.gz), 0 if unreadable. */
unsigned int kernel_config_hz(void);

/* A clock's time now in nanoseconds (CLOCK_MONOTONIC, CLOCK_REALTIME). */
int64_t clock_now_ns(clockid_t clock);

/* CLOCK_MONOTONIC and CLOCK_REALTIME read together (the tightest of a few tries). */
void clock_pair_ns(int64_t *mono, int64_t *real);

/* The wall-clock time (ns since the epoch) of a flow time: never decreasing in jiffies. */
int64_t flow_clock_wall_ns(const struct flow_clock *clk, uint64_t jiffies);

/*
 * "2026-11-26T16:39:00.123Z" (UTC, milliseconds truncated) into buf of at
 * least 25 bytes; returns the length.
 */
size_t format_utc_ms(int64_t wall_ns, char *buf);

/* ===================================================================== */
/* One read of the maps (read.c, and tables.c for the current tables)   */
/* ===================================================================== */

/*
 * The tables one read (or one drain) works on.  Normally the ones currently
 * in the outer maps' slot 0, with the cache's generation words and the pin
 * folder's lock held shared (snapshot_tables_open_current): a live read.
 * A drain passes the tables it just swapped out, whose contents are final,
 * with fgen_fd and lock_fd -1.
 */
struct snapshot_tables {
	int stats_fd;
	int flows_fd;
	int fcache_fd;
	int refused_fd;
	int fgen_fd; /* a live read: XDPFLOW_MAP_FLOWCACHE_GEN (not owned); -1: final tables */
	int lock_fd; /* the pin folder, locked shared; -1: none */
};

int snapshot_tables_open_current(const struct pin_maps *pm, struct snapshot_tables *t);
void snapshot_tables_close(struct snapshot_tables *t);
/* Every fd of t -1: no tables (final ones are filled in by their opener). */
void snapshot_tables_none(struct snapshot_tables *t);

/*
 * The kernel's ids of the three tables.  A drain swaps fresh tables in,
 * so ids that differ from an earlier read's mean the counts were reset
 * in between (--watch's rates restart).
 */
struct snapshot_table_ids {
	__u32 stats, flows, fcache;
};

int snapshot_tables_ids(const struct snapshot_tables *t, struct snapshot_table_ids *ids);

/* Counters of one interface, summed over every CPU and slot. */
struct iface_counts {
	__u32 ifindex; /* XDPFLOW_IFINDEX_OTHER for the "other interfaces" slot */
	__u32 pad;
	struct xdpflow_counter non_ip;
	struct xdpflow_counter malformed;
	/* IP frames whose flow the full table refused: in no flow, in proto[] */
	struct xdpflow_counter unrecorded;
	/*
	 * The interface's flows by family and protocol, plus its refused
	 * frames: complete once snapshot_walk_flows() walked the flows (the
	 * snapshot's walked), only the refused frames before.
	 */
	struct xdpflow_counter proto[2][256];
};

struct iface_set {
	struct iface_counts *v; /* sorted by ifindex once read */
	size_t n, cap;
};

/* One flow: its table entry and its cache entries on every CPU, merged. */
struct flow_record {
	struct xdpflow_flow_key key;
	struct xdpflow_flow_counters c;
};

/* A flow's cache entries, merged; each entry's own copy is in flow_cache.e. */
struct cached_flow {
	struct xdpflow_flow_counters c;
	__u32 first; /* its first entry in flow_cache.e */
	__u32 entries; /* how many (at most one per CPU) */
	bool merged; /* matched a table entry during the current walk */
};

/*
 * The flow caches of every CPU, merged by key, with what a live read needs
 * to tell each entry's counts from the table's: the generation word each
 * entry had when it was copied, and copies of every CPU's words.
 */
struct flow_cache {
	struct keyhash h; /* struct xdpflow_flow_key -> struct cached_flow */
	struct cache_entry *e; /* every entry copied (pin/read.c) */
	size_t n, cap;
	bool live; /* a live read: the program may still change the entries */
	int fd, fgen_fd;
	__u32 *prev, *cur, *before, *after; /* copies of the words, ncpus x ENTRIES each */
	/* What the live read had to do (for tests and -v). */
	__u64 torn_left; /* entries still torn after a second of copies, left out */
	__u64 rereads; /* single reads of a flow's table entry */
	__u64 unresolved; /* flows whose entries stayed undecided, left out */
};

/* Everything but the flows themselves, which are streamed. */
struct snapshot {
	int ncpus;
	struct iface_set ifaces;
	struct flow_cache cache;
	struct flow_clock clock;
	__u32 flow_capacity;
	bool walked; /* a walk completed: ifaces' protocol counts are complete */
};

static inline void counter_add(struct xdpflow_counter *a, const struct xdpflow_counter *b)
{
	a->packets += b->packets;
	a->bytes += b->bytes;
}

/* The IP frames of an interface: every protocol of both families (walked snapshots). */
struct xdpflow_counter iface_counts_ip(const struct iface_counts *ic);
/* Every frame of an interface: non-IP + malformed + IP (docs/DESIGN.md, counting rules). */
struct xdpflow_counter iface_counts_total(const struct iface_counts *ic);

/* Add b into a the way a flow-cache entry merges into its table entry. */
void flow_counters_merge(struct xdpflow_flow_counters *a, const struct xdpflow_flow_counters *b);

/*
 * The read, the same for every reader of the maps (xdpflow-reader, a
 * drain's report, the loader's run and status; docs/DESIGN.md, "Live
 * reads"): snapshot_read() reads the stats and the refused frames (which
 * never hold what the cache or the table hold), then the flow cache,
 * keeping each entry's generation word; snapshot_walk_flows() then walks
 * the flow table and hands over every flow once, each table entry merged
 * with exactly those cache entries whose counts it does not hold yet.  In
 * a live read, an entry the program moved into the table while the read
 * ran is told apart by its generation word, so no frame counted before
 * the read began is counted twice or missed, and a copy of an entry the
 * program was re-keying is never used (no invented flow, no mixed record).
 * A drain reads tables nothing writes any more.
 *
 * snapshot_stall_wait_ns: how long a live read waits for a CPU held up
 * inside a re-key (default a second; tests of made-up words set it lower).
 *
 * snapshot_read: the stats, the refused frames, the flow cache and the
 * clock anchors (clock_fd < 0: none).  Protocol counts are complete only
 * after a walk.  -errno on failure.
 */
extern int64_t snapshot_stall_wait_ns;
int snapshot_read(const struct snapshot_tables *t, int clock_fd, int ncpus, struct snapshot *s);
void snapshot_free(struct snapshot *s);

/* The interface's counts, or NULL. */
const struct iface_counts *snapshot_iface(const struct snapshot *s, __u32 ifindex);

/*
 * The current tables of pm, opened (snapshot_tables_open_current) and read
 * (snapshot_read, with the clock anchors if with_clock).  On success both
 * stay open for walks until snapshot_release(); on error nothing is.
 */
int snapshot_take(const struct pin_maps *pm, bool with_clock, struct snapshot_tables *t,
		  struct snapshot *s);
void snapshot_release(struct snapshot_tables *t, struct snapshot *s);

/* What one walk handed over. */
struct walk_counts {
	__u64 table_entries; /* entries read from the flow table */
	__u64 flows; /* flows handed over: the flows the read returns */
	__u64 cache_only; /* of those, flows in no table entry yet (only in caches) */
};

/*
 * Stream every flow once: the table's entries merged with their cache
 * entries, then the flows found only in the caches.  The first walk of a
 * snapshot also completes its protocol counts.  fn (may be NULL) returning
 * non-zero stops the walk with that value.  wc (may be NULL) gets the
 * counts.  May be called more than once per snapshot.
 */
typedef int (*flow_fn)(const struct flow_record *flow, void *ctx);
int snapshot_walk_flows(const struct snapshot_tables *t, struct snapshot *s, flow_fn fn, void *ctx,
			struct walk_counts *wc);

/* Building blocks, exposed for drains and tests. */
int snapshot_read_stats(int stats_fd, int ncpus, struct iface_set *out);
int snapshot_read_refused(int refused_fd, struct iface_set *out);
/* fgen_fd < 0: final tables, no generation words. */
int snapshot_read_flowcache(int fcache_fd, int fgen_fd, int ncpus, struct flow_cache *out);
void flow_cache_free(struct flow_cache *fc);
int snapshot_read_clock(int clock_fd, int ncpus, struct flow_clock *clk);
struct iface_counts *iface_set_get(struct iface_set *s, __u32 ifindex);
void iface_set_free(struct iface_set *s);

/* ===================================================================== */
/* Pending drains (pending.c)                                            */
/* ===================================================================== */

/*
 * Crash-safe drains (docs/DESIGN.md, "Exactly-once drains").  Before a
 * drain takes its tables out of service it pins them, with a record of its
 * own, under DIR/pending/ID/ (ID: the drain's, increasing); the record
 * goes only once the drain's report is delivered.  So the counts outlive
 * the process that drained them: the next drain, by any process, delivers
 * what is pending first, oldest first.  A record holds an "info" map (struct
 * pending_info: what was done with it) and the tables under their outer
 * map's pin name.  DIR/pending/last_id holds the last drain ID handed out.
 */
#define PENDING_FOLDER "pending"
#define PENDING_TABLES 4

/* The tables a drain takes out of service, in the order it does so. */
extern const enum pin_map_id pending_tables[PENDING_TABLES];

/* Delivery marks (pending_info.delivered). */
#define PENDING_PRINTED (1u << 0) /* the report went to stdout or --output FILE */
#define PENDING_IPFIX_SENT (1u << 1) /* every flow went to the collector */

struct pending_info {
	__u64 id; /* the drain ID: above every earlier one, at least the time in microseconds */
	__s64 wall_ns; /* when the drain took its tables (CLOCK_REALTIME) */
	__u32 swapped; /* tables taken out of service so far, in pending_tables[] order */
	__u32 delivered; /* PENDING_* marks */
	__u64 ipfix_stream; /* the collector and domain its export began on (a hash; 0: none) */
	__u64 ipfix_sent; /* flow records confirmed sent there, in walk order */
	__u32 ipfix_seq0; /* the IPFIX sequence number of its first record there */
	__u32 pad;
};

struct pending {
	char dir[PATH_MAX]; /* the pin folder */
	int info_fd; /* the record's info map (-1: none) */
	struct pending_info info;
};

/* The fd field of t that holds outer's table (NULL for a map that is not an outer map). */
int *snapshot_tables_slot(struct snapshot_tables *t, enum pin_map_id outer);

/*
 * Exclusive lock on DIR/pending (made 0700 if create): one drain at a time
 * delivers and drains.  Taken before the pin folder's own lock, never
 * inside it.  fd or -errno (-ENOENT: no such folder and !create).
 */
int pending_lock(const char *dir, bool create);

/* The IDs of the records pending in dir, oldest first (*ids malloc'ed); 0 or -errno. */
int pending_list(const char *dir, __u64 **ids, size_t *n);

/*
 * A new record for the tables about to leave service (the current ones,
 * opened writable): the next drain ID, the time, and every table pinned.
 * The caller then takes them out of service, saving info.swapped after
 * each.  0 or -errno (a half-made record is settled by the next drain).
 */
int pending_create(const char *dir, const struct snapshot_tables *out_of_service,
		   struct pending *p);

/* Open a record and its tables (read-only); a table it lacks is -1 in *t. */
int pending_open(const char *dir, __u64 id, struct pending *p, struct snapshot_tables *t);

/*
 * A record whose drain stopped before it took every table out of service:
 * the tables still in service (or never pinned) are replaced in *t by
 * empty ones (they count on for the next drain, exactly as a half-done
 * swap leaves them), and an RCU grace period is waited for, so that what
 * the record holds is final.  pm opened writable, under pin_lock().
 */
int pending_settle(const struct pin_maps *pm, struct pending *p, struct snapshot_tables *t);

/* Write p->info back into its record. */
int pending_save(const struct pending *p);
void pending_close(struct pending *p);

/* Delivered: unpin the record's tables and remove it. */
int pending_forget(const char *dir, __u64 id);

/* No record pending: remove DIR/pending and its counter; -ENOTEMPTY if records remain. */
int pending_remove_empty(const char *dir);

/* ===================================================================== */
/* The sources view: flows summed by interface and source (sources.c)   */
/* ===================================================================== */

/*
 * Sources are derived from the flows (no map counts them): every flow a
 * walk hands over adds its packets and bytes to its (interface, VLANs,
 * family, source address).  The VLANs split sources as they split flows:
 * on a trunk, one address on two VLANs is two hosts (tenants may reuse
 * address space).  Both tools show them the same way.
 */
struct source_key {
	__u32 ifindex;
	__u16 vlan_outer; /* as in the flow key */
	__u16 vlan_inner;
	__u8 family; /* 4 or 6 */
	__u8 pad[3];
	__u8 addr[16]; /* as in the flow key */
};

struct source_counts {
	__u64 packets;
	__u64 bytes;
	__u64 flows;
};

/* One source and its sums: what a sources view ranks. */
struct source_entry {
	struct source_key k;
	struct source_counts c;
};

struct source_set {
	struct keyhash h; /* struct source_key -> struct source_counts */
};

int source_set_init(struct source_set *s);
void source_set_free(struct source_set *s);
/* Add one flow to its source; -ENOMEM. */
int source_set_add(struct source_set *s, const struct flow_record *f);
static inline size_t source_set_size(const struct source_set *s)
{
	return s->h.n;
}
/* Iterate: start with *pos = 0; NULL at the end. */
const struct source_counts *source_set_next(const struct source_set *s, size_t *pos,
					    const struct source_key **key);

/*
 * topn_cmp orders of struct source_entry (or of a row that starts with
 * one): by packets then bytes, or by bytes then packets; among equal
 * counts the lower interface, family and address rank higher.
 */
int source_rank_packets(const void *a, const void *b);
int source_rank_bytes(const void *a, const void *b);

/* ===================================================================== */
/* Names (names.c)                                                       */
/* ===================================================================== */

/*
 * Name of an interface: "other" for the shared slot of interfaces beyond
 * the first 16, NULL when no interface has that index any more.  Cached
 * per process (one lookup per interface, not per flow).
 */
const char *ifname_of(__u32 ifindex);

/* Forget cached interface names (each --watch round looks again). */
void ifname_cache_reset(void);

/* Name of an IP protocol from /etc/protocols ("tcp", "ipv6-icmp"), or NULL. */
const char *proto_name(__u8 proto);

/*
 * The VLANs of a flow or source for people: "-" untagged, "300", or
 * "300.10" for QinQ (outer.inner, as Linux names stacked VLAN devices),
 * from the IDs in network byte order as keys hold them; buf of
 * VLAN_STR_LEN.  Returns buf or the literal "-".
 */
#define VLAN_STR_LEN 12
#define VLAN_CELL_ONE 4 /* the widest: "4095" */
#define VLAN_CELL_QINQ 9 /* "4095.4095" */
const char *vlan_str(__u16 outer, __u16 inner, char *buf);

/* ===================================================================== */
/* Command lines: a table of options for parsing and --help (cmdline.c) */
/* ===================================================================== */

/*
 * One row per option says its names, its value, which commands take it,
 * its help and how it is stored, so parsing and --help come from the same
 * rows and cannot disagree (the way xdp-tools' params.h does it).  Most
 * options are stored by kind (a flag, a count, the value's text) at an
 * offset in the tool's options; the others by a set function that checks
 * the value.
 */
/* Both tools' exit status: 0 success, 1 failure, this for a usage error. */
#define EXIT_USAGE 2

enum cl_store {
	CL_CUSTOM, /* set() */
	CL_TRUE, /* bool at field: true */
	CL_COUNT, /* int at field: one more each time (-v -v) */
	CL_TEXT, /* const char * at field: the value as written */
};

struct cl_option {
	const char *name; /* long name, without "--" */
	int letter; /* short option letter, 0: none */
	const char *arg; /* its value's name in --help ("DIR"); NULL: a flag */
	const char *help; /* lines of --help, separated by '\n' */
	unsigned int commands; /* the commands (bits) that take it; 0: every one */
	int section; /* which heading of --help lists it */
	enum cl_store store;
	size_t field; /* offsetof() in the tool's options, unless CL_CUSTOM */
	/* CL_CUSTOM: store arg (NULL for a flag) into the tool's options: 0, or cl_error(). */
	int (*set)(void *opts, const char *arg, char *err, size_t errlen);
};

/*
 * Parse argv with getopt_long, calling each row's set().  in_order stops
 * at the first operand (a command's arguments), else operands may come
 * between options.  Returns the index of the first operand, or with a
 * one-line reason in err: -ENOENT when the command line does not fit the
 * table (an unknown option, a missing value, an option of another
 * command), or set()'s own error (-EINVAL) when it refused a value.
 */
int cl_parse(const struct cl_option *table, size_t n, unsigned int command, bool in_order,
	     int argc, char **argv, void *opts, char *err, size_t errlen);

/* The rows of section that command takes, as "  -p, --pin-path DIR  help" lines. */
void cl_print_options(FILE *f, const struct cl_option *table, size_t n, unsigned int command,
		      int section, int column);

/* A usage error's reason, made one printable line (arguments are echoed); returns -EINVAL. */
int cl_error(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ===================================================================== */
/* Messages (log.c)                                                      */
/* ===================================================================== */

/*
 * Both tools speak through these: one line on stderr per message, starting
 * with the tool's name.  Errors, warnings and notes are always printed;
 * say_verbose() only with -v.  libbpf's and libxdp's own log follows one
 * rule: nothing without -v (a failure is ours to report, in one line that
 * says what to do), warnings and information with -v, debug with -vv.
 */
void say_init(const char *tool_name, int verbose);
int say_verbosity(void);

enum say_kind {
	SAY_ERROR,
	SAY_WARNING, /* "warning: " after the tool's name */
	SAY_NOTE,
	SAY_VERBOSE, /* only with -v */
};

void say(enum say_kind kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define say_error(...) say(SAY_ERROR, __VA_ARGS__)
#define say_warning(...) say(SAY_WARNING, __VA_ARGS__)
#define say_note(...) say(SAY_NOTE, __VA_ARGS__)
#define say_verbose(...) say(SAY_VERBOSE, __VA_ARGS__)

/* ===================================================================== */
/* Version (version.c)                                                   */
/* ===================================================================== */

/*
 * --version of both tools, one line: "TOOL VERSION (map layout version N,
 * libbpf X.Y, libxdp X.Y.Z)", libbpf's as loaded now, libxdp's as built
 * against (libxdp has no call that says its version).
 */
void print_version(FILE *f, const char *tool);

#endif /* XDPFLOW_H */
