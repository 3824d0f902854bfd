/* SPDX-License-Identifier: GPL-2.0 */
/* pin/: what the library's own files share and the tools need not see. */
#ifndef XDPFLOW_PIN_INTERNAL_H
#define XDPFLOW_PIN_INTERNAL_H

#include <bpf/bpf.h>
#include "xdpflow.h"

/* What each pinned map must look like; for outer maps, the table inside. */
struct map_shape {
	const char *name;
	enum bpf_map_type type;
	__u32 key_size;
	__u32 value_size;
	enum bpf_map_type inner_type;
	__u32 inner_key_size;
	__u32 inner_value_size;
	const char *epoch0; /* the object's initial table for the outer map's slot */
	bool sized; /* by max_flows */
};

extern const struct map_shape pin_shapes[PIN_MAP_COUNT];

/*
 * Room for one more element in the array v of *cap elements of size
 * bytes, n of them used: v itself while there is room, else v grown by
 * doubling (first elements to start) and *cap updated.  NULL when out of
 * memory, with v and *cap unchanged.
 */
void *array_room(void *v, size_t n, size_t *cap, size_t size, size_t first);

/* Is path on a bpf filesystem? */
bool is_bpffs(const char *path);

/* bpf_obj_get_info_by_fd() of a map: 0 or -errno. */
int map_info(int fd, struct bpf_map_info *info);

/*
 * What sits at a pin name that bpf_obj_get() could not open as an object
 * (a directory, a dangling symbolic link); NULL if nothing is there or it
 * looks like a pin (then the error itself explains).
 */
const char *foreign_entry(const char *path);

/* The one line that says a pin folder holds another layout version (or something else). */
void layout_message(const char *dir, __u32 found, char *msg, size_t msglen);

#endif /* XDPFLOW_PIN_INTERNAL_H */
