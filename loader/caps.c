// SPDX-License-Identifier: GPL-2.0
/* loader/: give up every capability a long-running command no longer needs (raw capset/prctl). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include "caps.h"

/* Kernel headers older than 5.8 have no CAP_BPF. */
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

#define CAP_BIT(c) (UINT64_C(1) << (c))

uint64_t caps_run_keep(void)
{
	/*
	 * CAP_SYS_ADMIN: bpf() by id (libxdp finds the programs on the
	 * interface, the reader opens the inner tables), and CAP_BPF's work on
	 * kernels without it; CAP_NET_ADMIN: the netlink request that detaches.
	 */
	return CAP_BIT(CAP_NET_ADMIN) | CAP_BIT(CAP_SYS_ADMIN) | CAP_BIT(CAP_BPF);
}

static int cap_get(struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3])
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };

	/* libc has no capget()/capset() wrappers and libcap is not worth a dependency. */
	return syscall(SYS_capget, &hdr, data) ? -errno : 0;
}

static uint64_t mask_of(const __u32 words[2])
{
	return (uint64_t)words[1] << 32 | words[0];
}

int caps_keep_only(uint64_t keep, char *msg, size_t size)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
	__u32 word[2];
	uint64_t permitted, kept;
	bool bounding_left = false;
	int cap, ret, err;

	msg[0] = '\0';
	err = cap_get(data);
	if (err) {
		snprintf(msg, size, "cannot read the process's capabilities: %s", strerror(-err));
		return err;
	}
	word[0] = data[0].permitted;
	word[1] = data[1].permitted;
	permitted = mask_of(word);
	kept = keep & permitted;

	/* No execve() from here on can gain privileges (setuid, file capabilities). */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		err = -errno;
		snprintf(msg, size, "cannot set no_new_privs: %s", strerror(-err));
		return err;
	}
	/* Ambient capabilities would survive an execve(); EINVAL: kernel before 4.3. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL) {
		err = -errno;
		snprintf(msg, size, "cannot clear the ambient capabilities: %s", strerror(-err));
		return err;
	}
	/*
	 * The bounding set, while CAP_SETPCAP is still effective: it caps what
	 * even root gets back from an execve().  PR_CAPBSET_READ fails with
	 * EINVAL past the kernel's last capability.
	 */
	for (cap = 0; cap < 64; cap++) {
		ret = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
		if (ret < 0)
			break;
		if (!ret || (kept & CAP_BIT(cap)))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)) {
			if (errno != EPERM) {
				err = -errno;
				snprintf(msg, size, "cannot drop capability %d from the bounding set: %s",
					 cap, strerror(-err));
				return err;
			}
			bounding_left = true;
		}
	}
	/* Effective and permitted: only what is kept; inheritable: nothing. */
	memset(data, 0, sizeof(data));
	data[0].effective = data[0].permitted = (__u32)kept;
	data[1].effective = data[1].permitted = (__u32)(kept >> 32);
	if (syscall(SYS_capset, &hdr, data)) {
		err = -errno;
		snprintf(msg, size, "cannot drop capabilities: %s", strerror(-err));
		return err;
	}
	/* Check what the kernel now says, rather than trust the call. */
	err = cap_get(data);
	if (err) {
		snprintf(msg, size, "cannot read the process's capabilities: %s", strerror(-err));
		return err;
	}
	word[0] = data[0].effective | data[0].permitted | data[0].inheritable;
	word[1] = data[1].effective | data[1].permitted | data[1].inheritable;
	if (mask_of(word) & ~kept) {
		snprintf(msg, size, "capabilities beyond the kept ones remain after capset");
		return -EPERM;
	}
	if (bounding_left)
		snprintf(msg, size, "could not shrink the capability bounding set (no CAP_SETPCAP); "
			 "the effective, permitted and inheritable sets were reduced");
	return 0;
}
