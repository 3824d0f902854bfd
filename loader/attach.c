// SPDX-License-Identifier: GPL-2.0
/* loader/: attach, detach (--purge) and clean: every change goes through here, under pin_lock(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libgen.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <bpf/libbpf.h>
#include "loader.h"

/* The kernel frees a detached program after an RCU grace period; wait this long for it. */
#define PROG_RELEASE_WAIT_MS 3000

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int lock_pin_dir(const char *dir, bool create, bool *created)
{
	struct stat locked, now;
	int fd, tries;

	if (created)
		*created = false;
	/*
	 * A purge removes the folder while we may wait for its lock: if the
	 * path names another folder once we hold it, start over.
	 */
	for (tries = 0; tries < 10; tries++) {
		if (create) {
			if (!mkdir(dir, 0700)) {
				if (created)
					*created = true;
			} else if (errno != EEXIST) {
				return -errno;
			}
		}
		fd = pin_lock(dir);
		if (fd == -ENOENT && create)
			continue;
		if (fd < 0)
			return fd;
		if (!fstat(fd, &locked) && !stat(dir, &now) && locked.st_dev == now.st_dev &&
		    locked.st_ino == now.st_ino)
			return fd;
		pin_unlock(fd);
		if (!create)
			return -ENOENT;
	}
	return -EAGAIN;
}

static const char *lock_error(int err)
{
	return err == -EAGAIN ? "it keeps being removed and re-created" : strerror(-err);
}

static __u32 wait_for_no_user(const struct pinset *ps)
{
	unsigned int waited = 0;
	__u32 user;

	while ((user = pinset_user(ps, NULL, 0)) && waited < PROG_RELEASE_WAIT_MS) {
		sleep_ms(50);
		waited += 50;
	}
	return user;
}

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
static int drop_incomplete_pins(const char *dir, struct pinset *ps)
{
	int err;

	/* Pins of another layout version, or things not maps, are not ours to remove. */
	if (!ps->present || pinset_complete(ps) || ps->foreign ||
	    (ps->layout && ps->layout != XDPFLOW_LAYOUT_VERSION))
		return 0;
	/*
	 * In use: a pin removed by hand while counting, whose maps a program
	 * still holds (the program of a loader killed a moment ago is freed
	 * after a grace period: wait for that).
	 */
	if (wait_for_no_user(ps))
		return -EEXIST;
	err = pin_holds_counts(dir);
	if (err > 0)
		return -EEXIST;
	if (!err)
		err = pin_unpin_maps(dir);
	if (err) {
		say_error("cannot remove the incomplete pins in %s: %s", dir, strerror(-err));
		return err;
	}
	say_note("removed %d leftover pins of an interrupted attach from %s (they held no counts)",
		 ps->present, dir);
	return pinset_read(dir, ps);
}

/* Whatever pins are there must be xdpflow's of this layout: say why not, change nothing. */
static int check_existing_pins(const char *dir, const struct pinset *ps)
{
	struct pin_maps pm;
	char msg[512];
	int err;

	if (!ps->present)
		return 0;
	err = pin_open(dir, false, &pm, msg, sizeof(msg));
	if (err) {
		say_error("%s; nothing changed", msg);
		return err;
	}
	pin_close(&pm);
	return 0;
}

/* Open the object and point its maps at the pin folder; one line on failure. */
static int open_prepared(const struct loader_opts *o, const char *obj, struct xdp_program **out)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts);
	DECLARE_LIBXDP_OPTS(xdp_program_opts, xdp_opts, .open_filename = obj,
			    .prog_name = XDPFLOW_PROG_NAME, .opts = &open_opts);
	struct xdp_program *prog;
	char msg[512], buf[128];
	long err;

	prog = xdp_program__create(&xdp_opts);
	err = libxdp_get_error(prog);
	if (err) {
		say_error("cannot open the XDP object %s: %s (is it xdpflow.bpf.o? -v shows libbpf's log)",
			  obj, explain_errno(err, buf, sizeof(buf)));
		return err;
	}
	err = pin_prepare_object(xdp_program__bpf_obj(prog), o->pin_dir, o->max_flows, msg,
				 sizeof(msg));
	if (err) {
		say_error("%s", msg);
		xdp_program__close(prog);
		return err;
	}
	if (o->prio >= 0)
		xdp_program__set_run_prio(prog, o->prio);
	*out = prog;
	return 0;
}

/* Can the interface take xdpflow?  Nothing is changed here. */
static int precheck(const struct loader_opts *o, const struct iface *ifc,
		    const struct xdp_state *st, struct attach_result *res)
{
	const char *other;

	if (st->owner == OWNER_OURS) {
		res->already = true;
		return 0;
	}
	if (st->owner == OWNER_OTHER_PINS) {
		say_error("%s already runs xdpflow (program id %u) with maps not pinned at %s: "
			  "pass that program's --pin-path, or remove it first (xdp-loader unload %s --id %u)",
			  ifc->name, xdp_program__id(st->xdpflow), o->pin_dir, ifc->name,
			  xdp_program__id(st->xdpflow));
		return -EEXIST;
	}
	if (st->mp && st->legacy) {
		other = xdp_program__name(xdp_multiprog__main_prog(st->mp));
		say_error("%s already has XDP program '%s' (id %u) attached without libxdp's dispatcher, "
			  "so xdpflow cannot share it: remove it first (xdp-loader unload %s --all) or "
			  "load it through libxdp (xdp-loader load)",
			  ifc->name, other ? other : "?",
			  xdp_program__id(xdp_multiprog__main_prog(st->mp)), ifc->name);
		return -EBUSY;
	}
	if (st->mp && o->mode != XDP_MODE_UNSPEC && o->mode != st->mode) {
		say_error("the XDP programs on %s run in %s mode, so xdpflow must too: "
			  "attach with --mode %s (or without --mode)",
			  ifc->name, mode_name(st->mode), mode_name(st->mode));
		return -EEXIST;
	}
	return 0;
}

/* Attach one prepared program; without --mode try native, then skb. */
static int attach_one(const struct loader_opts *o, const char *obj, const struct iface *ifc,
		      enum xdp_attach_mode existing, struct attach_result *res)
{
	enum xdp_attach_mode mode = o->mode != XDP_MODE_UNSPEC ? o->mode :
				    existing != XDP_MODE_UNSPEC ? existing : XDP_MODE_NATIVE;
	struct fd_snapshot fds;
	struct xdp_program *prog;
	char buf[160];
	int err;

	fd_snapshot(&fds);
	err = open_prepared(o, obj, &prog);
	if (err)
		return err;
	err = xdp_program__attach(prog, ifc->ifindex, mode, 0);
	if (err == -EOPNOTSUPP && o->mode == XDP_MODE_UNSPEC && existing == XDP_MODE_UNSPEC) {
		/* Fresh object: a half-done native attempt leaves nothing to reuse. */
		xdp_program__close(prog);
		err = open_prepared(o, obj, &prog);
		if (err)
			return err;
		mode = XDP_MODE_SKB;
		err = xdp_program__attach(prog, ifc->ifindex, mode, 0);
		if (!err)
			say_note("%s: its driver has no native XDP, attached in skb (generic) mode",
				 ifc->name);
	}
	xdp_program__close(prog);
	fd_close_leaked_bpf(&fds);
	if (err) {
		if (err == -EBUSY || err == -EEXIST)
			say_error("cannot attach xdpflow to %s: another XDP program is attached there "
				  "(see xdpflow-loader list)", ifc->name);
		else
			say_error("cannot load or attach xdpflow on %s in %s mode: %s (-v shows libxdp's "
				  "and libbpf's log)", ifc->name, mode_name(mode),
				  explain_errno(err, buf, sizeof(buf)));
		return err;
	}
	res->attached = true;
	return 0;
}

/* Fill in where and how xdpflow now runs on ifc. */
static int describe(const struct iface *ifc, const struct pinset *ps, struct attach_result *res)
{
	struct xdp_state st;
	int err;

	err = xdp_state_read(ifc->ifindex, ps, &st);
	if (err)
		return err;
	if (st.owner != OWNER_OURS) {
		xdp_state_free(&st);
		return -ENOENT;
	}
	res->legacy = st.legacy;
	res->mode = st.mode;
	res->position = st.position;
	res->count = st.count;
	res->prio = xdp_program__run_prio(st.xdpflow);
	res->prog_id = xdp_program__id(st.xdpflow);
	xdp_state_free(&st);
	return 0;
}

static void undo_attach(const struct iface *ifcs, int n, const struct attach_result *res,
			const struct pinset *ps)
{
	struct xdp_state st;
	int i;

	for (i = 0; i < n; i++) {
		if (!res[i].attached)
			continue;
		if (xdp_state_read(ifcs[i].ifindex, ps, &st))
			continue;
		if (st.owner == OWNER_OURS && xdp_state_detach_ours(ifcs[i].ifindex, &st))
			say_error("could not undo the attach on %s: detach it with "
				  "xdpflow-loader detach %s", ifcs[i].name, ifcs[i].name);
		xdp_state_free(&st);
	}
}

/*
 * --group is no use if the group cannot reach the folder: systemd mounts
 * /sys/fs/bpf with mode 0700.  Say so (the folders above are not ours to change).
 */
static void check_group_reach(const char *dir, gid_t gid)
{
	char path[PATH_MAX], *slash;
	struct stat st;

	snprintf(path, sizeof(path), "%s", dir);
	while ((slash = strrchr(path, '/')) && slash != path) {
		*slash = '\0';
		if (stat(path, &st))
			return;
		if (!(st.st_mode & S_IXOTH) && !(st.st_gid == gid && (st.st_mode & S_IXGRP))) {
			say_warning("the pins' group cannot reach %s: %s has mode %04o; let it with "
				    "'chmod o+x %s' (or chgrp it and chmod g+x)", dir, path,
				    st.st_mode & 07777, path);
			return;
		}
	}
}

static int set_access(const struct loader_opts *o, bool created_pins)
{
	int err;

	if (!o->group_set && !created_pins)
		return 0; /* keep what an earlier --group chose */
	err = pin_set_access(o->pin_dir, o->group_set ? o->gid : (gid_t)-1);
	if (err)
		say_error("cannot set the mode and group of the pins in %s: %s", o->pin_dir,
			  strerror(-err));
	else if (o->group_set)
		check_group_reach(o->pin_dir, o->gid);
	return err;
}

/* Pins can only live on a bpf filesystem: say so rather than let libbpf fail later. */
static int check_pin_parent(const char *dir)
{
	char copy[PATH_MAX], *parent;
	struct statfs st;

	snprintf(copy, sizeof(copy), "%s", dir);
	parent = dirname(copy);
	if (statfs(parent, &st)) {
		int err = -errno;

		say_error("cannot use pin folder %s: %s: %s (create it, or pick another --pin-path)",
			  dir, parent, strerror(-err));
		return err;
	}
	if (st.f_type != BPF_FS_MAGIC) {
		say_error("pin folder %s is not on a bpf filesystem: pick one under %s", dir,
			  XDPFLOW_BPFFS);
		return -EINVAL;
	}
	return 0;
}

static int check_multiprog_support(const struct loader_opts *o)
{
	if (!o->require_multiprog || libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_EXT, NULL) > 0)
		return 0;
	say_error("this kernel cannot run libxdp's multi-prog dispatcher (no BPF_PROG_TYPE_EXT "
		  "programs), and --require-multiprog forbids attaching xdpflow alone: nothing changed");
	return -EOPNOTSUPP;
}

int attach_ifaces(const struct loader_opts *o, const struct iface *ifcs, int n,
		  struct attach_result *res)
{
	char obj[PATH_MAX];
	bool created_dir, created_pins = false, legacy = false;
	enum xdp_attach_mode existing[n];
	struct xdp_program *probe;
	struct xdp_state st;
	struct pinset ps;
	int i, err, lock;

	memset(res, 0, n * sizeof(*res));
	err = check_multiprog_support(o);
	if (err)
		return err;
	err = find_object(o, obj, sizeof(obj));
	if (err)
		return err;
	err = ensure_bpffs(o->pin_dir);
	if (!err)
		err = check_pin_parent(o->pin_dir);
	if (err)
		return err;
	lock = lock_pin_dir(o->pin_dir, true, &created_dir);
	if (lock < 0) {
		say_error("cannot create or lock the pin folder %s: %s", o->pin_dir, lock_error(lock));
		return lock;
	}
	err = pinset_read(o->pin_dir, &ps);
	if (err) {
		say_error("cannot inspect the pins in %s: %s", o->pin_dir, strerror(-err));
		goto out;
	}
	err = drop_incomplete_pins(o->pin_dir, &ps);
	if (err == -EEXIST)
		say_error("%s holds only %d of the %d xdpflow pins, in use or holding counts (an "
			  "interrupted purge, or a pin removed by hand): put the missing pin back, or "
			  "discard them with '%s detach --purge --pin-path %s' and attach again; nothing "
			  "changed",
			  o->pin_dir, ps.present, PIN_MAP_COUNT, LOADER_NAME, o->pin_dir);
	if (!err)
		err = check_existing_pins(o->pin_dir, &ps);
	if (err)
		goto out;
	created_pins = !ps.present;
	/*
	 * A dry run of the object against the pins: another layout version
	 * or flow capacity is refused here, before any interface changes.
	 */
	err = open_prepared(o, obj, &probe);
	if (err)
		goto out;
	xdp_program__close(probe);
	for (i = 0; i < n; i++) {
		err = xdp_state_read(ifcs[i].ifindex, &ps, &st);
		if (err) {
			say_error("cannot read the XDP programs of %s: %s", ifcs[i].name,
				  strerror(-err));
			goto out;
		}
		existing[i] = st.mp ? st.mode : XDP_MODE_UNSPEC;
		err = precheck(o, &ifcs[i], &st, &res[i]);
		xdp_state_free(&st);
		if (err)
			goto out;
	}
	for (i = 0; i < n && !err; i++) {
		if (res[i].already)
			continue;
		err = attach_one(o, obj, &ifcs[i], existing[i], &res[i]);
		if (!err && created_pins)
			err = pinset_read(o->pin_dir, &ps);
		if (!err && describe(&ifcs[i], &ps, &res[i])) {
			say_error("xdpflow is not on %s after attaching it: another loader may have "
				  "detached it meanwhile", ifcs[i].name);
			err = -ENOENT;
		}
		legacy |= res[i].legacy;
		if (!err && res[i].legacy && o->require_multiprog) {
			say_error("libxdp attached xdpflow to %s alone (its multi-prog dispatcher does "
				  "not work on this kernel) and --require-multiprog forbids that: undone",
				  ifcs[i].name);
			err = -EOPNOTSUPP;
		}
	}
	if (!err)
		err = set_access(o, created_pins);
	if (err) {
		undo_attach(ifcs, n, res, &ps);
		memset(res, 0, n * sizeof(*res));
		goto out;
	}
	for (i = 0; i < n; i++)
		if (res[i].already)
			describe(&ifcs[i], &ps, &res[i]);
	if (legacy)
		say_warning("this kernel cannot run libxdp's multi-prog dispatcher, so xdpflow runs "
			    "as the only XDP program and no other XDP program can share the interface");
out:
	/* Undo what this call created if it ends with nothing attached. */
	if (err && created_pins) {
		pinset_read(o->pin_dir, &ps);
		if (ps.present && !wait_for_no_user(&ps))
			pin_unpin_maps(o->pin_dir);
	}
	if (err && created_dir)
		rmdir(o->pin_dir);
	pin_unlock(lock);
	return err;
}

/* Where program prog_id is attached in this namespace; false if nowhere. */
static bool name_user(__u32 prog_id, char *buf, size_t size)
{
	struct iface *all;
	struct xdp_state st;
	struct pinset none = {};
	bool found = false;
	size_t n, i;

	snprintf(buf, size, "in another network namespace or not attached");
	if (iface_list(&all, &n))
		return false;
	for (i = 0; i < n && !found; i++) {
		if (xdp_state_read(all[i].ifindex, &none, &st))
			continue;
		if (st.xdpflow && xdp_program__id(st.xdpflow) == prog_id) {
			snprintf(buf, size, "on %s", all[i].name);
			found = true;
		}
		xdp_state_free(&st);
	}
	free(all);
	return found;
}

/*
 * Before detaching anything for --purge: would the pins still be in use
 * afterwards?  Then refuse now, so a refused purge changes nothing.
 */
static int purge_precheck(const char *dir, const struct pinset *ps, const struct xdp_state *st,
			  int n)
{
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
		if (name_user(user, where, sizeof(where)) || waited >= PROG_RELEASE_WAIT_MS)
			break;
		sleep_ms(50);
	}
	say_error("not purging %s: XDP program id %u (%s) uses the same maps: detach it too, "
		  "or run detach --purge without naming interfaces; nothing changed", dir, user,
		  where);
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
	user = wait_for_no_user(ps);
	if (user && name_user(user, where, sizeof(where))) {
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

/* Every interface of this namespace running xdpflow with ps's maps. */
static int ifaces_using(const struct pinset *ps, struct iface **out, int *count)
{
	struct iface *all;
	struct xdp_state st;
	size_t n, i;
	int err, k = 0;

	err = iface_list(&all, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (xdp_state_read(all[i].ifindex, ps, &st))
			continue;
		if (st.owner == OWNER_OURS)
			all[k++] = all[i];
		xdp_state_free(&st);
	}
	*out = all;
	*count = k;
	return 0;
}

int detach_ifaces(const struct loader_opts *o, const struct iface *ifcs, int n)
{
	struct xdp_state *st = NULL;
	struct iface *found = NULL;
	struct pinset ps = {};
	char buf[160];
	int i, err, derr, lock, failed = 0;

	err = ensure_bpffs(o->pin_dir);
	if (err)
		return err;
	lock = lock_pin_dir(o->pin_dir, false, NULL);
	if (lock >= 0)
		err = pinset_read(o->pin_dir, &ps);
	else if (lock != -ENOENT)
		err = lock;
	if (err) {
		say_error("cannot inspect the pins in %s: %s", o->pin_dir, strerror(-err));
		pin_unlock(lock);
		return err;
	}
	if (n == 0) {
		err = ifaces_using(&ps, &found, &n);
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
	/* Check every interface before changing any. */
	for (i = 0; i < n && !err; i++) {
		err = xdp_state_read(ifcs[i].ifindex, &ps, &st[i]);
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
		err = purge_precheck(o->pin_dir, &ps, st, n);
	for (i = 0; i < n && !err; i++) {
		if (st[i].owner != OWNER_OURS) {
			say_note("xdpflow is not attached to %s: nothing to detach there", ifcs[i].name);
			continue;
		}
		derr = xdp_state_detach_ours(ifcs[i].ifindex, &st[i]);
		if (derr) {
			say_error("cannot detach xdpflow from %s: %s", ifcs[i].name,
				  explain_errno(derr, buf, sizeof(buf)));
			failed = -EIO;
			continue;
		}
		printf("detached xdpflow from %s%s\n", ifcs[i].name,
		       o->purge ? "" : "; its counts stay pinned for readers");
	}
	if (!err)
		err = failed;
	/* Our own handles keep detached programs (and so the maps) alive: drop them first. */
	for (i = 0; i < n; i++)
		xdp_state_free(&st[i]);
	if (!err && o->purge)
		err = purge(o->pin_dir, &ps);
	/* An empty folder goes with its pins; one holding anything else stays. */
	if (!err && o->purge && lock >= 0)
		rmdir(o->pin_dir);
out:
	for (i = 0; st && i < n; i++)
		xdp_state_free(&st[i]);
	free(st);
	free(found);
	pin_unlock(lock);
	return err;
}

int cmd_attach(const struct loader_opts *o, char **names, int n)
{
	struct iface ifcs[n];
	struct attach_result res[n];
	int i, j, k = 0, err;

	for (i = 0; i < n; i++) {
		if (iface_resolve(names[i], &ifcs[k])) {
			say_error("no interface named '%s' here: see xdpflow-loader list", names[i]);
			return -ENODEV;
		}
		for (j = 0; j < k && ifcs[j].ifindex != ifcs[k].ifindex; j++)
			;
		if (j == k)
			k++;
	}
	err = require_capabilities("attach", true);
	if (err)
		return err;
	err = attach_ifaces(o, ifcs, k, res);
	if (err)
		return err;
	for (i = 0; i < k; i++) {
		const struct attach_result *r = &res[i];
		char chain[64];

		if (r->legacy)
			snprintf(chain, sizeof(chain), "single program (no dispatcher)");
		else
			snprintf(chain, sizeof(chain), "position %d of %d in libxdp's dispatcher",
				 r->position, r->count);
		printf("xdpflow %s %s (ifindex %u): program id %u, %s mode, %s, priority %u; "
		       "maps at %s\n", r->already ? "was already attached to" : "attached to",
		       ifcs[i].name, ifcs[i].ifindex, r->prog_id, mode_name(r->mode), chain, r->prio,
		       o->pin_dir);
	}
	return 0;
}

int cmd_detach(const struct loader_opts *o, char **names, int n)
{
	struct iface ifcs[n > 0 ? n : 1];
	int i, k = 0, err;

	for (i = 0; i < n; i++) {
		/*
		 * A deleted interface takes its XDP program with it, so there
		 * is nothing left to detach there: not an error.
		 */
		if (iface_resolve(names[i], &ifcs[k])) {
			say_note("no interface named '%s' here (a deleted interface takes its XDP "
				 "program with it): nothing to detach there", names[i]);
			continue;
		}
		k++;
	}
	err = require_capabilities("detach", true);
	if (err)
		return err;
	if (n > 0 && k == 0 && !o->purge)
		return 0;
	if (n > 0 && k == 0)
		return detach_ifaces(o, NULL, 0);
	return detach_ifaces(o, ifcs, k);
}

/* What clean leaves in the pin folder, and why. */
static void report_clean_pins(const char *dir, const struct pinset *ps)
{
	if (ps->foreign)
		printf("%d of xdpflow's pin names in %s hold something that is not a map: kept "
		       "(not ours: remove it by hand)\n", ps->foreign, dir);
	else if (ps->layout && ps->layout != XDPFLOW_LAYOUT_VERSION)
		printf("the pins at %s have map layout version %u, not %u: kept (detach --purge "
		       "removes them)\n", dir, ps->layout, XDPFLOW_LAYOUT_VERSION);
	else if (pinset_complete(ps))
		printf("the pins at %s are complete and kept (detach --purge removes them)\n", dir);
	else if (!ps->present && !rmdir(dir))
		printf("removed the empty pin folder %s\n", dir);
}

int cmd_clean(const struct loader_opts *o, char **names, int n)
{
	struct iface ifcs[n > 0 ? n : 1];
	struct pinset ps;
	unsigned long idx;
	int i, err, lock;
	char *end;

	for (i = 0; i < n; i++) {
		if (!iface_resolve(names[i], &ifcs[i]))
			continue;
		/* The ifindex of a deleted interface: libxdp may still hold its dispatcher. */
		errno = 0;
		idx = strtoul(names[i], &end, 10);
		if (!errno && !*end && idx && idx <= INT_MAX) {
			ifcs[i].ifindex = idx;
			snprintf(ifcs[i].name, sizeof(ifcs[i].name), "#%lu", idx);
			continue;
		}
		say_error("no interface named '%s' here: see xdpflow-loader list", names[i]);
		return -ENODEV;
	}
	err = require_capabilities("clean", true);
	if (err)
		return err;
	err = ensure_bpffs(o->pin_dir);
	if (err)
		return err;
	/* libxdp's own leftovers: dispatcher links pinned for programs no longer attached. */
	for (i = 0; i < (n ? n : 1); i++) {
		err = libxdp_clean_references(n ? (int)ifcs[i].ifindex : 0);
		if (err)
			say_warning("libxdp could not clean its references%s%s: %s", n ? " for " : "",
				    n ? ifcs[i].name : "", strerror(-err));
	}
	printf("cleaned libxdp's stale dispatcher references for %s\n",
	       n ? "the interfaces given" : "every interface");
	lock = lock_pin_dir(o->pin_dir, false, NULL);
	if (lock == -ENOENT) {
		printf("no pin folder at %s: nothing else to clean\n", o->pin_dir);
		return 0;
	}
	if (lock < 0) {
		say_error("cannot lock the pin folder %s: %s", o->pin_dir, lock_error(lock));
		return lock;
	}
	err = pinset_read(o->pin_dir, &ps);
	if (!err && !pinset_complete(&ps))
		err = drop_incomplete_pins(o->pin_dir, &ps);
	if (err == -EEXIST) {
		printf("the %d of %d xdpflow pins at %s are in use or hold counts: kept (put the "
		       "missing pin back, or detach --purge discards them)\n", ps.present,
		       PIN_MAP_COUNT, o->pin_dir);
		err = 0;
	} else if (!err) {
		report_clean_pins(o->pin_dir, &ps);
	}
	pin_unlock(lock);
	return err;
}
