// SPDX-License-Identifier: MIT
/* Fuzz target: pprof input (gzip or raw protobuf) as `cprof flamegraph`,
 * `--diff` and `cprof report` read it, through the index, the renderer and
 * every kind of text report (to /dev/null). */
#include <stdio.h>

#include "export/flamegraph.h"
#include "export/pprof.h"
#include "export/report.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Perftools__Profiles__Profile *p = NULL;
	struct flamegraph_opts opts;
	struct report_opts ropts;
	struct pprof_index *idx;
	FILE *null;

	if (pprof__decode(data, size, &p) < 0)
		return 0;
	idx = pprof_index__new(p);
	if (idx) {
		for (size_t i = 0; i < p->n_sample; i++)
			for (size_t j = 0; j < p->sample[i]->n_location_id; j++)
				(void)pprof_index__location(idx, p->sample[i]->location_id[j]);
		pprof_index__free(idx);
	}
	(void)pprof__sample_index(p, NULL);
	null = fopen("/dev/null", "w");
	if (null) {
		flamegraph_opts__init(&opts);
		(void)flamegraph__write(p, &opts, null);
		opts.inverted = true;
		opts.format = FLAMEGRAPH_FORMAT_FOLDED;
		(void)flamegraph__write(p, &opts, null);
		report_opts__init(&ropts);
		for (int k = REPORT_TOP; k <= REPORT_THREADS; k++) {
			ropts.kind = k;
			ropts.nodecount = k == REPORT_TOP ? 0 : 3;
			(void)!report__write(p, &ropts, null);
		}
		fclose(null);
	}
	pprof__free(p);
	return 0;
}
