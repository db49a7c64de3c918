/* Identifiers from clients: user ids, E.164 phones, email addresses. */
#include <string.h>

#include "server_int.h"

int lc_valid_uid(const char *uid)
{
	size_t n = uid ? strlen(uid) : 0;

	return n > 0 && n <= LC_UID_MAX;
}

/* "+" and 8 to 15 digits, the first not 0. */
int lc_ident_phone(const char *phone, char out[LC_IDENT_MAX])
{
	size_t n = strlen(phone);

	if (n < 9 || n > 16 || phone[0] != '+' || phone[1] == '0')
		return LC_ERR_INVALID_PHONE;
	for (size_t i = 1; i < n; i++)
		if (phone[i] < '0' || phone[i] > '9')
			return LC_ERR_INVALID_PHONE;
	memcpy(out, "p:", 2);
	memcpy(out + 2, phone, n + 1);
	return (int)(n + 2);
}

static int local_char(char ch)
{
	return ch > ' ' && ch < 0x7f && !strchr("<>()[],;:\\\"@", ch);
}

static int domain_valid(const char *d, size_t n)
{
	int dots = 0;

	if (n == 0 || n > 253 || d[0] == '.' || d[0] == '-' ||
	    d[n - 1] == '.' || d[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = d[i];
		if (ch == '.') {
			if (d[i + 1] == '.')
				return 0;
			dots++;
		} else if (!((ch >= 'a' && ch <= 'z') ||
			     (ch >= 'A' && ch <= 'Z') ||
			     (ch >= '0' && ch <= '9') || ch == '-')) {
			return 0;
		}
	}
	return dots > 0;
}

/* local@domain with one "@", a local part of 1-64 printable characters and
 * a dotted domain; at most 254 bytes. Compared without case. */
int lc_ident_email(const char *email, char out[LC_IDENT_MAX])
{
	size_t n = strlen(email);
	const char *at = strchr(email, '@');
	size_t local;

	if (n > 254 || at == NULL || strchr(at + 1, '@'))
		return LC_ERR_INVALID_EMAIL;
	local = (size_t)(at - email);
	if (local == 0 || local > 64 || email[0] == '.' ||
	    email[local - 1] == '.')
		return LC_ERR_INVALID_EMAIL;
	for (size_t i = 0; i < local; i++)
		if (!local_char(email[i]) ||
		    (email[i] == '.' && email[i + 1] == '.'))
			return LC_ERR_INVALID_EMAIL;
	if (!domain_valid(at + 1, n - local - 1))
		return LC_ERR_INVALID_EMAIL;
	memcpy(out, "e:", 2);
	for (size_t i = 0; i <= n; i++) {
		char ch = email[i];
		out[2 + i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
	}
	return (int)(n + 2);
}
