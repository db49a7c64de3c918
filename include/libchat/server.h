/**
 * @file server.h
 * @brief libchat-server: the sans-IO server core (link with libchat-server).
 *
 * Mobile applications never include this header; it belongs to the server
 * library, which is shipped and linked separately.
 */
#ifndef LIBCHAT_SERVER_H
#define LIBCHAT_SERVER_H

#include <libchat/common.h>
#include <libchat/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief The server library's version as "MAJOR.MINOR.PATCH".
 * @return a static string; never NULL, never freed.
 */
LC_API const char *lc_server_version(void);

#ifdef __cplusplus
}
#endif

#endif /* LIBCHAT_SERVER_H */
