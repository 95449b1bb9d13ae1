// SPDX-License-Identifier: Apache-2.0
// A response's status line and header fields, rendered as HTTP/1.1 puts them on the wire.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>

#include <boost/beast/http/message.hpp>

namespace tracekit::http::detail {

// Why not Beast's serializer: it walks the fields through nested variant-typed buffer
// iterators (buffers_cat_view, buffers_prefix/suffix) several times per write, which a profile
// of the load server put at ≈ 2.5 µs of the I/O thread's ≈ 17 µs per small response, and every
// header added (the tracing middleware adds two) adds to that walk. Rendering the head into one
// reused buffer and writing it with the body in one gather write costs a fraction of it.
//
// Renders `head` into `out` (replacing its content): the status line, every field that is safe
// to send, and the empty line. A field whose name is not an RFC 9110 token or whose value holds
// CR, LF or NUL is left out: sent, it would end the header early and let what follows pose as
// more fields or a second response (response splitting). Returns how many were left out.
//
// `extra` fields (the response's trace ids) are the server's own, with names and values known to
// be safe: they are written after the fields without those checks, and a field of the same name
// is not written.
using ExtraField = std::pair<std::string_view, std::string_view>;
size_t render_response_head(const boost::beast::http::response_header<>& head, std::string& out,
                            std::span<const ExtraField> extra = {});

// Erases the fields render_response_head would leave out, for responses Beast's serializer
// writes (files, chunked bodies); returns how many.
size_t erase_unsafe_fields(boost::beast::http::fields& fields);

}  // namespace tracekit::http::detail
