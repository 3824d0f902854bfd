#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest script: test-faults.sh's kill, race and deleted-interface tests where libxdp's dispatcher (and its pins) is real.
#
# A smaller size than on the host (every exec costs ~0.2 s under tcg): XDPFLOW_KILLS and
# XDPFLOW_ROUNDS override it. Arguments name some of the three tests (test-faults.sh's test_*
# functions: gone_interface races sigkill; all by default).
# Run: tests/vm/run-vm.sh --timeout 900 tests/vm/guest-faults.sh [TEST...]
set -uo pipefail
cd "$(dirname "$0")/../.."
TESTS=${*:-gone_interface races sigkill}
KILLS=${XDPFLOW_KILLS:-10} ROUNDS=${XDPFLOW_ROUNDS:-10} TESTS=$TESTS exec tests/test-faults.sh
