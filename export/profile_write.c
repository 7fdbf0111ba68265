// SPDX-License-Identifier: MIT
/* profile_write: one path from a finished profile to a file in any of the
 * output formats. The file is opened before anything is encoded, so an
 * unwritable destination fails first, and appears only when complete. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "export/folded.h"
#include "export/pprof.h"
#include "export/profile_write.h"

static int write_pprof(const Perftools__Profiles__Profile *p, FILE *f)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int err;

	err = pprof__encode_gzip(p, &buf, &len);
	if (!err && fwrite(buf, 1, len, f) != len)
		err = -EIO;
	free(buf);
	return err;
}

int profile_write__commit(struct atomic_file *af, const Perftools__Profiles__Profile *p,
			  const struct profile_write_opts *o)
{
	struct flamegraph_opts fo;
	int err;

	if (!af || !p || !o)
		return -EINVAL;
	switch (o->format) {
	case PROFILE_FORMAT_FOLDED:
		err = folded__write(p, 0, o->folded_group, af->f);
		break;
	case PROFILE_FORMAT_SVG:
		if (!o->flamegraph)
			flamegraph_opts__init(&fo);
		err = flamegraph__write(p, o->flamegraph ? o->flamegraph : &fo, af->f);
		break;
	case PROFILE_FORMAT_PPROF:
		err = write_pprof(p, af->f);
		break;
	default:
		err = -EINVAL;
	}
	if (err)
		return err;
	return atomic_file__commit(af);
}

int profile_write__file(const char *path, const Perftools__Profiles__Profile *p,
			const struct profile_write_opts *o)
{
	struct atomic_file af;
	int err;

	if (!path || !p || !o)
		return -EINVAL;
	err = atomic_file__open(&af, path);
	if (err)
		return err;
	err = profile_write__commit(&af, p, o);
	if (err)
		atomic_file__abort(&af);
	return err;
}
