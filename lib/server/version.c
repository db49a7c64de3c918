#include <libchat/server.h>

#include "lc_config.h"

const char *lc_server_version(void)
{
	return LC_VERSION_STRING;
}
