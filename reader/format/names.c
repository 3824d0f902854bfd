// SPDX-License-Identifier: GPL-2.0
/* The views' names: what the command line takes and what JSON, JSON Lines and CSV call them. */
#include "reader.h"

const char *const reader_view_names[VIEW_COUNT] = {
	[VIEW_TOTALS] = "totals",
	[VIEW_PROTOCOLS] = "protocols",
	[VIEW_SOURCES] = "sources",
	[VIEW_FLOWS] = "flows",
};
