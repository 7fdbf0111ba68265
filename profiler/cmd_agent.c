// SPDX-License-Identifier: MIT
/* `cprof agent`: placeholder until the agent lands (issue 5). */
#include <stdio.h>

#include "profiler/commands.h"

int cmd_agent(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "cprof: agent mode is not built yet\n");
	return 1;
}
