/* Does a group Send reach every current member device? A group body is
 * readable only with the sender's sender key, so each member device (the
 * sending one excepted) must either get a copy (its distribution) in this
 * Send or be listed as holding the key already; anything else is answered
 * with STALE_DEVICES and the lists of what is missing and what is not a
 * current member device. */
#include <string.h>

#include "group.h"

typedef struct want {
	lc_addr *a;
	uint8_t *seen;
	size_t n;
} want;

int lc_stale_add(lc_server *s, const char *uid, uint32_t dev, int extra)
{
	struct lc_stale *p;

	if (s->n_stale == s->cap_stale) {
		size_t ncap = s->cap_stale ? s->cap_stale * 2 : 16;
		p = lc_realloc(&s->mem, s->stale, ncap * sizeof *p);
		if (p == NULL)
			return LC_ERR_NOMEM;
		s->stale = p;
		s->cap_stale = ncap;
	}
	p = &s->stale[s->n_stale++];
	strcpy(p->a.uid, uid);
	p->a.dev = dev;
	p->extra = (uint8_t)extra;
	return 0;
}

/* Every current device of every member but me. */
static int want_load(lc_server *s, const lc_group *g, const lc_addr *me,
		     want *w)
{
	uint32_t ids[LC_MAX_DEVICES];
	size_t n;
	int rc = 0;

	w->n = 0;
	w->a = lc_calloc(&s->mem, g->n * LC_MAX_DEVICES + 1, sizeof *w->a);
	w->seen = lc_calloc(&s->mem, g->n * LC_MAX_DEVICES + 1, 1);
	if (w->a == NULL || w->seen == NULL)
		return LC_ERR_NOMEM;
	for (size_t i = 0; rc == 0 && i < g->n; i++) {
		rc = lc_st_dev_list(s, g->m[i].uid, ids, &n);
		for (size_t k = 0; rc == 0 && k < n; k++) {
			if (ids[k] == me->dev && strcmp(g->m[i].uid, me->uid) == 0)
				continue;
			strcpy(w->a[w->n].uid, g->m[i].uid);
			w->a[w->n++].dev = ids[k];
		}
	}
	return rc;
}

/* Mark (uid, dev) as named: 0, or LC_ERR_INVALID_ARG when named twice,
 * or a store error; a device that is not wanted is recorded as extra. */
static int name_one(lc_server *s, want *w, const char *uid, uint32_t dev)
{
	for (size_t i = 0; i < w->n; i++) {
		if (w->a[i].dev != dev || strcmp(w->a[i].uid, uid) != 0)
			continue;
		if (w->seen[i])
			return LC_ERR_INVALID_ARG;
		w->seen[i] = 1;
		return 0;
	}
	return lc_stale_add(s, uid, dev, 1);
}

int lc_group_cover(lc_server *s, const Libchat__Send *m, const lc_group *g,
		   const lc_addr *me)
{
	want w = {0};
	int rc = want_load(s, g, me, &w);

	for (size_t i = 0; rc == 0 && i < m->n_copies; i++)
		rc = name_one(s, &w, m->copies[i]->to->user_id,
			      m->copies[i]->to->device_id);
	for (size_t i = 0; rc == 0 && i < m->n_key_holders; i++)
		rc = name_one(s, &w, m->key_holders[i]->user_id,
			      m->key_holders[i]->device_id);
	for (size_t i = 0; rc == 0 && i < w.n; i++)
		if (!w.seen[i])
			rc = lc_stale_add(s, w.a[i].uid, w.a[i].dev, 0);
	lc_free(&s->mem, w.a);
	lc_free(&s->mem, w.seen);
	if (rc == 0 && s->n_stale)
		rc = LC_ERR_STALE_DEVICES;
	return rc;
}
