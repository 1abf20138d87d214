// Bytes from anywhere (test names, test output, file names) made safe for the two places isotest
// prints them besides JSON: XML 1.0 documents and a terminal.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace isotest {

// Text for an XML 1.0 element or attribute: markup escaped (&amp; &lt; &gt; &quot; &apos;), and
// every character XML 1.0 forbids (https://www.w3.org/TR/xml/#charsets: control characters other
// than tab, newline and carriage return, U+FFFE, U+FFFF, lone surrogates) and every byte that is
// not UTF-8 replaced by `?`.
std::string xml_text(std::string_view text);

// Text a terminal shows as it is, never acts on: control characters (C0, DEL, C1), the bidi
// controls that reorder what is shown (U+202A-U+202E, U+2066-U+2069) and bytes that are not
// UTF-8 become visible escapes: `\x1b`, `\t`, `\n`, `\u009b`, `\xff`.
std::string terminal_text(std::string_view text);

// Columns TEXT takes on a terminal, counting one per character (terminal_text's output).
std::size_t terminal_columns(std::string_view text);

}  // namespace isotest
