// SPDX-License-Identifier: GPL-2.0
/*
 * The reader's Prometheus emitter: the text exposition format, every
 * family's samples together after its HELP and TYPE lines.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include "format/format.h"
#include "xdpflow.h"

struct family_desc {
	const char *name;
	const char *type;
	const char *help;
};

static const struct family_desc fam_iface_packets = {
	"xdpflow_interface_packets_total", "counter",
	"Frames received, every class (IP, non-IP, malformed), as XDP saw them."
};
static const struct family_desc fam_iface_bytes = {
	"xdpflow_interface_bytes_total", "counter",
	"Bytes of frames received, every class, whole frames as XDP saw them."
};
static const struct family_desc fam_non_ip_packets = {
	"xdpflow_non_ip_packets_total", "counter",
	"Frames that are not IPv4 or IPv6 (ARP, LLDP, short or over-tagged frames)."
};
static const struct family_desc fam_non_ip_bytes = {
	"xdpflow_non_ip_bytes_total", "counter", "Bytes of non-IP frames."
};
static const struct family_desc fam_malformed_packets = {
	"xdpflow_malformed_packets_total", "counter",
	"IPv4 or IPv6 frames whose IP header is cut off or invalid."
};
static const struct family_desc fam_malformed_bytes = {
	"xdpflow_malformed_bytes_total", "counter", "Bytes of malformed IP frames."
};
static const struct family_desc fam_unrecorded_packets = {
	"xdpflow_unrecorded_packets_total", "counter",
	"IP frames counted per protocol but missing from the flow and source views because "
	"the flow table was full (raise --max-flows)."
};
static const struct family_desc fam_unrecorded_bytes = {
	"xdpflow_unrecorded_bytes_total", "counter",
	"Bytes of IP frames missing from the flow and source views (flow table full)."
};
static const struct family_desc fam_proto_packets = {
	"xdpflow_packets_total", "counter", "IP frames received, per IP family and protocol."
};
static const struct family_desc fam_proto_bytes = {
	"xdpflow_bytes_total", "counter",
	"Bytes of IP frames received (whole frames), per IP family and protocol."
};
static const struct family_desc fam_source_packets = {
	"xdpflow_source_packets_total", "counter",
	"IP frames received, per source address (and VLAN, labelled where tagged)."
};
static const struct family_desc fam_source_bytes = {
	"xdpflow_source_bytes_total", "counter",
	"Bytes of IP frames received (whole frames), per source address (and VLAN)."
};
static const struct family_desc fam_flow_packets = {
	"xdpflow_flow_packets_total", "counter", "IP frames received, per flow."
};
static const struct family_desc fam_flow_bytes = {
	"xdpflow_flow_bytes_total", "counter", "Bytes of IP frames received (whole frames), per flow."
};
static const struct family_desc fam_flows_read = {
	"xdpflow_flows_read", "gauge", "Flows the read returned (of the selected interfaces)."
};
static const struct family_desc fam_flow_fill = {
	"xdpflow_flow_table_fill", "gauge",
	"Flow-table entries the flows counted so far need, flows still only in per-CPU flow caches "
	"included."
};
static const struct family_desc fam_flow_capacity = {
	"xdpflow_flow_table_capacity", "gauge", "Flows the flow table can hold."
};

static void family_header(FILE *f, const struct family_desc *d)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", d->name, d->help, d->name, d->type);
}

/*
 * name{device="eth0",ifindex="2" ... the caller adds labels and closes with
 * '}'.  device, as node_exporter's node_network_* series name the interface,
 * so the two join on it.
 */
static void sample_start(FILE *f, const struct family_desc *d, __u32 ifindex)
{
	put_str(f, d->name);
	put_str(f, "{device=\"");
	put_prom_label(f, ifname_of(ifindex));
	put_str(f, "\",ifindex=\"");
	put_u64(f, ifindex);
	putc_unlocked('"', f);
}

static void label(FILE *f, const char *name, const char *value)
{
	putc_unlocked(',', f);
	put_str(f, name);
	put_str(f, "=\"");
	put_prom_label(f, value);
	putc_unlocked('"', f);
}

static void label_u64(FILE *f, const char *name, __u64 v)
{
	putc_unlocked(',', f);
	put_str(f, name);
	put_str(f, "=\"");
	put_u64(f, v);
	putc_unlocked('"', f);
}

/*
 * The VLANs of a source or flow, which split them: labels only on tagged
 * series, so an untagged one keeps the identity it had before VLANs.
 */
static void vlan_labels(FILE *f, __u16 outer, __u16 inner)
{
	if (outer)
		label_u64(f, "vlan", ntohs(outer));
	if (inner)
		label_u64(f, "inner_vlan", ntohs(inner));
}

static void sample_end(FILE *f, __u64 v)
{
	put_str(f, "} ");
	put_u64(f, v);
	putc_unlocked('\n', f);
}

static const struct family_desc fam_drain_id = {
	"xdpflow_drain_id", "gauge",
	"The ID of the last drain in these counts (a drain already in them is not added again)."
};

static void prom_begin(struct emit_ctx *ec)
{
	if (!ec->drain_id)
		return;
	family_header(ec->out, &fam_drain_id);
	put_str(ec->out, fam_drain_id.name);
	putc_unlocked(' ', ec->out);
	put_u64(ec->out, ec->drain_id);
	putc_unlocked('\n', ec->out);
}

enum iface_class { CLASS_ALL, CLASS_NON_IP, CLASS_MALFORMED, CLASS_UNRECORDED };

static const struct xdpflow_counter *class_counter(const struct iface_total *t,
						   enum iface_class class)
{
	switch (class) {
	case CLASS_NON_IP:
		return &t->non_ip;
	case CLASS_MALFORMED:
		return &t->malformed;
	case CLASS_UNRECORDED:
		return &t->unrecorded;
	case CLASS_ALL:
		break;
	}
	return &t->all;
}

static void iface_family(FILE *f, const struct totals_view *t, const struct family_desc *d,
			 enum iface_class class, bool bytes)
{
	const struct xdpflow_counter *c;
	size_t i;

	family_header(f, d);
	for (i = 0; i < t->n_ifaces; i++) {
		c = class_counter(&t->ifaces[i], class);
		sample_start(f, d, t->ifaces[i].ifindex);
		sample_end(f, bytes ? c->bytes : c->packets);
	}
}

/* Per interface; sum() over the interface label gives the totals. */
static void prom_totals(struct emit_ctx *ec, const struct totals_view *t)
{
	static const struct {
		const struct family_desc *packets, *bytes;
		enum iface_class class;
	} families[] = {
		{ &fam_iface_packets, &fam_iface_bytes, CLASS_ALL },
		{ &fam_non_ip_packets, &fam_non_ip_bytes, CLASS_NON_IP },
		{ &fam_malformed_packets, &fam_malformed_bytes, CLASS_MALFORMED },
		{ &fam_unrecorded_packets, &fam_unrecorded_bytes, CLASS_UNRECORDED },
	};
	size_t i;

	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		iface_family(ec->out, t, families[i].packets, families[i].class, false);
		iface_family(ec->out, t, families[i].bytes, families[i].class, true);
	}
}

/*
 * Each list gives two families (packets, bytes) but its rows come one at a
 * time: packets go out at once, bytes wait in memory until the list ends.
 */
static void prom_list_begin(struct emit_ctx *ec, enum reader_view view)
{
	static const struct family_desc *first[VIEW_COUNT] = {
		[VIEW_PROTOCOLS] = &fam_proto_packets,
		[VIEW_SOURCES] = &fam_source_packets,
		[VIEW_FLOWS] = &fam_flow_packets,
	};

	ec->view = view;
	ec->deferred_f = open_memstream(&ec->deferred, &ec->deferred_len);
	if (first[view])
		family_header(ec->out, first[view]);
}

static void prom_protocol(struct emit_ctx *ec, const struct protocol_row *r)
{
	const char *name = proto_name(r->proto);
	FILE *f;
	int i;

	for (i = 0; i < 2; i++) {
		f = i ? ec->deferred_f : ec->out;
		if (!f)
			continue;
		sample_start(f, i ? &fam_proto_bytes : &fam_proto_packets, r->ifindex);
		label(f, "family", r->family == 6 ? "ipv6" : "ipv4");
		if (name)
			label(f, "protocol", name);
		else
			label_u64(f, "protocol", r->proto);
		sample_end(f, i ? r->c.bytes : r->c.packets);
	}
}

static void prom_source(struct emit_ctx *ec, const struct source_row *r)
{
	const struct source_key *k = &r->s.k;
	const struct source_counts *c = &r->s.c;
	char a[INET6_ADDRSTRLEN];
	FILE *f;
	int i;

	addr_str(k->family, k->addr, a);
	for (i = 0; i < 2; i++) {
		f = i ? ec->deferred_f : ec->out;
		if (!f)
			continue;
		sample_start(f, i ? &fam_source_bytes : &fam_source_packets, k->ifindex);
		vlan_labels(f, k->vlan_outer, k->vlan_inner);
		label(f, "family", k->family == 6 ? "ipv6" : "ipv4");
		label(f, "address", a);
		sample_end(f, i ? c->bytes : c->packets);
	}
}

static void prom_flow(struct emit_ctx *ec, const struct flow_row *r)
{
	const struct xdpflow_flow_key *k = &r->f.key;
	const char *name = proto_name(k->proto);
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	FILE *f;
	int i;

	addr_str(k->family, k->src, src);
	addr_str(k->family, k->dst, dst);
	for (i = 0; i < 2; i++) {
		f = i ? ec->deferred_f : ec->out;
		if (!f)
			continue;
		sample_start(f, i ? &fam_flow_bytes : &fam_flow_packets, k->ifindex);
		vlan_labels(f, k->vlan_outer, k->vlan_inner);
		label(f, "family", k->family == 6 ? "ipv6" : "ipv4");
		if (name)
			label(f, "protocol", name);
		else
			label_u64(f, "protocol", k->proto);
		label(f, "src", src);
		label_u64(f, "sport", ntohs(k->sport));
		label(f, "dst", dst);
		label_u64(f, "dport", ntohs(k->dport));
		sample_end(f, i ? r->f.c.bytes : r->f.c.packets);
	}
}

static void prom_list_end(struct emit_ctx *ec, enum reader_view view)
{
	static const struct family_desc *second[VIEW_COUNT] = {
		[VIEW_PROTOCOLS] = &fam_proto_bytes,
		[VIEW_SOURCES] = &fam_source_bytes,
		[VIEW_FLOWS] = &fam_flow_bytes,
	};

	if (ec->deferred_f) {
		fclose(ec->deferred_f);
		ec->deferred_f = NULL;
		if (second[view])
			family_header(ec->out, second[view]);
		fwrite_unlocked(ec->deferred, 1, ec->deferred_len, ec->out);
		free(ec->deferred);
		ec->deferred = NULL;
		ec->deferred_len = 0;
	}
}

/* The flow table's fill level: with the totals, or alone for the flows view. */
static void prom_end(struct emit_ctx *ec)
{
	const struct totals_view *t = ec->totals;
	FILE *f = ec->out;

	if (!t || !t->fill_known)
		return;
	family_header(f, &fam_flows_read);
	put_str(f, fam_flows_read.name);
	putc_unlocked(' ', f);
	put_u64(f, t->flows_read);
	putc_unlocked('\n', f);
	family_header(f, &fam_flow_fill);
	put_str(f, fam_flow_fill.name);
	putc_unlocked(' ', f);
	put_u64(f, t->flow_fill);
	putc_unlocked('\n', f);
	family_header(f, &fam_flow_capacity);
	put_str(f, fam_flow_capacity.name);
	putc_unlocked(' ', f);
	put_u64(f, t->flow_capacity);
	putc_unlocked('\n', f);
}

const struct emitter emit_prometheus = {
	.begin = prom_begin,
	.totals = prom_totals,
	.list_begin = prom_list_begin,
	.protocol = prom_protocol,
	.source = prom_source,
	.flow = prom_flow,
	.list_end = prom_list_end,
	.end = prom_end,
};
