// SPDX-License-Identifier: GPL-2.0
/* loader/: list: the interfaces of this network namespace and the XDP programs on each. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader.h"

static void describe_programs(const struct xdp_state *st, char *buf, size_t size)
{
	struct xdp_program *main_prog, *prog;
	size_t len;

	if (!st->mp) {
		snprintf(buf, size, "-");
		return;
	}
	main_prog = xdp_multiprog__main_prog(st->mp);
	if (st->legacy) {
		snprintf(buf, size, "%s%s (id %u, %s, single program)",
			 xdp_program__name(main_prog),
			 st->owner == OWNER_OURS ? "*" : st->owner == OWNER_OTHER_PINS ? "+" : "",
			 xdp_program__id(main_prog), mode_name(st->mode));
		return;
	}
	len = snprintf(buf, size, "%s (id %u, %s):", xdp_program__name(main_prog),
		       xdp_program__id(main_prog), mode_name(st->mode));
	for (prog = xdp_multiprog__next_prog(NULL, st->mp); prog && len < size;
	     prog = xdp_multiprog__next_prog(prog, st->mp)) {
		const char *mark = "";

		if (prog == st->xdpflow)
			mark = st->owner == OWNER_OURS ? "*" : "+";
		len += snprintf(buf + len, size - len, " %s%s (id %u, prio %u)",
				xdp_program__name(prog), mark, xdp_program__id(prog),
				xdp_program__run_prio(prog));
	}
}

/* An xdpflow with other maps than those at the pin folder: footnoted with their folder. */
struct other_xdpflow {
	size_t iface; /* in the list of interfaces */
	__u32 prog_id;
};

/* Every folder holding xdpflow's maps, attached or not: what --pin-path can name. */
static void print_pin_folders(const struct pin_folders *pf)
{
	size_t i, size = 64;
	char *names;

	/* Each folder's name and ", " (a folder repeats once per map pinned there). */
	for (i = 0; i < pf->n; i++)
		size += strlen(pf->v[i].dir) + 2;
	names = malloc(size);
	if (!names)
		return;
	if (pin_folders_list(pf, NULL, pf->n, names, size))
		printf("pin folders of xdpflow's maps%s: %s\n",
		       pf->truncated ? " (in the part of " XDPFLOW_BPFFS " searched)" : "", names);
	free(names);
}

int cmd_list(const struct loader_opts *o, char **args, int nargs)
{
	bool ours = false, denied = false;
	struct pin_folders pf = {};
	struct iface *all;
	struct xdp_state st;
	struct pinset ps = {};
	struct other_xdpflow *others;
	char progs[512], where[PATH_MAX + 64];
	size_t n, i, n_others = 0;
	int err;

	(void)args, (void)nargs; /* none: the command table says so */
	err = iface_list(&all, &n);
	if (err) {
		say_error("cannot list the interfaces: %s", strerror(-err));
		return err;
	}
	/* Without bpffs or the pins, xdpflow programs are simply not marked as ours. */
	if (!pin_bpffs_ensure(o->pin_dir, false, NULL))
		pinset_read(o->pin_dir, &ps);
	others = calloc(n ? n : 1, sizeof(*others));
	if (!others || pin_folders_find(&pf)) {
		say_error("out of memory");
		free(others);
		free(all);
		return -ENOMEM;
	}
	printf("%-8s %-16s %-10s %s\n", "IFINDEX", "IFACE", "STATE", "XDP PROGRAMS");
	for (i = 0; i < n; i++) {
		err = xdp_state_read(all[i].ifindex, &ps, &st);
		if (err) {
			snprintf(progs, sizeof(progs), "? (%s)", strerror(-err));
			denied |= err == -EPERM || err == -EACCES;
		} else {
			describe_programs(&st, progs, sizeof(progs));
			ours |= st.owner == OWNER_OURS;
			if (st.owner == OWNER_OTHER_PINS)
				others[n_others++] = (struct other_xdpflow){
					i, xdp_program__id(st.xdpflow) };
		}
		printf("%-8u %-16s %-10s %s\n", all[i].ifindex, all[i].name,
		       iface_state(all[i].name), progs);
		xdp_state_free(&st);
	}
	if (ours)
		printf("* xdpflow with the maps pinned at %s\n", o->pin_dir);
	for (i = 0; i < n_others; i++)
		printf("+ xdpflow on %s (id %u) uses maps pinned %s\n", all[others[i].iface].name,
		       others[i].prog_id, prog_pins_where(&pf, others[i].prog_id, where,
							  sizeof(where)));
	print_pin_folders(&pf);
	pin_folders_free(&pf);
	free(others);
	free(all);
	if (denied) {
		say_error("cannot see the XDP programs: reading them needs CAP_SYS_ADMIN "
			  "(and CAP_BPF): run as root");
		return -EPERM;
	}
	return 0;
}
