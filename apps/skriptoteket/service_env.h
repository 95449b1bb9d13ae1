// SPDX-License-Identifier: Apache-2.0
// Reading a service's settings from the environment: each bad value is an error naming the
// variable, the value and what is allowed (the convention of tracekit::Config).
#pragma once

#include <cstdint>
#include <string>

#include "domain.h"
#include "settings_variables.h"
#include "tracekit/config.h"

namespace skriptoteket::env {

using tracekit::config::Variable;

// Read one registered variable (`setting("NAME")`); an empty value counts as unset.
std::string text(const Variable& variable, std::string fallback);
Result<uint64_t> number(const Variable& variable, uint64_t fallback, uint64_t min, uint64_t max);
Result<bool> flag(const Variable& variable, bool fallback);

// What Skriptoteket asks of tracekit explicitly, the seed's variables and defaults: service.name
// from SERVICE_NAME (else "skriptoteket"), service.version from SERVICE_VERSION (else the
// build's version), deployment.environment from ENVIRONMENT (else "development"). Set variables
// beat OTEL_RESOURCE_ATTRIBUTES, the defaults do not; OTEL_SERVICE_NAME beats SERVICE_NAME.
tracekit::ConfigOptions service_config_options();
// configure_tracing() with service_config_options().
Result<bool> configure_service_tracing();

// Writes "<port>\n" to the file named by SKRIPTOTEKET_PORT_FILE, if set (atomically, so a
// reader never sees half a number): how tests and scripts learn an ephemeral port.
bool write_port_file(uint16_t port);

}  // namespace skriptoteket::env
