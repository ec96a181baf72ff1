/* replay.c - main for fuzz harnesses outside libFuzzer: runs
 * LLVMFuzzerTestOneInput over each file named (directories are walked one
 * level), which is how make check replays the corpus and how AFL drives a
 * harness (afl-fuzz ... -- fuzz_x @@). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0, got;

	if (!f) {
		perror(path);
		return 1;
	}
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if (!(buf = realloc(buf, cap)))
				abort();
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	struct dirent **ents;
	struct stat st;
	char path[4096];
	int i, j, k, bad = 0, runs = 0;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			k = scandir(argv[i], &ents, NULL, alphasort);
			for (j = 0; j < k; j++) {
				snprintf(path, sizeof path, "%s/%s", argv[i], ents[j]->d_name);
				if (ents[j]->d_name[0] != '.' && stat(path, &st) == 0 &&
				    S_ISREG(st.st_mode)) {
					bad |= run_file(path);
					runs++;
				}
				free(ents[j]);
			}
			free(ents);
		} else {
			bad |= run_file(argv[i]);
			runs++;
		}
	}
	printf("%d inputs\n", runs);
	return bad;
}
