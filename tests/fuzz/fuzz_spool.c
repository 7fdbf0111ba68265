// SPDX-License-Identifier: MIT
/* Fuzz target: one spool record as the agent finds it on disk at start-up
 * (header, zstd frame, checksum, lengths), then the delta inside it. */
#include <stdlib.h>

#include "export/ship/spool_record.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spool_record_hdr hdr;
	uint8_t *content = NULL;
	size_t len = 0;

	(void)spool_record__parse_header(data, size, &hdr);
	if (spool_record__decode(data, size, &hdr, &content, &len) == 0)
		free(content);
	return 0;
}
