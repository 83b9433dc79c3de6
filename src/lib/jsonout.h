/* Helpers for the JSON libvouch writes (with jansson). */
#ifndef VOUCH_JSONOUT_H
#define VOUCH_JSONOUT_H

#include <jansson.h>

#include "internal.h"

/* Lowercase hex of any length as a JSON string (a new reference; NULL when out of memory). */
json_t *json_hex(const uint8_t *p, size_t n);

#endif
