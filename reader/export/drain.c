// SPDX-License-Identifier: GPL-2.0
/* --drain: swap fresh tables into the outer maps and hand back the old ones, whose counts are final. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "export/drain.h"
#include "export/testkill.h"

int drain_swap(const struct pin_maps *pm, struct snapshot_tables *old, struct pending *rec,
	       int *swapped)
{
	struct snapshot_tables cur;
	int fresh[PENDING_TABLES];
	int i, err = 0, *slot;

	*swapped = 0;
	snapshot_tables_none(&cur);
	snapshot_tables_none(old);
	for (i = 0; i < PENDING_TABLES; i++)
		fresh[i] = -1;
	rec->info_fd = -1;
	if (!pm->writable)
		return -EPERM;
	/* Everything that can run out of memory, before anything changes. */
	for (i = 0; i < PENDING_TABLES && !err; i++) {
		slot = snapshot_tables_slot(&cur, pending_tables[i]);
		fresh[i] = pin_fresh_table(pm, pending_tables[i], slot);
		if (fresh[i] < 0)
			err = fresh[i];
	}
	test_kill_point("fresh");
	/* The tables about to leave service outlive this process from now on. */
	if (!err)
		err = pending_create(pm->dir, &cur, rec);
	if (err)
		goto undo;
	test_kill_point("recorded");
	for (i = 0; i < PENDING_TABLES; i++) {
		/* Returns after an RCU grace period: no program still holds the table replaced. */
		err = pin_install_table(pm, pending_tables[i], fresh[i]);
		if (err)
			break;
		slot = snapshot_tables_slot(&cur, pending_tables[i]);
		*snapshot_tables_slot(old, pending_tables[i]) = *slot;
		*slot = -1;
		close(fresh[i]);
		fresh[i] = -1;
		(*swapped)++;
		rec->info.swapped = *swapped;
		pending_save(rec);
		test_kill_point(i == 0 ? "swap1" : i == 1 ? "swap2" : "swap3");
	}
	if (!err)
		return 0;
	if (!*swapped)
		goto undo;
	/* Half-way: the tables still in place count on; empty stand-ins report for them. */
	for (; i < PENDING_TABLES; i++) {
		*snapshot_tables_slot(old, pending_tables[i]) = fresh[i];
		fresh[i] = -1;
	}
undo:
	/* A record for tables that never left service is void: forget it. */
	if (rec->info_fd >= 0 && !*swapped) {
		pending_close(rec);
		pending_forget(pm->dir, rec->info.id);
	}
	snapshot_tables_close(&cur);
	for (i = 0; i < PENDING_TABLES; i++)
		if (fresh[i] >= 0)
			close(fresh[i]);
	return err;
}

static void permission_message(const char *dir, int err, char *msg, size_t msglen)
{
	snprintf(msg, msglen, "--drain needs write access to the pins at %s (%s): a drain resets "
		 "the counters; run as root, with CAP_BPF and CAP_SYS_ADMIN, on pins it may write "
		 "(the loader makes them 0600, or 0640 with --group: read-only for the group)", dir,
		 strerror(-err));
}

int drain_open(const char *dir, struct pin_maps *pm, int *lock, char *msg, size_t msglen)
{
	int err;

	*lock = -1;
	err = pin_open(dir, true, pm, msg, msglen);
	if (err == -EACCES || err == -EPERM)
		permission_message(dir, err, msg, msglen);
	if (err)
		return err;
	/* Once the pins are known to be ours: DIR/pending is made here, not in any folder. */
	*lock = pending_lock(dir, true);
	if (*lock >= 0)
		return 0;
	err = *lock;
	pin_close(pm);
	if (err == -EACCES || err == -EPERM)
		permission_message(dir, err, msg, msglen);
	else
		snprintf(msg, msglen, "cannot lock %s/" PENDING_FOLDER ": %s", dir, strerror(-err));
	return err;
}

int drain_take(const struct pin_maps *pm, struct snapshot_tables *old, struct pending *rec,
	       int *swapped, char *msg, size_t msglen)
{
	int lock, err;

	*swapped = 0;
	snapshot_tables_none(old);
	rec->info_fd = -1;
	lock = pin_lock(pm->dir);
	if (lock < 0) {
		snprintf(msg, msglen, "cannot lock the pin folder %s: %s; nothing was reset", pm->dir,
			 strerror(-lock));
		return lock;
	}
	err = drain_swap(pm, old, rec, swapped);
	if (err && !*swapped)
		snprintf(msg, msglen, "cannot drain the tables at %s: %s; nothing was reset", pm->dir,
			 strerror(-err));
	else if (err)
		snprintf(msg, msglen, "the drain at %s reset only %d of its %d tables (%s): the "
			 "others keep counting for the next drain", pm->dir, *swapped, PENDING_TABLES,
			 strerror(-err));
	if ((err == -EACCES || err == -EPERM) && !*swapped)
		permission_message(pm->dir, err, msg, msglen);
	pin_unlock(lock);
	return err;
}

int drain_tables(const char *dir, struct pin_maps *pm, struct snapshot_tables *old,
		 struct pending *rec, int *swapped, char *msg, size_t msglen)
{
	int lock, err;

	*swapped = 0;
	snapshot_tables_none(old);
	rec->info_fd = -1;
	err = drain_open(dir, pm, &lock, msg, msglen);
	if (err)
		return err;
	err = drain_take(pm, old, rec, swapped, msg, msglen);
	if (err && !*swapped)
		pin_close(pm);
	pin_unlock(lock);
	return err;
}
