/* SPDX-License-Identifier: GPL-2.0 */
/* loader/: give up every capability a long-running command no longer needs (raw capset/prctl). */
#ifndef XDPFLOW_LOADER_CAPS_H
#define XDPFLOW_LOADER_CAPS_H

#include <stddef.h>
#include <stdint.h>

/* What run keeps once attached (reading the maps, the final detach): bit N is capability N. */
uint64_t caps_run_keep(void);

/*
 * Keep only the capabilities in keep (and only those the process already
 * holds): set no_new_privs, clear the ambient set, drop every other
 * capability from the bounding set, and set the effective and permitted
 * sets to what is kept and the inheritable set to nothing.
 * Returns 0, or -errno with one line describing what failed in msg.  If
 * the bounding set cannot be reduced (no CAP_SETPCAP), the rest is still
 * done, 0 is returned and msg holds a warning; otherwise msg is "".
 */
int caps_keep_only(uint64_t keep, char *msg, size_t size);

#endif /* XDPFLOW_LOADER_CAPS_H */
