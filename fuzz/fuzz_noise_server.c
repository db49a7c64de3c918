/* Fuzz the server side (Noise responder) of the secure channel: raw bytes
 * from an unauthenticated peer, and a genuine client's frames altered,
 * replayed and dropped (see fuzz_noise.h). */
#include <sodium.h>

#include "fuzz_noise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_run(data, size, 1);
}
