t() { local s=$(date +%s.%N); "$@" >/dev/null 2>&1; echo "$(echo "$s $(date +%s.%N)" | awk '{printf "%.2f", $2-$1}')s: $*"; }
cat /proc/uptime
t true
t bpftool version
t bpftool feature probe kernel
t xdp-loader status
t ip link add a0 type veth peer name a1
t xdp-loader load -m skb a0 /usr/lib/x86_64-linux-gnu/bpf/xdpfilt_alw_all.o
t xdp-loader load -m skb a0 /usr/lib/x86_64-linux-gnu/bpf/xdpdump_xdp.o
t xdp-loader status
cat /proc/uptime
