// SPDX-License-Identifier: GPL-2.0
/* loader/: status: the pin folder, where xdpflow runs with its maps, and what the maps hold. */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include "loader.h"
#include "view/report.h"

static void print_pin_folder(const char *dir, const struct pinset *ps)
{
	struct stat st;
	struct group *gr;
	char path[PATH_MAX], layout[48];

	if (!ps->present) {
		printf("pin folder:    %s: no xdpflow pins (attach with: %s attach IFACE)\n", dir,
		       LOADER_NAME);
		return;
	}
	pin_map_path(dir, PIN_STATS, path, sizeof(path));
	if (stat(path, &st)) {
		printf("pin folder:    %s\n", dir);
		return;
	}
	gr = getgrgid(st.st_gid);
	if (ps->layout && ps->layout != PIN_LAYOUT_FOREIGN)
		snprintf(layout, sizeof(layout), "map layout version %u", ps->layout);
	else
		snprintf(layout, sizeof(layout), "%s", ps->layout ? "NOT an xdpflow layout map" :
								"no layout pin");
	printf("pin folder:    %s (pins mode %04o, group %s), %s%s\n", dir, st.st_mode & 07777,
	       gr ? gr->gr_name : "?", layout,
	       pinset_complete(ps) ? "" : ", INCOMPLETE (see xdpflow-loader clean)");
}

/* Reports of drains not yet delivered: their counts exist only there, so say so. */
static void print_pending(const char *dir)
{
	struct snapshot_tables t;
	struct pending rec;
	struct snapshot s;
	struct xdpflow_counter sum, all = {};
	char when[32];
	size_t n, i, k, unsettled = 0;
	__u64 *ids;

	if (pending_list(dir, &ids, &n) || !n) {
		free(ids);
		return;
	}
	for (i = 0; i < n; i++) {
		if (pending_open(dir, ids[i], &rec, &t))
			continue;
		/* Stopped while swapping: what it holds is sorted out by the next drain. */
		if (rec.info.swapped != PENDING_TABLES)
			unsettled++;
		else if (!snapshot_read(&t, -1, libbpf_num_possible_cpus(), &s)) {
			for (k = 0; k < s.ifaces.n; k++) {
				sum = iface_counts_total(&s.ifaces.v[k]);
				counter_add(&all, &sum);
			}
			snapshot_free(&s);
		}
		if (i == 0)
			format_utc_ms(rec.info.wall_ns, when);
		snapshot_tables_close(&t);
		pending_close(&rec);
	}
	printf("pending:       %zu drain report%s not yet delivered (%llu packets, %llu bytes%s; "
	       "the oldest, drain %llu, taken %s): the next xdpflow-reader --drain delivers %s\n",
	       n, n == 1 ? "" : "s", (unsigned long long)all.packets, (unsigned long long)all.bytes,
	       unsettled ? ", and a drain stopped while swapping" : "", (unsigned long long)ids[0],
	       when, n == 1 ? "it" : "them");
	free(ids);
}

/* How xdpflow runs on one interface (st read with ours = the pins asked about). */
static void print_attachment(const char *label, const struct iface *ifc, const struct xdp_state *st)
{
	char chain[96];

	if (st->legacy)
		snprintf(chain, sizeof(chain),
			 "single-program mode (no dispatcher: no other XDP program can share it)");
	else
		snprintf(chain, sizeof(chain), "multi-prog mode, position %d of %d in libxdp's dispatcher",
			 st->position, st->count);
	printf("%s %s (ifindex %u): program id %u, %s mode, %s, priority %u\n", label, ifc->name,
	       ifc->ifindex, xdp_program__id(st->xdpflow), mode_name(st->mode), chain,
	       xdp_program__run_prio(st->xdpflow));
}

/*
 * One line per interface running xdpflow with the maps pinned at the
 * folder asked about, then one per xdpflow with other maps, saying where
 * those are pinned.  Returns how many run ours.
 */
static int print_attachments(const struct loader_opts *o, const struct pinset *ps,
			     const struct pin_folders *pf)
{
	const char *label = "attached to:  ";
	char where[PATH_MAX + 64];
	struct iface *all;
	struct xdp_state st;
	__u32 *ids, *others, user;
	size_t n, i, n_others = 0;
	int ours = 0;

	if (iface_list(&all, &n)) {
		printf("%s ? (cannot list the interfaces)\n", label);
		return 0;
	}
	/* ids: our programs (for pinset_user); others: an xdpflow with other maps per interface. */
	ids = calloc(n ? n : 1, sizeof(*ids));
	others = calloc(n ? n : 1, sizeof(*others));
	for (i = 0; ids && others && i < n; i++) {
		if (!xdp_state_read(all[i].ifindex, ps, &st) && st.owner == OWNER_OURS) {
			print_attachment(label, &all[i], &st);
			label = "              ";
			ids[ours++] = xdp_program__id(st.xdpflow);
		} else if (st.owner == OWNER_OTHER_PINS) {
			others[i] = xdp_program__id(st.xdpflow);
			n_others++;
		}
		xdp_state_free(&st);
	}
	if (!ours)
		printf("%s nowhere in this network namespace with the maps pinned at %s\n", label,
		       o->pin_dir);
	/* Every line its label: a script reading "attached to:" lines never takes these for ours. */
	for (i = 0; n_others && i < n; i++)
		if (others[i])
			printf("other xdpflow: %s (ifindex %u): program id %u, its maps pinned %s\n",
			       all[i].name, all[i].ifindex, others[i],
			       prog_pins_where(pf, others[i], where, sizeof(where)));
	/* A program holding the maps that no interface here runs: say so, it still counts. */
	user = ids ? pinset_user(ps, ids, ours) : 0;
	if (user)
		printf("also used by:  XDP program id %u, attached to no interface here (another "
		       "network namespace, or kept by libxdp's dispatcher pins for a deleted "
		       "interface: see xdpflow-loader clean)\n", user);
	free(others);
	free(ids);
	free(all);
	return ours;
}

/* What was counted and the table's fill: the reader's totals table, from one read of the maps. */
static int print_counts(const struct loader_opts *o, const struct pin_maps *pm)
{
	struct reader_opts view = { .pin_path = o->pin_dir, .format = FORMAT_TABLE, .print = true };
	struct snapshot_tables t;
	struct report r;
	int err;

	err = snapshot_tables_open_current(pm, &t);
	if (err)
		return err;
	view.views[VIEW_TOTALS] = true;
	report_init(&r, &view, stdout, NULL);
	putchar('\n');
	err = report_run(&r, &t, -1, pm->ncpus);
	snapshot_tables_close(&t);
	if (err)
		return err;
	printf("not recorded:  %llu packets, %llu bytes (frames of flows the full table "
	       "refused; still counted per protocol)\n",
	       (unsigned long long)r.read_unrecorded.packets,
	       (unsigned long long)r.read_unrecorded.bytes);
	return 0;
}

static int print_fill(const struct loader_opts *o)
{
	struct pin_maps pm;
	char msg[512];
	int err;

	err = pin_open(o->pin_dir, false, &pm, msg, sizeof(msg));
	if (err) {
		say_error("%s", msg);
		return err;
	}
	err = print_counts(o, &pm);
	if (err)
		say_error("cannot read the maps at %s: %s", o->pin_dir, strerror(-err));
	pin_close(&pm);
	return err;
}

int cmd_status(const struct loader_opts *o, char **args, int nargs)
{
	struct pin_folders pf;
	struct pinset ps;
	int err;

	(void)args, (void)nargs; /* none: the command table says so */
	err = require_capabilities("status", false);
	if (err)
		return err;
	memset(&ps, 0, sizeof(ps));
	if (pin_bpffs_ensure(o->pin_dir, false, NULL)) {
		printf("pin folder:    %s: no bpf filesystem mounted at %s, so no pins\n", o->pin_dir,
		       XDPFLOW_BPFFS);
	} else {
		err = pinset_read(o->pin_dir, &ps);
		if (err) {
			say_error("cannot read the pins in %s: %s", o->pin_dir, strerror(-err));
			return err;
		}
		print_pin_folder(o->pin_dir, &ps);
		print_pending(o->pin_dir);
	}
	if (pin_folders_find(&pf)) {
		say_error("out of memory");
		return -ENOMEM;
	}
	print_attachments(o, &ps, &pf);
	pin_folders_free(&pf);
	/* Pins that cannot be read (none, incomplete, not ours): print_fill() says why, exit 1. */
	return print_fill(o);
}
