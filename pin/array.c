// SPDX-License-Identifier: GPL-2.0
/* pin/: growing arrays, one way for every list the library builds. */
#include <stdint.h>
#include <stdlib.h>
#include "internal.h"

void *array_room(void *v, size_t n, size_t *cap, size_t size, size_t first)
{
	size_t want;

	if (n < *cap)
		return v;
	want = *cap ? *cap * 2 : first;
	if (want < *cap || want > SIZE_MAX / size)
		return NULL;
	v = realloc(v, want * size);
	if (v)
		*cap = want;
	return v;
}
