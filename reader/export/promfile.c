// SPDX-License-Identifier: GPL-2.0
/* --drain --format prometheus --output FILE: FILE keeps running totals, each drain adds its counts. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "export/promfile.h"

static struct prom_family *family_get(struct prom_text *t, const char *name, size_t len)
{
	struct prom_family *f;
	size_t i;

	for (i = t->n; i-- > 0;)
		if (t->fam[i].name_len == len && !memcmp(t->fam[i].name, name, len))
			return &t->fam[i];
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;

		f = realloc(t->fam, cap * sizeof(*f));
		if (!f)
			return NULL;
		t->fam = f;
		t->cap = cap;
	}
	f = &t->fam[t->n++];
	memset(f, 0, sizeof(*f));
	f->name = name;
	f->name_len = len;
	return f;
}

static int add_sample(struct prom_family *f, const char *series, size_t len,
		      unsigned long long value)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		struct prom_sample *v = realloc(f->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n++] = (struct prom_sample){ series, len, value };
	return 0;
}

/* Length of the token at p (up to a blank or the end). */
static size_t token_len(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && *q != ' ' && *q != '\t')
		q++;
	return q - p;
}

/* "# HELP name ..." / "# TYPE name type": the family, and the line kept whole. */
static int comment_line(struct prom_text *t, const char *p, const char *end)
{
	bool help = end - p > 7 && !memcmp(p, "# HELP ", 7);
	bool type = end - p > 7 && !memcmp(p, "# TYPE ", 7);
	struct prom_family *f;
	const char *name, *kind;
	size_t nlen;

	if (!help && !type)
		return 0; /* other comments (the mark) are not kept */
	name = p + 7;
	nlen = token_len(name, end);
	f = family_get(t, name, nlen);
	if (!f)
		return -ENOMEM;
	if (help) {
		f->help = p;
		f->help_len = end - p;
	} else {
		f->type = p;
		f->type_len = end - p;
		kind = name + nlen + 1;
		f->counter = kind < end && (size_t)(end - kind) == 7 && !memcmp(kind, "counter", 7);
	}
	return 0;
}

/* *last: index of the family of the previous sample (samples come grouped), or SIZE_MAX. */
static int sample_line(struct prom_text *t, const char *p, const char *end, size_t *last)
{
	const char *sp = end, *name_end;
	unsigned long long v = 0;
	struct prom_family *f;
	const char *q;

	/* The value is the last token; label values may hold blanks. */
	while (sp > p && sp[-1] != ' ')
		sp--;
	if (sp == p || sp == end || sp - 1 == p)
		return -EPROTO;
	for (q = sp; q < end; q++) {
		if (*q < '0' || *q > '9' || v > (~0ull - 9) / 10)
			return -EPROTO;
		v = v * 10 + (*q - '0');
	}
	name_end = memchr(p, '{', sp - 1 - p);
	if (!name_end)
		name_end = sp - 1;
	f = *last < t->n ? &t->fam[*last] : NULL;
	if (!f || f->name_len != (size_t)(name_end - p) || memcmp(f->name, p, name_end - p)) {
		f = family_get(t, p, name_end - p);
		if (!f)
			return -ENOMEM;
		*last = f - t->fam;
	}
	return add_sample(f, p, sp - 1 - p, v);
}

/* Parse t->buf in place; lineno of a bad line in *bad. */
static int parse(struct prom_text *t, size_t *bad)
{
	size_t last = SIZE_MAX;
	const char *p = t->buf, *end = t->buf + t->len, *nl;
	size_t lineno = 0;
	int err = 0;

	while (p < end && !err) {
		nl = memchr(p, '\n', end - p);
		if (!nl)
			nl = end;
		lineno++;
		if (nl == p)
			err = 0;
		else if (*p == '#')
			err = comment_line(t, p, nl);
		else
			err = sample_line(t, p, nl, &last);
		p = nl + 1;
	}
	*bad = lineno;
	return err;
}

int promfile_parse(struct prom_text *t, const char *text, size_t len, char *msg, size_t msglen)
{
	size_t bad;
	int err;

	memset(t, 0, sizeof(*t));
	t->buf = malloc(len + 1);
	if (!t->buf)
		return -ENOMEM;
	memcpy(t->buf, text, len);
	t->buf[len] = '\0';
	t->len = len;
	err = parse(t, &bad);
	if (err)
		snprintf(msg, msglen, "the Prometheus text has a bad line %zu", bad);
	return err;
}

int promfile_load(struct prom_text *t, const char *path, char *msg, size_t msglen)
{
	size_t mark = strlen(PROMFILE_MARK), bad, got = 0;
	struct stat st;
	ssize_t n;
	int fd, err;

	memset(t, 0, sizeof(*t));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		err = -errno;
		snprintf(msg, msglen, "--output %s: cannot read the running totals in it: %s", path,
			 strerror(errno));
		return err;
	}
	if (fstat(fd, &st) || !(t->buf = malloc(st.st_size + 1))) {
		err = -(errno ? errno : ENOMEM);
		close(fd);
		snprintf(msg, msglen, "--output %s: %s", path, strerror(-err));
		return err;
	}
	while (got < (size_t)st.st_size && (n = read(fd, t->buf + got, st.st_size - got)) > 0)
		got += n;
	close(fd);
	t->buf[got] = '\0';
	t->len = got;
	if (!got)
		return 0;
	if (got < mark || memcmp(t->buf, PROMFILE_MARK, mark) ||
	    (got > mark && t->buf[mark] != '\n')) {
		snprintf(msg, msglen, "--output %s exists and does not hold the running totals of "
			 "earlier drains (its first line is not \"%s\"): adding to it would count "
			 "twice; move it away or name another file", path, PROMFILE_MARK);
		return -EPROTO;
	}
	err = parse(t, &bad);
	if (err == -EPROTO)
		snprintf(msg, msglen, "--output %s line %zu is not a sample this reader writes: "
			 "move the file away or name another one", path, bad);
	else if (err)
		snprintf(msg, msglen, "--output %s: %s", path, strerror(-err));
	return err;
}

static int cmp_sample(const void *a, const void *b)
{
	const struct prom_sample *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->series, y->series, n);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void sort_family(struct prom_family *f)
{
	if (!f->sorted && f->n > 1)
		qsort(f->v, f->n, sizeof(*f->v), cmp_sample);
	f->sorted = 1;
}

static void put_line(FILE *out, const char *s, size_t len)
{
	if (s) {
		fwrite_unlocked(s, 1, len, out);
		putc_unlocked('\n', out);
	}
}

static void put_sample(FILE *out, const char *series, size_t len, unsigned long long v)
{
	char buf[24], *p = buf + sizeof(buf);

	*--p = '\n';
	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	*--p = ' ';
	fwrite_unlocked(series, 1, len, out);
	fwrite_unlocked(p, 1, buf + sizeof(buf) - p, out);
}

static void put_samples(FILE *out, const struct prom_family *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		put_sample(out, f->v[i].series, f->v[i].len, f->v[i].value);
}

static struct prom_family *find(struct prom_text *t, const struct prom_family *like)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->fam[i].name_len == like->name_len &&
		    !memcmp(t->fam[i].name, like->name, like->name_len))
			return &t->fam[i];
	return NULL;
}

/* Both families sorted: every series of either, counters of both added. */
static void put_sum(FILE *out, struct prom_family *o, struct prom_family *n)
{
	size_t i = 0, j = 0;
	int c;

	sort_family(o);
	sort_family(n);
	while (i < o->n || j < n->n) {
		c = i == o->n ? 1 : j == n->n ? -1 : cmp_sample(&o->v[i], &n->v[j]);
		if (c < 0) {
			put_sample(out, o->v[i].series, o->v[i].len, o->v[i].value);
			i++;
		} else if (c > 0) {
			put_sample(out, n->v[j].series, n->v[j].len, n->v[j].value);
			j++;
		} else {
			put_sample(out, n->v[j].series, n->v[j].len, o->v[i].value + n->v[j].value);
			i++;
			j++;
		}
	}
}

int promfile_merge(struct prom_text *old, struct prom_text *new, FILE *out)
{
	struct prom_family *n, *o;
	size_t i;

	fputs(PROMFILE_MARK "\n", out);
	for (i = 0; i < new->n; i++) {
		n = &new->fam[i];
		o = find(old, n);
		put_line(out, n->help ? n->help : o ? o->help : NULL,
			 n->help ? n->help_len : o ? o->help_len : 0);
		put_line(out, n->type ? n->type : o ? o->type : NULL,
			 n->type ? n->type_len : o ? o->type_len : 0);
		if (o && n->counter)
			put_sum(out, o, n);
		else
			put_samples(out, n);
	}
	/* What this drain did not write (other views) stays as it was. */
	for (i = 0; i < old->n; i++) {
		o = &old->fam[i];
		if (find(new, o))
			continue;
		put_line(out, o->help, o->help_len);
		put_line(out, o->type, o->type_len);
		put_samples(out, o);
	}
	return ferror(out) ? -EIO : 0;
}

int promfile_value(struct prom_text *t, const char *name, unsigned long long *value)
{
	struct prom_family like = { .name = name, .name_len = strlen(name) }, *f = find(t, &like);
	size_t i;

	for (i = 0; f && i < f->n; i++)
		if (f->v[i].len == like.name_len) {
			*value = f->v[i].value;
			return 0;
		}
	return -ENOENT;
}

void promfile_free(struct prom_text *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->fam[i].v);
	free(t->fam);
	free(t->buf);
	memset(t, 0, sizeof(*t));
}
