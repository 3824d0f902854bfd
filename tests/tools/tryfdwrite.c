// SPDX-License-Identifier: GPL-2.0
/* Test tool: take every BPF map descriptor another process holds (pidfd_getfd) and try to write through it. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

static const char usage[] =
	"Usage: tryfdwrite PID\n"
	"For every BPF map descriptor process PID holds, take a copy (pidfd_getfd, root)\n"
	"and try to update element 0 through it. Prints one line per map:\n"
	"  fd N map NAME (TYPE): update EPERM     (or: update taken / update ERROR)\n"
	"and exits 0 only if there was at least one map and every update failed with EPERM:\n"
	"the process opened them all read-only.\n";

static bool is_bpf_map(int pid, int fd)
{
	char link[64], target[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/fd/%d", pid, fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return !strcmp(target, "anon_inode:bpf-map");
}

/* 1: refused with EPERM, 0: anything else (printed). */
static int try_write(int pidfd, int remote_fd)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	unsigned char key[256] = {}, value[1 << 16] = {};
	int fd, err;

	fd = syscall(SYS_pidfd_getfd, pidfd, remote_fd, 0);
	if (fd < 0) {
		printf("fd %d: cannot take a copy: %s\n", remote_fd, strerror(errno));
		return 0;
	}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		printf("fd %d: no map info: %s\n", remote_fd, strerror(errno));
		close(fd);
		return 0;
	}
	/* The kernel checks the descriptor's mode before it looks at key or value. */
	err = bpf_map_update_elem(fd, key, value, BPF_ANY) ? errno : 0;
	close(fd);
	printf("fd %d map %s (type %u): update %s\n", remote_fd, info.name, info.type,
	       !err ? "taken" : err == EPERM ? "EPERM" : strerror(err));
	return err == EPERM;
}

int main(int argc, char **argv)
{
	char path[64];
	struct dirent *d;
	int pid, pidfd, maps = 0, refused = 0;
	DIR *dir;

	if (argc != 2 || !(pid = atoi(argv[1]))) {
		fputs(usage, stderr);
		return 2;
	}
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (pidfd < 0 || !dir) {
		fprintf(stderr, "tryfdwrite: process %d: %s\n", pid, strerror(errno));
		return 1;
	}
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.' || !is_bpf_map(pid, atoi(d->d_name)))
			continue;
		maps++;
		refused += try_write(pidfd, atoi(d->d_name));
	}
	closedir(dir);
	close(pidfd);
	printf("%d maps, %d refused the write\n", maps, refused);
	return maps && refused == maps ? 0 : 1;
}
