/* SPDX-License-Identifier: GPL-2.0 */
/* pin/: the one place that knows pin paths, map names, the layout version and how to open pinned maps. */
#ifndef XDPFLOW_PIN_H
#define XDPFLOW_PIN_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include "xdpflow_abi.h"

#define XDPFLOW_BPFFS "/sys/fs/bpf"
#define XDPFLOW_DEFAULT_PIN_PATH XDPFLOW_BPFFS "/xdpflow"

enum pin_map_id {
	PIN_LAYOUT,
	PIN_STATS, /* outer map: slot 0 holds the current per-CPU stats array */
	PIN_FLOWS, /* outer map: slot 0 holds the current flow hash table */
	PIN_FLOWCACHE, /* outer map: slot 0 holds the current per-CPU flow cache */
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
 * -errno of mount(2) when mounting failed.
 */
int pin_bpffs_ensure(const char *dir, bool mount_it, bool *mounted);

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
 * A new fd for the table in slot 0 of an outer map (PIN_STATS, PIN_FLOWS or
 * PIN_FLOWCACHE), read-only unless pm is writable; -errno on failure.
 * Needs CAP_SYS_ADMIN (BPF_MAP_GET_FD_BY_ID).
 */
int pin_open_current(const struct pin_maps *pm, enum pin_map_id outer);

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

#endif /* XDPFLOW_PIN_H */
