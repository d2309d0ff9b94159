/* drop.c - names of the drop reasons, generated from drop.h's one list. */
#include "drop.h"

#define DROP_NAME(name, str) [DROP_##name] = str,
const char *const drop_reason_names[DROP_MAX] = {
	[DROP_NONE] = "none",
	DROP_REASONS(DROP_NAME)
};
#undef DROP_NAME

_Static_assert(sizeof(drop_reason_names) / sizeof(drop_reason_names[0]) == DROP_MAX,
	       "drop_reason_names out of step with enum drop_reason");
