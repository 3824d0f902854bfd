/* SPDX-License-Identifier: GPL-2.0 */
/* loader/: what the xdpflow-loader commands share: their options, interfaces, a folder's pins and XDP state. */
#ifndef XDPFLOW_LOADER_H
#define XDPFLOW_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <net/if.h>
#include <xdp/libxdp.h>
#include "xdpflow.h"

#define LOADER_NAME "xdpflow-loader"
#define XDPFLOW_PROG_NAME "xdpflow"

/* Ranges of --prio and --max-flows. */
#define MAX_PRIO 65535
#define MAX_FLOWS_LIMIT (1u << 24)

struct loader_opts {
	const char *pin_dir;
	const char *obj_path; /* --obj, else found by find_object() */
	enum xdp_attach_mode mode; /* XDP_MODE_UNSPEC: native, else skb */
	int prio; /* -1: the program's own (XDP_RUN_CONFIG) */
	__u32 max_flows; /* 0: the object's default */
	bool require_multiprog;
	bool purge;
	bool group_set;
	gid_t gid;
	unsigned int interval_ms;
	int verbose;
	bool help;
};

/*
 * The whole command line (commands.c): parse it against the tables of
 * commands and options, print --help, or run the command.  Returns the
 * exit status.
 */
int loader_main(int argc, char **argv);

/*
 * Check that the process holds what a command needs (CAP_NET_ADMIN too if
 * it changes interfaces) before doing anything; prints one line naming the
 * missing capabilities.
 */
int require_capabilities(const char *command, bool changes);

/* The error of a failed bpf()/netlink call as one explanation (privileges named). */
const char *explain_errno(int err, char *buf, size_t size);

/* Mount bpffs if needed (saying so); one line and -errno if impossible. */
int ensure_bpffs(const char *dir);

/* Where make install and the Debian package put the object: set by the Makefile. */
#if !defined(XDPFLOW_BPF_DIR) || !defined(XDPFLOW_BPF_SUBDIR)
#error "XDPFLOW_BPF_DIR and XDPFLOW_BPF_SUBDIR are not defined: build with make"
#endif

/* Path of xdpflow.bpf.o: --obj, $XDPFLOW_OBJ, next to the binary, installed. */
int find_object(const struct loader_opts *o, char *path, size_t size);

/* Sleep ms milliseconds, whatever signals arrive meanwhile. */
void sleep_ms(unsigned int ms);

/* ---- interfaces (iface.c) ---- */

struct iface {
	unsigned int ifindex;
	char name[IF_NAMESIZE];
};

/* Every interface of this network namespace, sorted by ifindex. */
int iface_list(struct iface **out, size_t *count);
/* Name or number to an interface; -ENODEV if there is none. */
int iface_resolve(const char *arg, struct iface *ifc);
/*
 * Every name (or number) to an interface, each once, into ifcs (n of them
 * at most); how many, or -ENODEV if one is unknown, said in one line ending
 * with hint (if not NULL) before "nothing changed".
 */
int iface_resolve_all(char **names, int n, struct iface *ifcs, const char *hint);
/* "up", "down" or "no-carrier". */
const char *iface_state(const char *name);
/* Name of ifindex, or "ifindex N" if it is gone. */
const char *iface_name(unsigned int ifindex, char *buf, size_t size);

/* ---- the pins of one folder, as map ids (pinset.c) ---- */

struct pinset {
	__u32 map_id[PIN_MAP_COUNT]; /* 0: no such pin */
	int present; /* how many of the PIN_MAP_COUNT pin names exist */
	int foreign; /* of those, how many hold something other than a map */
	__u32 layout; /* layout version, 0 if no layout pin, PIN_LAYOUT_FOREIGN if not a map */
};

/* Read which pins exist under dir; never fails for missing pins or folder. */
int pinset_read(const char *dir, struct pinset *ps);
static inline bool pinset_complete(const struct pinset *ps)
{
	return ps->present == PIN_MAP_COUNT;
}
/* Does the program prog_id use any of the maps pinned in ps? */
bool prog_uses_pinset(__u32 prog_id, const struct pinset *ps);
/* id of a loaded XDP (or freplace) program using ps's maps, not in except; 0 if none. */
__u32 pinset_user(const struct pinset *ps, const __u32 *except, int n_except);

/*
 * Where the maps program prog_id uses are pinned, for a message: "at DIR",
 * or "nowhere under /sys/fs/bpf (...)"; returns buf.
 */
const char *prog_pins_where(const struct pin_folders *pf, __u32 prog_id, char *buf, size_t size);

/* Lock the pin folder, creating it (0700) first if create is set; fd or -errno. */
int lock_pin_dir(const char *dir, bool create, bool *created);
/* lock_pin_dir()'s error in words. */
const char *lock_error(int err);

/* The kernel frees a detached program after an RCU grace period; wait this long for it. */
#define PROG_RELEASE_WAIT_MS 3000

/* A program using ps's maps, waiting up to PROG_RELEASE_WAIT_MS for one to go; 0: none. */
__u32 pinset_wait_unused(const struct pinset *ps);

/*
 * An attach killed while libbpf pinned the maps, or a purge killed while
 * unpinning them, leaves some of the pins but not all.  No reader can open
 * such a set (pin_open() needs every pin) and an attach would mix old maps
 * with new ones, so when no program uses them they go, but only if they
 * hold no counts: those (a killed purge, a pin removed by hand) are
 * discarded by detach --purge alone, never behind the operator's back.
 * -EEXIST (and no message) when kept for that reason or because a program
 * still uses them.
 */
int pinset_drop_incomplete(const char *dir, struct pinset *ps);

/* ---- the XDP programs of one interface (xdpstate.c) ---- */

enum owner {
	OWNER_NONE, /* no xdpflow program */
	OWNER_OURS, /* xdpflow using the pins of the folder asked about */
	OWNER_OTHER_PINS, /* xdpflow with other maps */
};

/* The open file descriptors at some moment (see fd_snapshot()). */
struct fd_snapshot {
	unsigned long open[1024 / (8 * sizeof(unsigned long))];
};

/*
 * libxdp 1.3 leaks the program fds it opens by id (xdp_program__from_id()
 * duplicates the fd and never closes the original).  A leaked fd keeps a
 * detached program, and so its maps, alive while we run, which would make
 * a purge think the pins are still in use.  Take a snapshot before using
 * libxdp and, once every libxdp object is closed, close the BPF program and
 * link fds opened since: nothing of ours holds one past that point.
 */
void fd_snapshot(struct fd_snapshot *snap);
void fd_close_leaked_bpf(const struct fd_snapshot *snap);

struct xdp_state {
	struct fd_snapshot fds; /* before reading: see fd_snapshot() */
	struct xdp_multiprog *mp; /* NULL: no XDP program */
	bool legacy; /* a program without libxdp's dispatcher */
	enum xdp_attach_mode mode;
	int count; /* programs in the chain (1 when legacy) */
	struct xdp_program *xdpflow; /* in mp, not owned; NULL if none */
	enum owner owner;
	int position; /* 1-based position of xdpflow in the chain */
};

/* What runs on ifindex, and whether an xdpflow program there uses ps. */
int xdp_state_read(int ifindex, const struct pinset *ps, struct xdp_state *st);
void xdp_state_free(struct xdp_state *st);
const char *mode_name(enum xdp_attach_mode mode);
/*
 * Remove the xdpflow program st found on ifindex, and nothing else; then
 * restore what offload_split() turned off there.
 */
int xdp_state_detach_ours(int ifindex, struct xdp_state *st);

/*
 * skb (generic) mode runs the program after the kernel merged frames: GRO
 * on the interface, and a veth peer's GSO (its sender's large segments
 * pass through whole).  offload_split() turns both off for as long as
 * xdpflow is attached there (one line says so) and records what it changed
 * under /run/xdpflow/offload; offload_restore() puts that back.  Hardware
 * GRO and LRO the kernel itself turns off for skb mode.
 */
int offload_split(const struct iface *ifc);
void offload_restore(unsigned int ifindex);
/* Where program prog_id is attached in this namespace ("on eth0") in buf; false if nowhere. */
bool xdp_prog_whereabouts(__u32 prog_id, char *buf, size_t size);
/* Every interface of this namespace running xdpflow with ps's maps (*out to free()). */
int ifaces_running_ours(const struct pinset *ps, struct iface **out, int *count);

/* ---- commands: 0, -errno (exit 1, said), or EXIT_USAGE (exit 2, said) ---- */

int cmd_attach(const struct loader_opts *o, char **ifaces, int n);
int cmd_detach(const struct loader_opts *o, char **ifaces, int n);
int cmd_clean(const struct loader_opts *o, char **ifaces, int n);
int cmd_status(const struct loader_opts *o, char **args, int nargs);
int cmd_list(const struct loader_opts *o, char **args, int nargs);
int cmd_run(const struct loader_opts *o, char **args, int nargs);

/* How xdpflow runs on one interface after attach_ifaces(). */
struct attach_result {
	bool attached; /* by this call */
	bool already; /* it was there before */
	bool legacy; /* single program, no dispatcher */
	enum xdp_attach_mode mode;
	int position, count; /* in the dispatcher's chain */
	unsigned int prio;
	__u32 prog_id;
};

/*
 * Attach xdpflow to every interface (already resolved), all or nothing,
 * under the pin folder's lock; res has n entries.  Used by attach and run.
 */
int attach_ifaces(const struct loader_opts *o, const struct iface *ifcs, int n,
		  struct attach_result *res);
/* Detach ours from each interface (n == 0: from every one), then purge if asked. */
int detach_ifaces(const struct loader_opts *o, const struct iface *ifcs, int n);

#endif /* XDPFLOW_LOADER_H */
