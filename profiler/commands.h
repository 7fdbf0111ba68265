/* SPDX-License-Identifier: MIT */
/* The subcommands of the cprof binary. Each takes argv with argv[0] = its
 * name and returns the process exit status (2 = usage error). */
#ifndef CPROF_COMMANDS_H
#define CPROF_COMMANDS_H

int cmd_record(int argc, char **argv);
int cmd_flamegraph(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_agent(int argc, char **argv);

#endif
