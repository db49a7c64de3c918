#include <libchat/common.h>

#include "lc_config.h"

const char *lc_version(void)
{
	return LC_VERSION_STRING;
}
