/**
 * @file libchat.h
 * @brief The umbrella header: includes every public libchat header.
 *
 * Applications include this one file. Each area also has a header of its
 * own under include/libchat/ for code that wants only that area.
 */
#ifndef LIBCHAT_LIBCHAT_H
#define LIBCHAT_LIBCHAT_H

#include <libchat/common.h>
#include <libchat/error.h>
#include <libchat/frame.h>
#include <libchat/noise.h>
#include <libchat/receipts.h>
#include <libchat/store.h>
#include <libchat/crypto.h>
#include <libchat/client.h>

#endif /* LIBCHAT_LIBCHAT_H */
