// SPDX-License-Identifier: MIT
/* flamegraph_limits: output-size estimates and the --minwidth search that
 * keeps a drawing under its cap. Pure functions: no I/O, no allocation. */
#include "export/flamegraph_limits.h"

/* The fixed markup of one frame (<g data-v class="deep"><title> (value,
 * pct)</title><rect .../><text ...></text></g>) is under 216 bytes; the name appears twice (the
 * tooltip, capped at FLAMEGRAPH_MAX_NAME characters, and the label that fits
 * the frame, at most width / 7.2 characters), and escaping (&amp;, &#xFFFD;)
 * can grow a character up to 8 bytes, so count each name byte as 3. */
size_t flamegraph_limits__svg_frame_bytes(size_t namelen)
{
	if (namelen > FLAMEGRAPH_MAX_NAME)
		namelen = FLAMEGRAPH_MAX_NAME;
	return 216 + 3 * namelen;
}

double flamegraph_limits__fit_minwidth(double start, double max_px, uint64_t cap,
				       uint64_t (*measure)(double minwidth, void *ctx), void *ctx,
				       uint64_t *ret_bytes)
{
	double mw = start;
	uint64_t bytes = measure(mw, ctx);

	while (bytes > cap && mw <= max_px) {
		mw = mw < 0.1 ? 0.1 : mw * 2;
		bytes = measure(mw, ctx);
	}
	*ret_bytes = bytes;
	return mw;
}
