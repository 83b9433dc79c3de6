/* Runs a fuzz harness over files, without libFuzzer: the regular build replays every seed in ctest, so the
 * harnesses and their corpora are exercised even where clang's fuzzer runtime is absent. */
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

int main(int argc, char **argv)
{
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			perror(argv[i]);
			return 1;
		}
		fseek(f, 0, SEEK_END);
		long n = ftell(f);
		fseek(f, 0, SEEK_SET);
		unsigned char *b = malloc(n > 0 ? (size_t)n : 1);
		if (!b || fread(b, 1, (size_t)n, f) != (size_t)n)
			return 1;
		fclose(f);
		LLVMFuzzerTestOneInput(b, (size_t)n);
		free(b);
	}
	printf("replayed %d inputs\n", argc - 1);
	return 0;
}
