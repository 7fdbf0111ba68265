// SPDX-License-Identifier: MIT
/* Fuzz target: a debug file with compressed sections (any user's, through
 * .gnu_debuglink) copied with them decompressed (sym_debug_spill), then the
 * copy read back as libdw would: every section's data. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "symbolize/sym_debug_spill.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FUZZ_SPILL_DIR") ? getenv("FUZZ_SPILL_DIR") : "/var/tmp";

	(void)argc;
	(void)argv;
	elf_version(EV_CURRENT);
	if (sym_debug_spill__set_dir(dir))
		abort();	/* nothing would be fuzzed */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-debug", MFD_CLOEXEC), out;
	Elf *elf;

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	out = sym_debug_spill__file(fd);
	elf = elf_begin(out, ELF_C_READ_MMAP, NULL);
	for (Elf_Scn *scn = NULL; elf && (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && !(sh.sh_flags & SHF_COMPRESSED))
			(void)elf_getdata(scn, NULL);
	}
	elf_end(elf);
	close(out);
	return 0;
}
