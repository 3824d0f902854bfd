// SPDX-License-Identifier: GPL-2.0
/* --ipfix: the reader's flows as IPFIX records (export/ipfix.c sends them). */
#include <arpa/inet.h>
#include <string.h>
#include "export/ipfix_sink.h"

static uint64_t wall_ms(const struct flow_clock *clk, uint64_t jiffies, int64_t read_wall_ns)
{
	int64_t ns = clk && clk->valid ? flow_clock_wall_ns(clk, jiffies) : -1;

	return (uint64_t)(ns > 0 ? ns : read_wall_ns) / 1000000u;
}

void flow_to_ipfix(const struct flow_record *f, const struct flow_clock *clk, int64_t read_wall_ns,
		   struct ipfix_flow *out)
{
	const struct xdpflow_flow_key *k = &f->key;

	memset(out, 0, sizeof(*out));
	out->family = k->family;
	memcpy(out->src, k->src, sizeof(out->src));
	memcpy(out->dst, k->dst, sizeof(out->dst));
	out->sport = ntohs(k->sport);
	out->dport = ntohs(k->dport);
	out->proto = k->proto;
	out->tcp_flags = f->c.tcp_flags;
	out->ingress_ifindex = k->ifindex;
	out->vlan = ntohs(k->vlan_outer);
	out->inner_vlan = ntohs(k->vlan_inner);
	out->packets = f->c.packets;
	out->ip_bytes = f->c.ip_bytes;
	out->l2_bytes = f->c.bytes;
	out->start_ms = wall_ms(clk, f->c.first_seen, read_wall_ns);
	out->end_ms = wall_ms(clk, f->c.last_seen, read_wall_ns);
	if (out->end_ms < out->start_ms)
		out->end_ms = out->start_ms;
}

int ipfix_sink_flow(const struct flow_record *f, const struct flow_clock *clk, int64_t read_wall_ns,
		    void *ctx)
{
	struct ipfix_sink *s = ctx;
	struct ipfix_flow rec;
	int err;

	if (s->seen++ < s->skip)
		return 0;
	flow_to_ipfix(f, clk, read_wall_ns, &rec);
	s->flows++;
	err = ipfix_exporter_add(s->exp, &rec);
	if (!err && s->progress)
		s->progress(s->progress_ctx);
	return err;
}
