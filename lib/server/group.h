/* Internal: groups in memory while a request works on one. */
#ifndef LC_SERVER_GROUP_H
#define LC_SERVER_GROUP_H

#include "server_int.h"

typedef struct lc_member {
	char uid[LC_UID_MAX + 1];
	uint8_t role; /* Libchat__GroupRole */
} lc_member;

typedef struct lc_group {
	uint8_t id[LC_SERVER_ID_LEN];
	char name[LC_GROUP_NAME_MAX + 1];
	uint64_t version;
	size_t n;
	lc_member *m; /* room for max_group_members + 1 */
} lc_group;

int lc_group_new(lc_server *s, lc_group **g);
void lc_group_free(lc_server *s, lc_group *g);
/* LC_ERR_NO_SUCH_GROUP when absent, LC_ERR_INVALID_ARG for a bad id. */
int lc_group_load(lc_server *s, const uint8_t *gid, size_t len, lc_group *g);
int lc_group_save(lc_server *s, const lc_group *g);
int lc_group_member_put(lc_server *s, const uint8_t *gid, const char *uid,
			uint8_t role);
int lc_group_member_del(lc_server *s, const uint8_t *gid, const char *uid);
/* Does the group Send m name every current member device but me once,
 * in copies or key_holders, and nothing else? 0, or
 * LC_ERR_STALE_DEVICES with s->stale filled. */
int lc_group_cover(lc_server *s, const Libchat__Send *m, const lc_group *g,
		   const lc_addr *me);
/* Index of uid in g, or -1. */
int lc_group_find(const lc_group *g, const char *uid);

#endif
