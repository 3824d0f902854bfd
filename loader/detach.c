// SPDX-License-Identifier: GPL-2.0
/* loader/: detach (--purge): remove only xdpflow from interfaces, then, if asked, its pins. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "loader.h"

/*
 * Before detaching anything for --purge: would the pins still be in use
 * afterwards?  Then refuse now, so a refused purge changes nothing.
 */
static int purge_precheck(const char *dir, const struct pinset *ps, const struct xdp_state *st,
			  int n, bool named)
{
	bool here = false;
	__u32 targets[n > 0 ? n : 1], user;
	unsigned int waited;
	char where[64];
	int i, k = 0;

	for (i = 0; i < n; i++)
		if (st[i].owner == OWNER_OURS)
			targets[k++] = xdp_program__id(st[i].xdpflow);
	/* A program detached just before may take a moment to be freed: wait for those. */
	for (waited = 0;; waited += 50) {
		user = pinset_user(ps, targets, k);
		if (!user)
			return 0;
		here = xdp_prog_whereabouts(user, where, sizeof(where));
		if (here || waited >= PROG_RELEASE_WAIT_MS)
			break;
		sleep_ms(50);
	}
	/* Named interfaces: the others here go too without names; else it runs elsewhere. */
	say_error("not purging %s: XDP program id %u (%s) uses the same maps: %s; nothing changed",
		  dir, user, where,
		  here && named ? "detach it too, or run detach --purge without naming interfaces" :
		  here ? "detach it too" :
			 "detach it in its network namespace, or run xdpflow-loader clean if "
			 "libxdp keeps it for a deleted interface");
	return -EBUSY;
}

/* Pending drain reports hold counts no reader has delivered: a purge never drops them. */
static int purge_pending_check(const char *dir)
{
	__u64 *ids;
	size_t n;
	int err = pending_list(dir, &ids, &n);

	free(ids);
	if (err) {
		say_error("not purging %s: cannot list its pending drains: %s; nothing changed", dir,
			  strerror(-err));
		return err;
	}
	if (!n)
		return 0;
	say_error("not purging %s: %zu drain report%s in %s/" PENDING_FOLDER " %s not been "
		  "delivered (see xdpflow-loader status): deliver %s with xdpflow-reader -p %s "
		  "--drain, or discard %s with rm -r %s/" PENDING_FOLDER "; nothing changed", dir, n,
		  n == 1 ? "" : "s", dir, n == 1 ? "has" : "have", n == 1 ? "it" : "them", dir,
		  n == 1 ? "it" : "them", dir);
	return -EBUSY;
}

static int purge(const char *dir, struct pinset *ps)
{
	char where[64];
	__u32 user;
	int err;

	if (!ps->present) {
		say_note("no xdpflow pins at %s: nothing to purge", dir);
		return 0;
	}
	user = pinset_wait_unused(ps);
	if (user && xdp_prog_whereabouts(user, where, sizeof(where))) {
		say_error("not removing the pins at %s: XDP program id %u (%s) still uses them: "
			  "detach it first", dir, user, where);
		return -EBUSY;
	}
	if (user) {
		say_error("not removing the pins at %s: XDP program id %u, attached to no interface "
			  "here, still uses them: detach it in its network namespace, or if its "
			  "interface was deleted, run '%s clean IFINDEX' there (libxdp keeps a "
			  "dispatcher pinned) and purge again", dir, user, LOADER_NAME);
		return -EBUSY;
	}
	err = pin_unpin_maps(dir);
	if (!err)
		err = pending_remove_empty(dir);
	if (err) {
		say_error("cannot remove the pins at %s: %s", dir, strerror(-err));
		return err;
	}
	printf("removed the xdpflow pins at %s (their counts are gone)\n", dir);
	if (ps->foreign)
		say_note("kept what %d of xdpflow's pin names in %s hold: not a map, not ours "
			 "(remove it by hand)", ps->foreign, dir);
	return 0;
}

/*
 * Before detaching anything: every interface read, none running xdpflow
 * with other maps, and for --purge no other program left using the maps.
 */
static int detach_checks(const struct loader_opts *o, const struct pinset *ps,
			 const struct iface *ifcs, int n, bool named, struct xdp_state *st)
{
	int i, err = 0;

	for (i = 0; i < n && !err; i++) {
		err = xdp_state_read(ifcs[i].ifindex, ps, &st[i]);
		if (err) {
			say_error("cannot read the XDP programs of %s: %s", ifcs[i].name,
				  strerror(-err));
		} else if (st[i].owner == OWNER_OTHER_PINS) {
			say_error("xdpflow on %s (program id %u) does not use the maps pinned at %s: "
				  "pass its --pin-path, or remove it with xdp-loader unload %s --id %u",
				  ifcs[i].name, xdp_program__id(st[i].xdpflow), o->pin_dir,
				  ifcs[i].name, xdp_program__id(st[i].xdpflow));
			err = -EEXIST;
		}
	}
	if (!err && o->purge)
		err = purge_pending_check(o->pin_dir);
	if (!err && o->purge)
		err = purge_precheck(o->pin_dir, ps, st, n, named);
	return err;
}

/* Detach ours wherever the checks found it; -EIO if any detach failed. */
static int detach_each(const struct loader_opts *o, const struct iface *ifcs, int n,
		       struct xdp_state *st)
{
	char buf[160];
	int i, err, failed = 0;

	for (i = 0; i < n; i++) {
		if (st[i].owner != OWNER_OURS) {
			say_note("xdpflow is not attached to %s: nothing to detach there", ifcs[i].name);
			continue;
		}
		err = xdp_state_detach_ours(ifcs[i].ifindex, &st[i]);
		if (err) {
			say_error("cannot detach xdpflow from %s: %s", ifcs[i].name,
				  explain_errno(err, buf, sizeof(buf)));
			failed = -EIO;
			continue;
		}
		printf("detached xdpflow from %s%s\n", ifcs[i].name,
		       o->purge ? "" : "; its counts stay pinned for readers");
	}
	return failed;
}

/* Lock the folder (if there is one) and read its pins; one line on failure. */
static int detach_begin(const struct loader_opts *o, struct pinset *ps, int *lock)
{
	int err;

	err = ensure_bpffs(o->pin_dir);
	if (err)
		return err;
	*lock = lock_pin_dir(o->pin_dir, false, NULL);
	if (*lock >= 0)
		err = pinset_read(o->pin_dir, ps);
	else if (*lock != -ENOENT)
		err = *lock;
	if (err) {
		say_error("cannot inspect the pins in %s: %s", o->pin_dir, strerror(-err));
		pin_unlock(*lock);
	}
	return err;
}

int detach_ifaces(const struct loader_opts *o, const struct iface *ifcs, int n)
{
	struct xdp_state *st = NULL;
	struct iface *found = NULL;
	struct pinset ps = {};
	bool named = n > 0;
	int i, err, lock;

	err = detach_begin(o, &ps, &lock);
	if (err)
		return err;
	if (n == 0) {
		err = ifaces_running_ours(&ps, &found, &n);
		if (err) {
			say_error("cannot list the interfaces: %s", strerror(-err));
			goto out;
		}
		ifcs = found;
		if (!n && !o->purge)
			say_note("xdpflow with the maps at %s is attached to no interface here",
				 o->pin_dir);
	}
	st = calloc(n > 0 ? n : 1, sizeof(*st));
	if (!st) {
		err = -ENOMEM;
		goto out;
	}
	err = detach_checks(o, &ps, ifcs, n, named, st);
	if (!err)
		err = detach_each(o, ifcs, n, st);
	/* Our own handles keep detached programs (and so the maps) alive: drop them first. */
	for (i = 0; i < n; i++)
		xdp_state_free(&st[i]);
	if (!err && o->purge)
		err = purge(o->pin_dir, &ps);
	/* An empty folder goes with its pins; one holding anything else stays. */
	if (!err && o->purge && lock >= 0)
		rmdir(o->pin_dir);
out:
	free(st);
	free(found);
	pin_unlock(lock);
	return err;
}

int cmd_detach(const struct loader_opts *o, char **names, int n)
{
	struct iface ifcs[n > 0 ? n : 1];
	int k, err;

	/* Every name first: a typo must not detach (or purge) the others. */
	k = iface_resolve_all(names, n, ifcs,
			      "a deleted interface took xdpflow with it: 'clean IFINDEX' removes "
			      "what libxdp kept of it");
	if (k < 0)
		return k;
	err = require_capabilities("detach", true);
	if (err)
		return err;
	return detach_ifaces(o, ifcs, k);
}
