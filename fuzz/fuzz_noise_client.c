/* Fuzz the client side (Noise initiator) of the secure channel: raw bytes
 * where the server's prologue and handshake should be, and a genuine
 * server's frames altered, replayed and dropped (see fuzz_noise.h). */
#include <sodium.h>

#include "fuzz_noise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_run(data, size, 0);
}
