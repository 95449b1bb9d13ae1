// SPDX-License-Identifier: Apache-2.0
// Must NOT compile: a type that is no header carrier is refused with tracekit's message, not an
// error deep inside text_map.h (CTest test carrier_concept_error checks the compiler's output).
#include <string>
#include <vector>

#include "tracekit/propagation/propagator.h"

int main() {
  std::vector<std::string> not_headers{"traceparent: 00-..."};
  tracekit::propagation::inject(not_headers);
  return 0;
}
