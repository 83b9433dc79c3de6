/* vouch — the whole public API of libvouch.
 *
 * Conventions, everywhere: functions return 0 or a negative vouch_err (err.h); outputs come first in the
 * argument list, then inputs, each length right after its pointer; outputs are zeroed or fully written,
 * never half-written, on failure; the library never logs, never reads the clock, and never keeps a pointer
 * to caller memory beyond what a function's comment states.
 */
#ifndef VOUCH_H
#define VOUCH_H

#include "vouch/err.h"
#include "vouch/util.h"
#include "vouch/quote.h"
#include "vouch/dcap.h"
#include "vouch/fetch.h"
#include "vouch/keys.h"
#include "vouch/eventlog.h"
#include "vouch/dstack.h"
#include "vouch/sim.h"
#include "vouch/merkle.h"
#include "vouch/journal.h"
#include "vouch/journal_store.h"
#include "vouch/journal_bundle.h"
#include "vouch/receipt.h"

#endif
