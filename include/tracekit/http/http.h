// SPDX-License-Identifier: Apache-2.0
// Everything in tracekit::http: server, middleware, client.
#pragma once

#include "tracekit/http/client.h"
#include "tracekit/http/message.h"
#include "tracekit/http/request_guard.h"
#include "tracekit/http/server.h"
#include "tracekit/http/tracing.h"
