// SPDX-License-Identifier: GPL-2.0
/* pin/: before a load, the object's maps pointed at the pins, checked against what is pinned already. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "internal.h"

/*
 * Pins to be reused must be xdpflow's maps: libbpf would otherwise fail the
 * load with a bare EINVAL (or EPERM) that names no pin.  pin_open() checks
 * every pin and explains; the flow table's capacity comes with it.
 */
static int check_reused_pins(const char *dir, __u32 *capacity, char *msg, size_t msglen)
{
	struct pin_maps pm;
	int err;

	err = pin_open(dir, false, &pm, msg, msglen);
	if (err)
		return err;
	*capacity = pm.max_flows;
	pin_close(&pm);
	return 0;
}

int pin_prepare_object(struct bpf_object *obj, const char *dir, __u32 max_flows,
		       char *msg, size_t msglen)
{
	struct bpf_map *map, *initial;
	char path[PATH_MAX];
	__u32 found, capacity = 0;
	int id, err;

	map = bpf_object__find_map_by_name(obj, XDPFLOW_MAP_LAYOUT);
	if (!map || bpf_map__max_entries(map) != XDPFLOW_LAYOUT_VERSION) {
		snprintf(msg, msglen, "%s is not an xdpflow object of map layout version %u: "
			 "rebuild it with 'make' or use the one installed with these tools",
			 bpf_object__name(obj), XDPFLOW_LAYOUT_VERSION);
		return -EPROTO;
	}
	err = pin_probe_layout(dir, &found);
	if (err) {
		snprintf(msg, msglen, "cannot inspect pin folder %s: %s", dir, strerror(-err));
		return err;
	}
	if (found && found != XDPFLOW_LAYOUT_VERSION) {
		layout_message(dir, found, msg, msglen);
		return -EPROTO;
	}
	if (found) {
		err = check_reused_pins(dir, &capacity, msg, msglen);
		if (err)
			return err;
	}
	if (found && max_flows && capacity != max_flows) {
		snprintf(msg, msglen, "the flow table pinned at %s holds %u flows, not %u: "
			 "to resize, run 'xdpflow-loader detach --purge' then attach with --max-flows %u",
			 dir, capacity, max_flows, max_flows);
		return -EEXIST;
	}
	for (id = 0; id < PIN_MAP_COUNT; id++) {
		map = bpf_object__find_map_by_name(obj, pin_shapes[id].name);
		if (!map || pin_map_path(dir, id, path, sizeof(path)))
			goto bad_object;
		err = bpf_map__set_pin_path(map, path);
		if (err)
			goto bad_object;
		if (!pin_shapes[id].epoch0)
			continue;
		initial = bpf_object__find_map_by_name(obj, pin_shapes[id].epoch0);
		if (!initial)
			goto bad_object;
		/* Reused pins keep their tables: do not allocate unused copies. */
		if (found && bpf_map__set_autocreate(initial, false))
			goto bad_object;
		/*
		 * Only the table needs the size: kernels since 5.10 accept
		 * hash tables of any max_entries in the slot, and libbpf
		 * 1.1 crashes resizing the outer map's inner template.
		 */
		if (pin_shapes[id].sized && max_flows && bpf_map__set_max_entries(initial, max_flows))
			goto bad_object;
	}
	return 0;
bad_object:
	snprintf(msg, msglen, "%s does not have the maps of xdpflow layout version %u: rebuild it",
		 bpf_object__name(obj), XDPFLOW_LAYOUT_VERSION);
	return -EPROTO;
}
