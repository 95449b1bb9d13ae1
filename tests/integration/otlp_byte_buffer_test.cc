// SPDX-License-Identifier: Apache-2.0
// The exporters' request body (src/otlp/byte_buffer.h) and the protobuf writer over it: bytes
// lent to a network library stay as they were while the buffer goes on to the next batch.
#include <gtest/gtest.h>

#include <string>

#include "byte_buffer.h"
#include "proto_writer.h"

namespace tracekit::otlp::detail {
namespace {

TEST(ByteBuffer, GrowsKeepingWhatWasWritten) {
  ByteBuffer b;
  EXPECT_TRUE(b.empty());
  std::string expected;
  for (int i = 0; i < 10'000; ++i) {
    const std::string piece = std::to_string(i) + ",";
    b.append(piece.data(), piece.size());
    expected += piece;
  }
  EXPECT_EQ(b.view(), expected);
  const size_t capacity = b.capacity();
  b.clear();
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.capacity(), capacity);  // kept for the next batch
}

TEST(ByteBuffer, BytesLentStayUnchangedWhileTheBufferIsWrittenAgain) {
  ByteBuffer b;
  const std::string first(5000, 'a');
  b.append(first.data(), first.size());
  const char* lent_bytes = b.data();
  void* token = b.lend();

  // The next batch: the lent block must not be written, so the buffer takes a new one.
  b.clear();
  const std::string second(5000, 'b');
  b.append(second.data(), second.size());
  EXPECT_NE(b.data(), lent_bytes);
  EXPECT_EQ(b.view(), second);
  EXPECT_EQ(std::string(lent_bytes, first.size()), first);  // the holder still reads batch one
  ByteBuffer::give_back(token);  // frees the old block (AddressSanitizer checks both ways)

  // Given back in time, the block is written in place again.
  void* again = b.lend();
  ByteBuffer::give_back(again);
  const char* before = b.data();
  b.clear();
  b.append(first.data(), first.size());
  EXPECT_EQ(b.data(), before);
  EXPECT_EQ(b.view(), first);
}

TEST(ByteBuffer, ABlockLentOutlivesTheBuffer) {
  void* token;
  const char* bytes;
  {
    ByteBuffer b;
    b.append("payload", 7);
    token = b.lend();
    bytes = b.data();
  }
  EXPECT_EQ(std::string(bytes, 7), "payload");
  ByteBuffer::give_back(token);
}

TEST(ByteBuffer, AppendingToALentBufferCopiesInsteadOfWritingInPlace) {
  ByteBuffer b;
  b.append("head", 4);
  void* token = b.lend();
  const char* lent_bytes = b.data();
  b.append("-tail", 5);
  EXPECT_EQ(b.view(), "head-tail");
  EXPECT_EQ(std::string(lent_bytes, 4), "head");
  ByteBuffer::give_back(token);
}

// The same fields through the writer give the same bytes in a string and in a ByteBuffer, also
// across the growth of either and when the buffer's block is lent.
void write_sample(proto::Writer& w, int spans) {
  using namespace proto;
  for (int i = 0; i < spans; ++i) {
    size_t at = w.begin(tag(2, kLen), kMedium);
    w.string(tag(5, kLen), "GET /tools/{id} " + std::to_string(i));
    w.uint_field(tag(8, kVarint), 1'700'000'000'000'000'000ull + static_cast<uint64_t>(i));
    w.fixed64(static_cast<uint64_t>(i) * 7);
    const std::string long_value(i % 300, 'x');  // some lengths need a longer prefix
    size_t inner = w.begin(tag(9, kLen), kSmall);
    w.string_always(tag(1, kLen), long_value);
    w.end(inner, kSmall);
    w.end(at, kMedium);
  }
}

TEST(ProtoWriter, WritesTheSameBytesIntoAStringAndIntoAByteBuffer) {
  std::string s = "prefix";
  {
    proto::Writer w(s);
    write_sample(w, 2000);
  }
  ByteBuffer b;
  b.append("prefix", 6);
  void* token = b.lend();  // lent: the writer must move to a block of its own
  {
    proto::Writer w(b);
    write_sample(w, 2000);
  }
  EXPECT_EQ(b.size(), s.size());
  EXPECT_TRUE(b.view() == s);
  ByteBuffer::give_back(token);
}

}  // namespace
}  // namespace tracekit::otlp::detail
