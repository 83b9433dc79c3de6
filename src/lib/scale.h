/* Internal helpers of the Attest V0 decoder. */
#ifndef VOUCH_SCALE_H
#define VOUCH_SCALE_H

#include "internal.h"
#include "vouch/dstack.h"

/* The i-th entry of a decoded attestation's runtime_events list. Returns 0 or VOUCH_E_SCALE. */
int attestation_runtime_event(const vouch_attestation *a, size_t i, vouch_bytes *name, vouch_bytes *payload);

#endif
