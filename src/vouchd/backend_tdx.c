/* The TDX backend: quotes through configfs-tsm, RTMR3 through the kernel's measurement interface, the boot
 * event log from the ACPI CCEL table. (Being written: this build refuses to start on it.) */
#include <stdio.h>

#include "app.h"

struct backend *backend_tdx_new(struct app *a, char *err, size_t cap)
{
	(void)a;
	snprintf(err, cap, "the tdx backend is not in this build yet; use --tee=sim");
	return NULL;
}
