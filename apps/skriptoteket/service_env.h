// Reading a service's settings from the environment: each bad value is an error naming the
// variable, the value and what is allowed (the convention of tracekit::Config).
#pragma once

#include <cstdint>
#include <string>

#include "domain.h"

namespace skriptoteket::env {

std::string text(const char* name, std::string fallback);
Outcome<uint64_t> number(const char* name, uint64_t fallback, uint64_t min, uint64_t max);
Outcome<bool> flag(const char* name, bool fallback);

// configure_tracing() with Skriptoteket's defaults, which the seed takes from its settings:
// service.version is the build's version and deployment.environment "development" unless
// SERVICE_VERSION / ENVIRONMENT (or OTEL_RESOURCE_ATTRIBUTES) say otherwise.
Outcome<bool> configure_service_tracing();

// Writes "<port>\n" to the file named by SKRIPTOTEKET_PORT_FILE, if set (atomically, so a
// reader never sees half a number): how tests and scripts learn an ephemeral port.
bool write_port_file(uint16_t port);

}  // namespace skriptoteket::env
