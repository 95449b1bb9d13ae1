// SPDX-License-Identifier: Apache-2.0
// An HTTP response as the collector's handlers produce it, independent of the server library
// that sends it.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace tracekit::collector {

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
};

}  // namespace tracekit::collector
