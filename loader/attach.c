// SPDX-License-Identifier: GPL-2.0
/* loader/: attach: load xdpflow on interfaces, all or nothing, under the pin folder's lock. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libgen.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <bpf/libbpf.h>
#include "loader.h"

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

/* One attach_ifaces() call: what it found and created, undone if it fails. */
struct attaching {
	const struct loader_opts *o;
	char obj[PATH_MAX];
	struct pinset ps;
	bool created_dir, created_pins;
	int lock;
};

/*
 * Everything checked, the pin folder locked and the object tried against
 * the pins (a dry run: another layout version or flow capacity is refused
 * here), before any interface changes.
 */
static int attach_begin(struct attaching *a)
{
	const struct loader_opts *o = a->o;
	struct xdp_program *probe;
	int err;

	a->lock = -1;
	err = check_multiprog_support(o);
	if (!err)
		err = find_object(o, a->obj, sizeof(a->obj));
	if (!err)
		err = ensure_bpffs(o->pin_dir);
	if (!err)
		err = check_pin_parent(o->pin_dir);
	if (err)
		return err;
	a->lock = lock_pin_dir(o->pin_dir, true, &a->created_dir);
	if (a->lock < 0) {
		say_error("cannot create or lock the pin folder %s: %s", o->pin_dir,
			  lock_error(a->lock));
		return a->lock;
	}
	err = pinset_read(o->pin_dir, &a->ps);
	if (err) {
		say_error("cannot inspect the pins in %s: %s", o->pin_dir, strerror(-err));
		return err;
	}
	err = pinset_drop_incomplete(o->pin_dir, &a->ps);
	if (err == -EEXIST)
		say_error("%s holds only %d of the %d xdpflow pins, in use or holding counts (an "
			  "interrupted purge, or a pin removed by hand): put the missing pin back, or "
			  "discard them with '%s detach --purge --pin-path %s' and attach again; nothing "
			  "changed",
			  o->pin_dir, a->ps.present, PIN_MAP_COUNT, LOADER_NAME, o->pin_dir);
	if (!err)
		err = check_existing_pins(o->pin_dir, &a->ps);
	if (err)
		return err;
	a->created_pins = !a->ps.present;
	err = open_prepared(o, a->obj, &probe);
	if (!err)
		xdp_program__close(probe);
	return err;
}

/* Undo what this call created if it ends with nothing attached; unlock. */
static void attach_end(struct attaching *a, int err)
{
	const char *dir = a->o->pin_dir;

	if (err && a->created_pins) {
		pinset_read(dir, &a->ps);
		if (a->ps.present && !pinset_wait_unused(&a->ps))
			pin_unpin_maps(dir);
	}
	if (err && a->created_dir)
		rmdir(dir);
	pin_unlock(a->lock);
}

/* Can every interface take xdpflow?  Nothing changes; existing[] gets their modes. */
static int precheck_all(struct attaching *a, const struct iface *ifcs, int n,
			enum xdp_attach_mode *existing, struct attach_result *res)
{
	struct xdp_state st;
	int i, err;

	for (i = 0; i < n; i++) {
		err = xdp_state_read(ifcs[i].ifindex, &a->ps, &st);
		if (err) {
			say_error("cannot read the XDP programs of %s: %s", ifcs[i].name,
				  strerror(-err));
			return err;
		}
		existing[i] = st.mp ? st.mode : XDP_MODE_UNSPEC;
		err = precheck(a->o, &ifcs[i], &st, &res[i]);
		xdp_state_free(&st);
		if (err)
			return err;
	}
	return 0;
}

/* Attach where xdpflow is not yet; stops at the first failure (the caller undoes). */
static int attach_all(struct attaching *a, const struct iface *ifcs, int n,
		      const enum xdp_attach_mode *existing, struct attach_result *res, bool *legacy)
{
	int i, err = 0;

	for (i = 0; i < n && !err; i++) {
		if (res[i].already)
			continue;
		err = attach_one(a->o, a->obj, &ifcs[i], existing[i], &res[i]);
		if (!err && a->created_pins)
			err = pinset_read(a->o->pin_dir, &a->ps);
		if (!err && describe(&ifcs[i], &a->ps, &res[i])) {
			say_error("xdpflow is not on %s after attaching it: another loader may have "
				  "detached it meanwhile", ifcs[i].name);
			err = -ENOENT;
		}
		/* In skb mode the program runs after GRO: one run per merged frame. */
		if (!err && !res[i].already && res[i].mode == XDP_MODE_SKB)
			err = offload_split(&ifcs[i]);
		*legacy |= res[i].legacy;
		if (!err && res[i].legacy && a->o->require_multiprog) {
			say_error("libxdp attached xdpflow to %s alone (its multi-prog dispatcher does "
				  "not work on this kernel) and --require-multiprog forbids that: undone",
				  ifcs[i].name);
			err = -EOPNOTSUPP;
		}
	}
	return err;
}

int attach_ifaces(const struct loader_opts *o, const struct iface *ifcs, int n,
		  struct attach_result *res)
{
	struct attaching a = { .o = o };
	enum xdp_attach_mode existing[n];
	bool legacy = false;
	int i, err;

	memset(res, 0, n * sizeof(*res));
	err = attach_begin(&a);
	if (!err)
		err = precheck_all(&a, ifcs, n, existing, res);
	if (!err)
		err = attach_all(&a, ifcs, n, existing, res, &legacy);
	if (!err)
		err = set_access(o, a.created_pins);
	if (err) {
		undo_attach(ifcs, n, res, &a.ps);
		memset(res, 0, n * sizeof(*res));
	} else {
		for (i = 0; i < n; i++)
			if (res[i].already)
				describe(&ifcs[i], &a.ps, &res[i]);
		if (legacy)
			say_warning("this kernel cannot run libxdp's multi-prog dispatcher, so xdpflow "
				    "runs as the only XDP program and no other XDP program can share "
				    "the interface");
	}
	attach_end(&a, err);
	return err;
}

int cmd_attach(const struct loader_opts *o, char **names, int n)
{
	struct iface ifcs[n];
	struct attach_result res[n];
	int i, k, err;

	k = iface_resolve_all(names, n, ifcs, NULL);
	if (k < 0)
		return k;
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
