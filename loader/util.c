// SPDX-License-Identifier: GPL-2.0
/* loader/: capability checks, explaining errors, bpffs and the object file's location. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <bpf/libbpf.h>
#include "loader.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

int require_capabilities(const char *command, bool changes)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
	char missing[96] = "";
	bool sys_admin, bpf;

	/* libc has no capget() wrapper and libcap is not worth a dependency. */
	if (syscall(SYS_capget, &hdr, data))
		return 0; /* cannot tell: let the operations themselves fail */
	sys_admin = has_cap(data, CAP_SYS_ADMIN);
	/* CAP_SYS_ADMIN implies what CAP_BPF grants. */
	bpf = has_cap(data, CAP_BPF) || sys_admin;
	if (changes && !has_cap(data, CAP_NET_ADMIN))
		strcat(missing, " CAP_NET_ADMIN");
	if (!bpf)
		strcat(missing, " CAP_BPF");
	if (!sys_admin)
		strcat(missing, " CAP_SYS_ADMIN");
	if (!missing[0])
		return 0;
	say_error("%s needs %sCAP_BPF and CAP_SYS_ADMIN (missing:%s): run it as root "
		  "(e.g. with sudo) and with those capabilities", command,
		  changes ? "CAP_NET_ADMIN, " : "", missing);
	return -EPERM;
}

const char *explain_errno(int err, char *buf, size_t size)
{
	if (err < 0)
		err = -err;
	if (err == EPERM || err == EACCES)
		snprintf(buf, size, "%s (needs CAP_NET_ADMIN, CAP_BPF and CAP_SYS_ADMIN: run as root)",
			 strerror(err));
	else
		libxdp_strerror(-err, buf, size);
	return buf;
}

int ensure_bpffs(const char *dir)
{
	bool mounted;
	int err;

	err = pin_bpffs_ensure(dir, true, &mounted);
	if (err == -EXDEV) {
		say_error("no bpf filesystem at %s in this mount namespace, " PIN_PRIVATE_NS_HINT
			  "; nothing changed", XDPFLOW_BPFFS);
		return err;
	}
	if (err) {
		say_error("no bpf filesystem at %s and mounting one failed (%s): "
			  "run as root or mount it: mount -t bpf bpf %s",
			  XDPFLOW_BPFFS, strerror(-err), XDPFLOW_BPFFS);
		return err;
	}
	if (mounted)
		say_note("mounted the bpf filesystem at %s (it was not mounted)", XDPFLOW_BPFFS);
	return 0;
}

static bool readable(const char *path)
{
	return !access(path, R_OK);
}

static int try_path(char *path, size_t size, const char *dir, const char *rel)
{
	int n = snprintf(path, size, "%s/%s", dir, rel);

	return n > 0 && (size_t)n < size && readable(path);
}

int find_object(const struct loader_opts *o, char *path, size_t size)
{
	const char *env = getenv("XDPFLOW_OBJ");
	char exe[PATH_MAX], *slash;
	ssize_t len;

	if (o->obj_path || (env && *env)) {
		const char *p = o->obj_path ? o->obj_path : env;

		snprintf(path, size, "%s", p);
		if (readable(path))
			return 0;
		say_error("cannot read the XDP object %s%s: %s", path,
			  o->obj_path ? "" : " (from $XDPFLOW_OBJ)", strerror(errno));
		return -ENOENT;
	}
	/*
	 * A build tree (build/xdpflow-loader, build/asan/xdpflow-loader), then an installed
	 * tree wherever it is (PREFIX/sbin and PREFIX/lib/<multiarch>/bpf), then the folder
	 * this loader was built to be installed with.
	 */
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len > 0) {
		exe[len] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if (try_path(path, size, exe, "xdpflow.bpf.o") ||
			    try_path(path, size, exe, "../xdpflow.bpf.o") ||
			    try_path(path, size, exe, "../" XDPFLOW_BPF_SUBDIR "/xdpflow.bpf.o"))
				return 0;
		}
	}
	if (try_path(path, size, XDPFLOW_BPF_DIR, "xdpflow.bpf.o"))
		return 0;
	say_error("cannot find xdpflow.bpf.o next to %s, in ../%s from it, or in %s: "
		  "build it with 'make', install it, or pass --obj PATH",
		  LOADER_NAME, XDPFLOW_BPF_SUBDIR, XDPFLOW_BPF_DIR);
	return -ENOENT;
}

void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}
