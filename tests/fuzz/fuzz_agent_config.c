// SPDX-License-Identifier: MIT
/* Fuzz target: the agent's config file, as it is read at start and on
 * SIGHUP, then checked. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "profiler/agent/agent_config.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_config c;
	char path[64], err[512];
	int fd = memfd_create("fuzz-agent-config", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		agent_config__init(&c);
		if (agent_config__load_file(&c, path, err, sizeof(err)) == 0)
			(void)agent_config__check(&c, err, sizeof(err));
		agent_config__release(&c);
	}
	close(fd);
	return 0;
}
