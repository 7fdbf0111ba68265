// SPDX-License-Identifier: MIT
/* cprof's entry point: a table of subcommands; anything that is not a
 * subcommand name is an option of `record`, the default. */
#include <stdio.h>
#include <string.h>

#include "profiler/commands.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "record", cmd_record },
	{ "flamegraph", cmd_flamegraph },
	{ "report", cmd_report },
	{ "top", cmd_report },
	{ "agent", cmd_agent },
};

int main(int argc, char **argv)
{
	if (argc > 1) {
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			if (!strcmp(argv[1], commands[i].name))
				return commands[i].run(argc - 1, argv + 1);
		if (!strcmp(argv[1], "help")) {
			char *help[] = { "record", "--help", NULL };

			return cmd_record(2, help);
		}
	}
	argv[0] = "record";
	return cmd_record(argc, argv);
}
