// SPDX-License-Identifier: GPL-2.0
/* xdpflow-loader: the entry point; the commands and options are the tables of commands.c. */
#include "loader.h"

int main(int argc, char **argv)
{
	return loader_main(argc, argv);
}
