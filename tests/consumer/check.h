// A failed check prints what failed and ends the program with status 1.
#pragma once

#include <cstdio>
#include <cstdlib>

#define CONSUMER_CHECK(condition)                                                        \
  do {                                                                                   \
    if (!(condition)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition); \
      std::exit(1);                                                                      \
    }                                                                                    \
  } while (0)
