// SPDX-License-Identifier: GPL-2.0
/* --output FILE: write a hidden temporary file next to FILE, then fsync and rename it over FILE. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "export/outfile.h"

#define OUT_BUF_SIZE (256 * 1024)

static int fail(int err, char *msg, size_t msglen, const char *fmt, const char *path)
{
	snprintf(msg, msglen, fmt, path, strerror(-err));
	return err;
}

int out_file_open(struct out_file *o, const char *path, char *msg, size_t msglen)
{
	char dcopy[PATH_MAX], bcopy[PATH_MAX], *dir, *base;
	struct stat st;
	bool exists;
	mode_t mode, mask;
	int fd, n, err;

	memset(o, 0, sizeof(*o));
	if (strlen(path) >= sizeof(o->path))
		return fail(-ENAMETOOLONG, msg, msglen, "--output %s: %s", path);
	/* A symbolic link: replace the file it names, not the link. */
	if (!lstat(path, &st) && S_ISLNK(st.st_mode)) {
		if (!realpath(path, o->path))
			return fail(-errno, msg, msglen, "--output %s: cannot follow the link: %s",
				    path);
	} else {
		snprintf(o->path, sizeof(o->path), "%s", path);
	}
	exists = !stat(o->path, &st);
	if (exists && !S_ISREG(st.st_mode)) {
		snprintf(msg, msglen, "--output %s: not a regular file (a folder or a device); name "
			 "a file, or leave out --output to write to stdout", path);
		return -EINVAL;
	}
	n = strlen(o->path);
	if (!n || o->path[n - 1] == '/') {
		snprintf(msg, msglen, "--output %s: names a folder; name a file in it", path);
		return -EISDIR;
	}
	snprintf(dcopy, sizeof(dcopy), "%s", o->path);
	snprintf(bcopy, sizeof(bcopy), "%s", o->path);
	dir = dirname(dcopy);
	base = basename(bcopy);
	n = snprintf(o->tmp, sizeof(o->tmp), "%s/.%s.XXXXXX", dir, base);
	if (n < 0 || (size_t)n >= sizeof(o->tmp))
		return fail(-ENAMETOOLONG, msg, msglen, "--output %s: %s", path);
	fd = mkstemp(o->tmp);
	if (fd < 0) {
		err = -errno;
		o->tmp[0] = '\0';
		if (err == -ENOENT || err == -ENOTDIR)
			snprintf(msg, msglen, "--output %s: no folder %s: create it, or name a file in "
				 "an existing folder", path, dir);
		else
			snprintf(msg, msglen, "--output %s: cannot create a file in %s: %s", path, dir,
				 strerror(-err));
		return err;
	}
	if (exists) {
		mode = st.st_mode & 07777;
		/* Keep the owner and group a textfile collector may rely on; allowed to root. */
		if (fchown(fd, st.st_uid, st.st_gid))
			(void)0;
	} else {
		mask = umask(0);
		umask(mask);
		mode = 0666 & ~mask;
	}
	if (fchmod(fd, mode)) {
		err = -errno;
		close(fd);
		out_file_abort(o);
		return fail(err, msg, msglen, "--output %s: cannot set the file mode: %s", path);
	}
	o->f = fdopen(fd, "w");
	o->buf = malloc(OUT_BUF_SIZE);
	if (!o->f || !o->buf) {
		if (o->f)
			fclose(o->f);
		else
			close(fd);
		o->f = NULL;
		out_file_abort(o);
		return fail(-ENOMEM, msg, msglen, "--output %s: %s", path);
	}
	setvbuf(o->f, o->buf, _IOFBF, OUT_BUF_SIZE);
	return 0;
}

static void sync_folder(const char *path)
{
	char copy[PATH_MAX];
	int fd;

	snprintf(copy, sizeof(copy), "%s", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	/* The rename is done either way; this only makes it last across a crash. */
	if (fsync(fd))
		(void)0;
	close(fd);
}

int out_file_commit(struct out_file *o, char *msg, size_t msglen)
{
	int err = 0;

	if (!o->f)
		return fail(-EBADF, msg, msglen, "--output %s: %s", o->path);
	if (fflush(o->f) || ferror(o->f))
		err = -(errno ? errno : EIO);
	else if (fsync(fileno(o->f)))
		err = -errno;
	if (fclose(o->f) && !err)
		err = -(errno ? errno : EIO);
	o->f = NULL;
	free(o->buf);
	o->buf = NULL;
	if (!err && rename(o->tmp, o->path))
		err = -errno;
	if (err) {
		out_file_abort(o);
		snprintf(msg, msglen, "cannot write --output %s: %s; %s is left as it was", o->path,
			 strerror(-err), o->path);
		return err;
	}
	o->tmp[0] = '\0';
	sync_folder(o->path);
	return 0;
}

void out_file_abort(struct out_file *o)
{
	if (o->f) {
		fclose(o->f);
		o->f = NULL;
	}
	free(o->buf);
	o->buf = NULL;
	if (o->tmp[0])
		unlink(o->tmp);
	o->tmp[0] = '\0';
}
