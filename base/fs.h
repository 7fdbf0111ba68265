/* SPDX-License-Identifier: MIT */
/* fs: directory helpers shared by the modules that write files (the spool,
 * the file:// exporter, output directories). Library code: returns -errno, never prints. */
#ifndef CPROF_BASE_FS_H
#define CPROF_BASE_FS_H

#include <sys/types.h>

/* mkdir -p: creates path and each missing parent with `mode` (before the
 * umask); existing directories are left as they are, modes included. 0, or
 * -errno of the first mkdir that failed (-ENAMETOOLONG, -ENOTDIR, -EACCES...). */
int fs__mkdir_p(const char *path, mode_t mode) __attribute__((warn_unused_result));

#endif /* CPROF_BASE_FS_H */
