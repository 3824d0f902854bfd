// SPDX-License-Identifier: GPL-2.0
/* --ipfix: the sequence number kept per (collector, observation domain) in the state folder, so runs make one stream. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include "export/ipfix_state.h"

static int make_folder(const char *path)
{
	return mkdir(path, 0755) && errno != EEXIST ? -errno : 0;
}

int ipfix_state_open(struct ipfix_state *st, const char *state_dir,
		     const struct ipfix_exporter *exp, uint32_t *next, char *msg, size_t msglen)
{
	char folder[PATH_MAX], buf[32];
	ssize_t n;
	int err, len;

	st->fd = -1;
	*next = 0;
	len = snprintf(folder, sizeof(folder), "%s/ipfix", state_dir);
	if (len < 0 || (size_t)len >= sizeof(folder))
		err = -ENAMETOOLONG;
	else if ((err = make_folder(state_dir)) || (err = make_folder(folder)))
		;
	else {
		len = snprintf(st->path, sizeof(st->path), "%s/%s-odid-%u.seq", folder,
			       ipfix_exporter_peer(exp), ipfix_exporter_odid(exp));
		if (len < 0 || (size_t)len >= sizeof(st->path))
			err = -ENAMETOOLONG;
		/* "ADDR port PORT": no blanks in a file name. */
		for (char *c = st->path + strlen(folder); !err && *c; c++)
			if (*c == ' ')
				*c = '_';
	}
	if (!err) {
		st->fd = open(st->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (st->fd < 0 || flock(st->fd, LOCK_EX))
			err = -errno;
	}
	if (!err) {
		n = pread(st->fd, buf, sizeof(buf) - 1, 0);
		if (n < 0)
			err = -errno;
		else {
			buf[n] = '\0';
			*next = (uint32_t)strtoul(buf, NULL, 10);
		}
	}
	if (err) {
		snprintf(msg, msglen, "cannot keep the IPFIX sequence number in %s: %s (--state-dir "
			 "names another folder)", st->fd >= 0 ? st->path : state_dir,
			 strerror(-err));
		ipfix_state_close(st);
	}
	return err;
}

int ipfix_state_save(struct ipfix_state *st, uint32_t next)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%010u\n", next);

	if (st->fd < 0)
		return 0;
	/* Always 11 bytes in place: a reader never sees half a number. */
	if (pwrite(st->fd, buf, len, 0) != len || fsync(st->fd))
		return -(errno ? errno : EIO);
	return 0;
}

void ipfix_state_close(struct ipfix_state *st)
{
	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
}
