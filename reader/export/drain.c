// SPDX-License-Identifier: GPL-2.0
/* --drain: swap fresh tables into the outer maps and hand back the old ones, whose counts are final. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "export/drain.h"

/* The order is the guarantee: see drain.h and docs/DESIGN.md. */
static const enum pin_map_id swap_order[3] = { PIN_FLOWCACHE, PIN_FLOWS, PIN_STATS };

static int *table_slot(struct snapshot_tables *t, enum pin_map_id id)
{
	switch (id) {
	case PIN_STATS:
		return &t->stats_fd;
	case PIN_FLOWS:
		return &t->flows_fd;
	default:
		return &t->fcache_fd;
	}
}

int drain_swap(const struct pin_maps *pm, struct snapshot_tables *old, int *swapped)
{
	int cur[3] = { -1, -1, -1 }, fresh[3] = { -1, -1, -1 };
	int i, err = 0;

	*swapped = 0;
	old->stats_fd = old->flows_fd = old->fcache_fd = -1;
	if (!pm->writable)
		return -EPERM;
	/* Everything that can run out of memory, before anything changes. */
	for (i = 0; i < 3 && !err; i++) {
		fresh[i] = pin_fresh_table(pm, swap_order[i], &cur[i]);
		if (fresh[i] < 0)
			err = fresh[i];
	}
	if (err)
		goto undo;
	for (i = 0; i < 3; i++) {
		/* Returns after an RCU grace period: no program still holds cur[i]. */
		err = pin_install_table(pm, swap_order[i], fresh[i]);
		if (err)
			break;
		*table_slot(old, swap_order[i]) = cur[i];
		cur[i] = -1;
		close(fresh[i]);
		fresh[i] = -1;
		(*swapped)++;
	}
	if (!err)
		return 0;
	if (!*swapped)
		goto undo;
	/* Half-way: the tables still in place count on; empty stand-ins report for them. */
	for (; i < 3; i++) {
		*table_slot(old, swap_order[i]) = fresh[i];
		fresh[i] = -1;
	}
undo:
	for (i = 0; i < 3; i++) {
		if (cur[i] >= 0)
			close(cur[i]);
		if (fresh[i] >= 0)
			close(fresh[i]);
	}
	return err;
}

static void permission_message(const char *dir, int err, char *msg, size_t msglen)
{
	snprintf(msg, msglen, "--drain needs write access to the pins at %s (%s): a drain resets "
		 "the counters; run as root, with CAP_BPF and CAP_SYS_ADMIN, on pins it may write "
		 "(the loader makes them 0600, or 0640 with --group: read-only for the group)", dir,
		 strerror(-err));
}

int drain_tables(const char *dir, struct pin_maps *pm, struct snapshot_tables *old, int *swapped,
		 char *msg, size_t msglen)
{
	int lock, err;

	*swapped = 0;
	old->stats_fd = old->flows_fd = old->fcache_fd = -1;
	lock = pin_lock(dir);
	if (lock < 0) {
		/* pin_open explains a missing folder or bpffs best. */
		err = pin_open(dir, false, pm, msg, msglen);
		if (!err) {
			pin_close(pm);
			err = lock;
			snprintf(msg, msglen, "cannot lock the pin folder %s: %s", dir,
				 strerror(-err));
		}
		if (err == -EACCES || err == -EPERM)
			permission_message(dir, err, msg, msglen);
		return err;
	}
	err = pin_open(dir, true, pm, msg, msglen);
	if (err == -EACCES || err == -EPERM)
		permission_message(dir, err, msg, msglen);
	if (err)
		goto out;
	err = drain_swap(pm, old, swapped);
	if (err && !*swapped)
		snprintf(msg, msglen, "cannot drain the tables at %s: %s; nothing was reset", dir,
			 strerror(-err));
	else if (err)
		snprintf(msg, msglen, "the drain at %s reset only %d of its 3 tables (%s): the "
			 "others keep counting for the next drain", dir, *swapped, strerror(-err));
	if ((err == -EACCES || err == -EPERM) && !*swapped)
		permission_message(dir, err, msg, msglen);
	if (err && !*swapped)
		pin_close(pm);
out:
	pin_unlock(lock);
	return err;
}
