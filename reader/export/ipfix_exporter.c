// SPDX-License-Identifier: GPL-2.0
/* IPFIX over UDP: the collector's address, and an exporter that batches messages (sendmmsg) and paces them. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "export/ipfix.h"

/* Messages per sendmmsg call: about 90 KB at the default size. */
#define IPFIX_BATCH 64

struct ipfix_exporter {
	int fd;
	struct ipfix_options opts; /* defaults filled in */
	uint32_t sequence;
	struct ipfix_msg cur;
	bool cur_open;
	unsigned int queued; /* finished messages in bufs[0..queued) */
	uint32_t queued_records[IPFIX_BATCH];
	bool templates_sent;
	uint64_t last_template_ns; /* CLOCK_MONOTONIC */
	uint32_t msgs_since_template;
	uint64_t pace_start_ns; /* CLOCK_MONOTONIC of the first paced send */
	uint64_t pace_records; /* records sent since pace_start_ns */
	struct ipfix_stats stats;
	uint32_t last_sent_records; /* of the last message sendmmsg took */
	char peer[INET6_ADDRSTRLEN + 16];
	uint8_t *bufs; /* IPFIX_BATCH buffers of opts.mtu bytes */
	struct iovec iov[IPFIX_BATCH];
	struct mmsghdr mmsg[IPFIX_BATCH];
};

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int split_collector(const char *spec, char *host, size_t hostlen, char *port,
			   size_t portlen, char *msg, size_t msglen)
{
	const char *h = spec, *p = NULL, *colon;
	size_t hlen;

	if (!spec || !*spec) {
		snprintf(msg, msglen,
			 "IPFIX collector is empty: give HOST, HOST:PORT or [IPV6]:PORT");
		return -EINVAL;
	}
	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');

		if (!end || end == spec + 1 || (end[1] && end[1] != ':')) {
			snprintf(
				msg, msglen,
				"IPFIX collector \"%s\": bad IPv6 form, write [IPV6] or [IPV6]:PORT",
				spec);
			return -EINVAL;
		}
		h = spec + 1;
		hlen = end - h;
		if (end[1] == ':')
			p = end + 2;
	} else {
		colon = strchr(spec, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL; /* a bare IPv6 address: no port */
		hlen = colon ? (size_t)(colon - spec) : strlen(spec);
		if (colon)
			p = colon + 1;
	}
	if (!hlen) {
		snprintf(msg, msglen, "IPFIX collector \"%s\": host missing, write HOST:PORT",
			 spec);
		return -EINVAL;
	}
	if (p) {
		unsigned long v = all_digits(p) && strlen(p) <= 5 ? strtoul(p, NULL, 10) : 0;

		if (v < 1 || v > 65535) {
			snprintf(msg, msglen,
				 "IPFIX collector \"%s\": port \"%s\" is not a number 1-65535",
				 spec, p);
			return -EINVAL;
		}
	}
	if (hlen >= hostlen || portlen < 6) {
		snprintf(msg, msglen, "IPFIX collector \"%s\": host name too long", spec);
		return -EINVAL;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (p)
		snprintf(port, portlen, "%lu", strtoul(p, NULL, 10));
	else
		snprintf(port, portlen, "%d", IPFIX_DEFAULT_PORT);
	return 0;
}

int ipfix_parse_collector(const char *spec, char *host, size_t hostlen, char *port, size_t portlen,
			  char *msg, size_t msglen)
{
	int err = split_collector(spec, host, hostlen, port, portlen, msg, msglen);

	/* The spec is echoed: whatever it holds, the reason stays one printable line. */
	for (char *c = msg; err && msglen && *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return err;
}

static int check_options(const struct ipfix_options *in, struct ipfix_options *out, char *msg,
			 size_t msglen)
{
	static const struct ipfix_options defaults;

	*out = in ? *in : defaults;
	if (!out->mtu)
		out->mtu = IPFIX_DEFAULT_MTU;
	if (!out->template_interval_s)
		out->template_interval_s = IPFIX_DEFAULT_TEMPLATE_INTERVAL_S;
	if (!out->template_every_msgs)
		out->template_every_msgs = IPFIX_DEFAULT_TEMPLATE_EVERY_MSGS;
	if (!out->max_records_per_s)
		out->max_records_per_s = IPFIX_DEFAULT_MAX_RATE;
	if (out->mtu < IPFIX_MIN_MTU || out->mtu > IPFIX_MAX_MTU) {
		snprintf(msg, msglen, "IPFIX message size %u is out of range: give %d to %d bytes",
			 out->mtu, IPFIX_MIN_MTU, IPFIX_MAX_MTU);
		return -EINVAL;
	}
	return 0;
}

/* First address getaddrinfo gives that takes a connected UDP socket. */
static int connect_collector(const char *host, const char *port, const char *spec, char *peer,
			     size_t peerlen, char *msg, size_t msglen)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_DGRAM,
		.ai_protocol = IPPROTO_UDP,
		.ai_flags = AI_NUMERICSERV,
	};
	struct addrinfo *res, *ai;
	int fd = -1, err = 0, gai;

	gai = getaddrinfo(host, port, &hints, &res);
	if (gai) {
		snprintf(msg, msglen, "IPFIX collector \"%s\": cannot resolve \"%s\": %s", spec,
			 host, gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			err = -errno;
			continue;
		}
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		err = -errno;
		close(fd);
		fd = -1;
	}
	if (fd >= 0) {
		char addr[INET6_ADDRSTRLEN] = "?";
		const void *a =
			ai->ai_family == AF_INET6 ?
				(const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr :
				(const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;

		inet_ntop(ai->ai_family, a, addr, sizeof(addr));
		snprintf(peer, peerlen, "%s port %s", addr, port);
	} else {
		snprintf(msg, msglen, "IPFIX collector \"%s\": cannot open a UDP socket to it: %s",
			 spec, strerror(-err));
	}
	freeaddrinfo(res);
	return fd >= 0 ? fd : err;
}

static int exporter_open(struct ipfix_exporter **expp, const char *host, const char *port,
			 const char *spec, const struct ipfix_options *opts, char *msg,
			 size_t msglen)
{
	struct ipfix_exporter *exp;
	int err;

	*expp = NULL;
	exp = calloc(1, sizeof(*exp));
	if (!exp) {
		snprintf(msg, msglen, "IPFIX exporter: out of memory");
		return -ENOMEM;
	}
	err = check_options(opts, &exp->opts, msg, msglen);
	if (err)
		goto fail;
	exp->bufs = malloc((size_t)IPFIX_BATCH * exp->opts.mtu);
	if (!exp->bufs) {
		snprintf(msg, msglen, "IPFIX exporter: out of memory");
		err = -ENOMEM;
		goto fail;
	}
	exp->fd = connect_collector(host, port, spec, exp->peer, sizeof(exp->peer), msg, msglen);
	if (exp->fd < 0) {
		err = exp->fd;
		goto fail;
	}
	exp->sequence = exp->opts.first_sequence;
	for (int i = 0; i < IPFIX_BATCH; i++) {
		exp->iov[i].iov_base = exp->bufs + (size_t)i * exp->opts.mtu;
		exp->mmsg[i].msg_hdr.msg_iov = &exp->iov[i];
		exp->mmsg[i].msg_hdr.msg_iovlen = 1;
	}
	*expp = exp;
	return 0;
fail:
	free(exp->bufs);
	free(exp);
	return err;
}

int ipfix_exporter_open(struct ipfix_exporter **expp, const char *collector,
			const struct ipfix_options *opts, char *msg, size_t msglen)
{
	char host[256], port[8];
	int err;

	*expp = NULL;
	err = ipfix_parse_collector(collector, host, sizeof(host), port, sizeof(port), msg, msglen);
	if (err)
		return err;
	return exporter_open(expp, host, port, collector, opts, msg, msglen);
}

int ipfix_exporter_open_host(struct ipfix_exporter **expp, const char *host, uint16_t port,
			     const struct ipfix_options *opts, char *msg, size_t msglen)
{
	char portstr[8];

	*expp = NULL;
	if (!host || !*host) {
		snprintf(msg, msglen, "IPFIX collector host is empty");
		return -EINVAL;
	}
	snprintf(portstr, sizeof(portstr), "%u", port ? port : IPFIX_DEFAULT_PORT);
	return exporter_open(expp, host, portstr, host, opts, msg, msglen);
}

/* Sleeps until sending this batch keeps the average at or under max_records_per_s. */
static void pace(struct ipfix_exporter *exp)
{
	uint64_t now = monotonic_ns(), due;

	if (exp->opts.max_records_per_s == IPFIX_UNPACED)
		return;
	if (!exp->pace_start_ns)
		exp->pace_start_ns = now;
	due = exp->pace_start_ns + exp->pace_records * 1000000000ull / exp->opts.max_records_per_s;
	if (due > now) {
		struct timespec ts = { .tv_sec = (due - now) / 1000000000ull,
				       .tv_nsec = (due - now) % 1000000000ull };

		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
	} else if (now - due > 1000000000ull) {
		/* After a long pause do not make up for lost time in one burst. */
		exp->pace_start_ns = now;
		exp->pace_records = 0;
	}
	for (unsigned int i = 0; i < exp->queued; i++)
		exp->pace_records += exp->queued_records[i];
}

/* Sends every finished message; what a failed send leaves behind is dropped, not resent. */
static int send_queued(struct ipfix_exporter *exp)
{
	unsigned int done = 0;
	int err = 0, retries = 0;

	pace(exp);
	while (done < exp->queued) {
		int n = sendmmsg(exp->fd, exp->mmsg + done, exp->queued - done, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* A full device queue clears quickly; give it a few chances. */
			if ((errno == ENOBUFS || errno == EAGAIN) && retries++ < 100) {
				nanosleep(&(struct timespec){ .tv_nsec = 100000 }, NULL);
				continue;
			}
			err = -errno;
			/*
			 * A refusal (ICMP unreachable) answers an earlier datagram: on the
			 * collector's host that is the last one sent, lost.  Counted as
			 * not sent, so a drain resends its records (with their numbers).
			 */
			if (err == -ECONNREFUSED || err == -EHOSTUNREACH || err == -ENETUNREACH) {
				exp->stats.records -= exp->last_sent_records;
				exp->last_sent_records = 0;
			}
			break;
		}
		for (int i = 0; i < n; i++) {
			exp->stats.messages++;
			exp->stats.bytes += exp->mmsg[done + i].msg_len;
			exp->stats.records += exp->queued_records[done + i];
			exp->last_sent_records = exp->queued_records[done + i];
		}
		done += n;
	}
	exp->queued = 0;
	return err;
}

static bool templates_due(struct ipfix_exporter *exp, uint64_t now_ns)
{
	return !exp->templates_sent || exp->msgs_since_template >= exp->opts.template_every_msgs ||
	       now_ns - exp->last_template_ns >= exp->opts.template_interval_s * 1000000000ull;
}

static void begin_message(struct ipfix_exporter *exp)
{
	uint64_t now = monotonic_ns();

	ipfix_msg_begin(&exp->cur, exp->iov[exp->queued].iov_base, exp->opts.mtu, exp->opts.odid,
			exp->opts.delta);
	if (templates_due(exp, now)) {
		/* Cannot fail: IPFIX_MIN_MTU leaves room for them and a record. */
		ipfix_msg_add_templates(&exp->cur);
		exp->templates_sent = true;
		exp->last_template_ns = now;
		exp->msgs_since_template = 0;
		exp->stats.template_messages++;
	}
	exp->msgs_since_template++;
	exp->cur_open = true;
}

/* Finishes the open message into the queue and sends the queue when it is full (or force). */
static int end_message(struct ipfix_exporter *exp, bool force)
{
	if (exp->cur_open) {
		uint32_t len = ipfix_msg_end(&exp->cur, time(NULL), exp->sequence);

		exp->sequence += exp->cur.records;
		exp->queued_records[exp->queued] = exp->cur.records;
		exp->iov[exp->queued].iov_len = len;
		exp->queued++;
		exp->cur_open = false;
	}
	if (exp->queued == IPFIX_BATCH || (force && exp->queued))
		return send_queued(exp);
	return 0;
}

int ipfix_exporter_add(struct ipfix_exporter *exp, const struct ipfix_flow *flow)
{
	int err;

	if (flow->family != 4 && flow->family != 6)
		return -EINVAL;
	if (!exp->cur_open)
		begin_message(exp);
	err = ipfix_msg_add_flow(&exp->cur, flow);
	if (err != -ENOSPC)
		return err;
	err = end_message(exp, false);
	begin_message(exp);
	/* An empty message always has room for one record. */
	ipfix_msg_add_flow(&exp->cur, flow);
	return err;
}

int ipfix_exporter_probe(struct ipfix_exporter *exp, int timeout_ms, char *msg, size_t msglen)
{
	struct pollfd pfd = { .fd = exp->fd, .events = POLLERR };
	socklen_t len = sizeof(int);
	int err, soerr = 0;

	if (!exp->cur_open)
		begin_message(exp);
	err = end_message(exp, true);
	/* Pacing starts with the first data: the wait below is no credit for a burst. */
	exp->pace_start_ns = 0;
	exp->pace_records = 0;
	/* An error already queued, or one that arrives within the timeout. */
	if (!err && poll(&pfd, 1, timeout_ms) > 0 && (pfd.revents & POLLERR) &&
	    !getsockopt(exp->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) && soerr)
		err = -soerr;
	if (err)
		snprintf(msg, msglen, "IPFIX collector %s does not take messages: %s%s", exp->peer,
			 strerror(-err),
			 err == -ECONNREFUSED ? " (nothing listens on that port)" : "");
	return err;
}

int ipfix_exporter_flush(struct ipfix_exporter *exp)
{
	return end_message(exp, true);
}

void ipfix_exporter_get_stats(const struct ipfix_exporter *exp, struct ipfix_stats *stats)
{
	*stats = exp->stats;
}

const char *ipfix_exporter_peer(const struct ipfix_exporter *exp)
{
	return exp->peer;
}

uint32_t ipfix_exporter_sequence(const struct ipfix_exporter *exp)
{
	return exp->sequence;
}

int ipfix_exporter_set_sequence(struct ipfix_exporter *exp, uint32_t sequence)
{
	int err = ipfix_exporter_flush(exp);

	exp->sequence = sequence;
	return err;
}

uint64_t ipfix_exporter_stream(const struct ipfix_exporter *exp)
{
	uint64_t h = 14695981039346656037ull; /* FNV-1a over "peer/odid" */
	char key[sizeof(exp->peer) + 16];

	snprintf(key, sizeof(key), "%s/%u", exp->peer, exp->opts.odid);
	for (const char *c = key; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ull;
	return h ? h : 1;
}

uint32_t ipfix_exporter_odid(const struct ipfix_exporter *exp)
{
	return exp->opts.odid;
}

int ipfix_exporter_close(struct ipfix_exporter *exp)
{
	int err;

	if (!exp)
		return 0;
	err = ipfix_exporter_flush(exp);
	close(exp->fd);
	free(exp->bufs);
	free(exp);
	return err;
}
