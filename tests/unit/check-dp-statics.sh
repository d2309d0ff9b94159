#!/bin/sh
# check-dp-statics.sh - the datapath's own files keep no mutable static
# (issue 13): the fdb, the port layer, the datapath context, L2 and the
# router ports (ICMP rate limits, reply buffer) hold their state in
# struct dp, so two datapaths in one process never share a table or a
# rate limit by accident.  A log rate limiter (VLOG_RL) is allowed: the log
# is the process's.  tools/analysis/statics.sh reads the built objects.
# Run from the build directory (make check sets $srcdir).
set -eu
srcdir=${srcdir:-.}
exec sh "$srcdir/tools/analysis/statics.sh" -c . fdb fdb_ctl port dp l2_forward mld_snoop router_port
