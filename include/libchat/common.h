/**
 * @file common.h
 * @brief Export macro, version and allocator hooks shared by every libchat
 *        header.
 */
#ifndef LIBCHAT_COMMON_H
#define LIBCHAT_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Marks a function as part of the public ABI. */
#if defined(_WIN32)
#  if defined(LC_BUILDING)
#    define LC_API __declspec(dllexport)
#  else
#    define LC_API
#  endif
#elif defined(__GNUC__) || defined(__clang__)
#  define LC_API __attribute__((visibility("default")))
#else
#  define LC_API
#endif

/** The result of this function must be checked (verification, parsing). */
#if defined(__GNUC__) || defined(__clang__)
#  define LC_WARN_UNUSED __attribute__((warn_unused_result))
#else
#  define LC_WARN_UNUSED
#endif

/** The wire protocol version spoken by this library (doc/protocol.md). */
#define LC_PROTOCOL_VERSION 1

/**
 * @brief The library's version as "MAJOR.MINOR.PATCH".
 * @return a static string; never NULL, never freed.
 */
LC_API const char *lc_version(void);

/**
 * @brief Memory allocation hooks.
 *
 * Every object that allocates takes an optional `const lc_allocator *` at
 * creation and copies it; NULL means the C library's malloc family. Each
 * hook receives @p user_data as its last argument. A hook returning NULL is
 * reported as ::LC_ERR_NOMEM and never crashes the library.
 */
typedef struct lc_allocator {
	void *(*malloc)(size_t size, void *user_data);
	void (*free)(void *ptr, void *user_data);
	void *(*calloc)(size_t nmemb, size_t size, void *user_data);
	void *(*realloc)(void *ptr, size_t size, void *user_data);
	void *user_data;
} lc_allocator;

/**
 * @brief The default allocator (malloc, free, calloc, realloc).
 * @return a pointer to a static object; never NULL.
 */
LC_API const lc_allocator *lc_allocator_default(void);

/**
 * @brief A source of random bytes.
 *
 * Objects that need randomness take an optional `const lc_rng *` at
 * creation and copy it; NULL means libsodium's randombytes_buf(). Tests pass
 * a seeded source to make runs repeatable. @p fill must fill all @p len
 * bytes; it cannot fail.
 */
typedef struct lc_rng {
	void (*fill)(void *buf, size_t len, void *user_data);
	void *user_data;
} lc_rng;

#ifdef __cplusplus
}
#endif

#endif /* LIBCHAT_COMMON_H */
