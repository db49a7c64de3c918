/* Posting blocks: a term's postings, oldest first, cut into blocks of at
 * most BLOCK_BYTES. The database key of a block is the term key and the
 * block's first posting (13 bytes), so a term's blocks are one key range
 * in time order and the block holding a posting is found by one seek. The
 * value codes the other postings as gaps from their predecessor:
 *
 *   varint (count - 1), then per posting: varint time gap,
 *   varint chat number, varint zigzag msgnum gap.
 *
 * Postings are strictly increasing, so every block decodes to one sorted
 * list without repeats; anything else is LC_ERR_STORE_CORRUPT. */
#include <string.h>

#include "store_int.h"

struct post {
	uint64_t t;
	uint32_t c, m;
};

static void unpack(const uint8_t p[POSTING_LEN], struct post *o)
{
	o->t = (uint64_t)lc_get_be32(p) << 16 | (uint64_t)p[4] << 8 | p[5];
	o->c = (uint32_t)p[6] << 16 | (uint32_t)p[7] << 8 | p[8];
	o->m = lc_get_be32(p + 9);
}

static void pack(const struct post *o, uint8_t p[POSTING_LEN])
{
	lc_be32(p, (uint32_t)(o->t >> 16));
	p[4] = (uint8_t)(o->t >> 8);
	p[5] = (uint8_t)o->t;
	p[6] = (uint8_t)(o->c >> 16);
	p[7] = (uint8_t)(o->c >> 8);
	p[8] = (uint8_t)o->c;
	lc_be32(p + 9, o->m);
}

static size_t put_gap(uint8_t *out, const struct post *prev,
		      const struct post *cur)
{
	int64_t dm = (int64_t)cur->m - (int64_t)prev->m;
	uint64_t zz = dm < 0 ? ((uint64_t)(-dm) << 1) - 1 : (uint64_t)dm << 1;
	size_t n = lc_varint_put(out, cur->t - prev->t);

	n += lc_varint_put(out + n, cur->c);
	return n + lc_varint_put(out + n, zz);
}

size_t lc_block_encode(const uint8_t (*p)[POSTING_LEN], size_t n,
		       uint8_t out[BLOCK_VAL_MAX], size_t *len)
{
	uint8_t body[BLOCK_VAL_MAX];
	struct post prev, cur;
	size_t k = 1, used = 0, hn;

	unpack(p[0], &prev);
	for (; k < n && k < BLOCK_POSTINGS; k++) {
		uint8_t g[3 * 10];
		size_t gl;

		unpack(p[k], &cur);
		gl = put_gap(g, &prev, &cur);
		if (used + gl > BLOCK_BYTES)
			break;
		memcpy(body + used, g, gl);
		used += gl;
		prev = cur;
	}
	hn = lc_varint_put(out, k - 1);
	memcpy(out + hn, body, used);
	*len = hn + used;
	return k;
}

int lc_block_decode(const uint8_t first[POSTING_LEN], const uint8_t *v,
		    size_t n, lc_block *b)
{
	struct post prev, cur;
	uint64_t cnt, dt, c, zz;
	size_t pos = 0;

	if (lc_varint_get(v, n, &pos, &cnt) || cnt >= BLOCK_POSTINGS)
		return LC_ERR_STORE_CORRUPT;
	memcpy(b->p[0], first, POSTING_LEN);
	unpack(first, &prev);
	for (size_t i = 1; i <= cnt; i++) {
		int64_t m;

		if (lc_varint_get(v, n, &pos, &dt) ||
		    lc_varint_get(v, n, &pos, &c) ||
		    lc_varint_get(v, n, &pos, &zz) ||
		    dt > LC_STORE_TIME_MAX - prev.t || c > CHATNUM_MAX)
			return LC_ERR_STORE_CORRUPT;
		m = zz & 1 ? -(int64_t)(zz >> 1) - 1 : (int64_t)(zz >> 1);
		if (zz > (uint64_t)UINT32_MAX * 2 || (int64_t)prev.m + m < 0 ||
		    (int64_t)prev.m + m > (int64_t)UINT32_MAX)
			return LC_ERR_STORE_CORRUPT;
		cur.t = prev.t + dt;
		cur.c = (uint32_t)c;
		cur.m = (uint32_t)((int64_t)prev.m + m);
		/* Strictly increasing: (time, chat, msgnum). */
		if (dt == 0 && (cur.c < prev.c ||
				(cur.c == prev.c && cur.m <= prev.m)))
			return LC_ERR_STORE_CORRUPT;
		pack(&cur, b->p[i]);
		prev = cur;
	}
	if (pos != n)
		return LC_ERR_STORE_CORRUPT;
	b->n = (size_t)cnt + 1;
	return 0;
}

/* Decode the block at (k, v) of term tk, checking the key's shape. */
int lc_block_load(const uint8_t *tk, size_t tlen, const MDB_val *k,
		  const MDB_val *v, lc_block *b)
{
	if (k->mv_size != tlen + POSTING_LEN)
		return LC_ERR_STORE_CORRUPT;
	if (tk && memcmp(k->mv_data, tk, tlen) != 0)
		return LC_ERR_STORE_CORRUPT;
	return lc_block_decode((const uint8_t *)k->mv_data + tlen, v->mv_data,
			       v->mv_size, b);
}

/* Is (k) a block key of term tk? */
int lc_block_of(const uint8_t *tk, size_t tlen, const MDB_val *k)
{
	return k->mv_size == tlen + POSTING_LEN &&
	       memcmp(k->mv_data, tk, tlen) == 0;
}

/* Position c on the block of term tk that would hold posting p: the last
 * block whose first posting is <= p (*at_or_before set), else the term's
 * first block (*at_or_before clear: p precedes the whole list). Returns 0
 * with (k, v) set, LC_ERR_NOT_FOUND when the term has no block, or an
 * error. */
int lc_block_seek(MDB_cursor *c, const uint8_t *tk, size_t tlen,
		  const uint8_t p[POSTING_LEN], MDB_val *k, MDB_val *v,
		  int *at_or_before)
{
	uint8_t kb[TERMKEY_MAX + POSTING_LEN];
	int rc;

	memcpy(kb, tk, tlen);
	memcpy(kb + tlen, p, POSTING_LEN);
	k->mv_size = tlen + POSTING_LEN;
	k->mv_data = kb;
	rc = mdb_cursor_get(c, k, v, MDB_SET_RANGE);
	if (rc == 0 && lc_block_of(tk, tlen, k) &&
	    memcmp((uint8_t *)k->mv_data + tlen, p, POSTING_LEN) == 0) {
		*at_or_before = 1;
		return 0;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		return lc_store_err(rc);
	{
		int had = rc == 0 && lc_block_of(tk, tlen, k);
		int r2 = rc == 0 ? mdb_cursor_get(c, k, v, MDB_PREV)
				 : mdb_cursor_get(c, k, v, MDB_LAST);

		if (r2 == 0 && lc_block_of(tk, tlen, k)) {
			*at_or_before = 1;
			return 0;
		}
		if (r2 != 0 && r2 != MDB_NOTFOUND)
			return lc_store_err(r2);
		*at_or_before = 0;
		if (!had)
			return LC_ERR_NOT_FOUND;
		/* Back to the term's first block, after p. */
		k->mv_size = tlen + POSTING_LEN;
		k->mv_data = kb;
		rc = mdb_cursor_get(c, k, v, MDB_SET_RANGE);
		return lc_store_err(rc);
	}
}

/* Write the sorted list p[0..n) of term tk as blocks. */
static int write_blocks(MDB_cursor *c, const uint8_t *tk, size_t tlen,
			const uint8_t (*p)[POSTING_LEN], size_t n)
{
	uint8_t kb[TERMKEY_MAX + POSTING_LEN], val[BLOCK_VAL_MAX];

	memcpy(kb, tk, tlen);
	while (n > 0) {
		MDB_val k = { tlen + POSTING_LEN, kb }, v = { 0, val };
		size_t took = lc_block_encode(p, n, val, &v.mv_size);
		int rc;

		memcpy(kb + tlen, p[0], POSTING_LEN);
		if ((rc = mdb_cursor_put(c, &k, &v, 0)) != 0)
			return lc_store_err(rc);
		p += took;
		n -= took;
	}
	return 0;
}

/* Merge sorted a[0..na) and b[0..nb) into out, each posting once. */
static size_t merge2(const uint8_t (*a)[POSTING_LEN], size_t na,
		     const uint8_t (*b)[POSTING_LEN], size_t nb,
		     uint8_t (*out)[POSTING_LEN])
{
	size_t i = 0, j = 0, k = 0;

	while (i < na || j < nb) {
		int d = i == na ? 1 : j == nb ? -1 :
			memcmp(a[i], b[j], POSTING_LEN);

		if (d <= 0)
			memcpy(out[k++], a[i++], POSTING_LEN);
		else
			memcpy(out[k++], b[j++], POSTING_LEN);
		if (d == 0)
			j++;
	}
	return k;
}

/* Replace the block under the cursor by the postings in m[0..n). */
static int rewrite(MDB_cursor *c, const uint8_t *tk, size_t tlen,
		   const MDB_val *old, const uint8_t (*m)[POSTING_LEN],
		   size_t n)
{
	int rc;

	/* The same first posting: the put overwrites the old block. */
	if (n == 0 || old == NULL ||
	    memcmp((const uint8_t *)old->mv_data + tlen, m[0],
		   POSTING_LEN) != 0) {
		if (old != NULL && (rc = mdb_cursor_del(c, 0)) != 0)
			return lc_store_err(rc);
	}
	return write_blocks(c, tk, tlen, m, n);
}

int lc_blocks_add(lc_store *s, MDB_cursor *c, const uint8_t *tk, size_t tlen,
		  const uint8_t (*p)[POSTING_LEN], size_t n)
{
	uint8_t (*m)[POSTING_LEN] = NULL;
	lc_block *b = lc_malloc(&s->mem, sizeof *b);
	size_t i = 0;
	int rv = b ? 0 : LC_ERR_NOMEM;

	if (rv == 0 && (m = lc_malloc(&s->mem, (BLOCK_POSTINGS + n) *
				      POSTING_LEN)) == NULL)
		rv = LC_ERR_NOMEM;
	while (rv == 0 && i < n) {
		MDB_val k, v, nk, nv;
		uint8_t okey[TERMKEY_MAX + POSTING_LEN];
		size_t j = i + 1, cnt;
		int before;

		rv = lc_block_seek(c, tk, tlen, p[i], &k, &v, &before);
		if (rv == LC_ERR_NOT_FOUND) {
			rv = write_blocks(c, tk, tlen, p + i, n - i);
			break;
		}
		if (rv != 0 || (rv = lc_block_load(tk, tlen, &k, &v, b)) != 0)
			break;
		memcpy(okey, k.mv_data, k.mv_size);
		(void)before;
		/* New postings up to the next block's first one go here. */
		{
			int rc = mdb_cursor_get(c, &nk, &nv, MDB_NEXT);

			if (rc != 0 && rc != MDB_NOTFOUND) {
				rv = lc_store_err(rc);
				break;
			}
			while (j < n && (rc != 0 ||
					 !lc_block_of(tk, tlen, &nk) ||
					 memcmp(p[j], (uint8_t *)nk.mv_data +
						tlen, POSTING_LEN) < 0))
				j++;
			k.mv_size = tlen + POSTING_LEN;
			k.mv_data = okey;
			rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY);
			if (rc != 0) {
				rv = lc_store_err(rc);
				break;
			}
		}
		cnt = merge2((const uint8_t (*)[POSTING_LEN])b->p, b->n,
			     p + i, j - i, m);
		k.mv_data = okey;
		rv = rewrite(c, tk, tlen, &k, (const uint8_t (*)[POSTING_LEN])m,
			     cnt);
		i = j;
	}
	lc_free(&s->mem, m);
	lc_free(&s->mem, b);
	return rv;
}

int lc_blocks_remove(lc_store *s, MDB_cursor *c, const uint8_t *tk,
		     size_t tlen, const uint8_t p[POSTING_LEN])
{
	lc_block *b = lc_malloc(&s->mem, sizeof *b);
	uint8_t okey[TERMKEY_MAX + POSTING_LEN];
	MDB_val k, v;
	size_t i;
	int before, rv;

	if (b == NULL)
		return LC_ERR_NOMEM;
	rv = lc_block_seek(c, tk, tlen, p, &k, &v, &before);
	if (rv == 0 && before)
		rv = lc_block_load(tk, tlen, &k, &v, b);
	else if (rv == 0 || rv == LC_ERR_NOT_FOUND)
		before = 0, rv = 0;
	if (rv != 0 || !before)
		goto out;
	for (i = 0; i < b->n && memcmp(b->p[i], p, POSTING_LEN) != 0; i++)
		;
	if (i == b->n)
		goto out;
	memmove(b->p[i], b->p[i + 1], (b->n - i - 1) * POSTING_LEN);
	b->n--;
	memcpy(okey, k.mv_data, k.mv_size);
	k.mv_data = okey;
	rv = rewrite(c, tk, tlen, &k, (const uint8_t (*)[POSTING_LEN])b->p,
		     b->n);
out:
	lc_free(&s->mem, b);
	return rv;
}
